"""ROLLBACK planning: target revision, template stripping, the JSON patch, the response."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as p
from rollouts_widgets.actions.rollback import (
    RolloutRollbackResponse,
    choose_revision,
    plan_rollback,
    strip_template,
)
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import ARGO_ROLLOUTS, DEPLOYMENTS

NOW = datetime(2026, 12, 4, tzinfo=timezone.utc)


def template(image, hash_label=None, hash_value=None):
    labels = {"app": "checkout"}
    if hash_label:
        labels[hash_label] = hash_value
    return {
        "metadata": {"labels": labels, "annotations": {"team": "shop"}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def replicaset(name, number, hash_label, hash_value, image, owner_kind, owner):
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "namespace": "shop",
            "name": name,
            "labels": {"app": "checkout", hash_label: hash_value},
            "annotations": {
                "deployment.kubernetes.io/revision": str(number),
                "rollout.argoproj.io/revision": str(number),
            },
            "ownerReferences": [{"kind": owner_kind, "name": owner, "uid": f"uid-{owner}"}],
        },
        "spec": {"replicas": 2, "template": template(image, hash_label, hash_value)},
    }


def kruise_case():
    rollout = {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {
            "namespace": "shop",
            "name": "checkout",
            "uid": "uid-r",
            "resourceVersion": "30",
        },
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "strategy": {"canary": {"steps": [{"replicas": 1}]}},
        },
        "status": {
            "phase": "Progressing",
            "canaryStatus": {
                "stableRevision": "h1",
                "podTemplateHash": "h3",
                "currentStepIndex": 1,
                "currentStepState": "StepPaused",
            },
        },
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "namespace": "shop",
            "name": "checkout",
            "uid": "uid-checkout",
            "resourceVersion": "55",
        },
        "spec": {"paused": True, "template": template("shop/app:3")},
    }
    sets = [
        replicaset(
            "checkout-h1", 1, "pod-template-hash", "h1", "shop/app:1", "Deployment", "checkout"
        ),
        replicaset(
            "checkout-h2", 2, "pod-template-hash", "h2", "shop/app:2", "Deployment", "checkout"
        ),
        replicaset(
            "checkout-h3", 3, "pod-template-hash", "h3", "shop/app:3", "Deployment", "checkout"
        ),
    ]
    return rollout, [deployment, *sets]


@pytest.mark.parametrize("label", ["pod-template-hash", "rollouts-pod-template-hash"])
def test_strip_template_removes_only_the_hash_labels_and_copies(label):
    original = template("x:1", label, "abc")
    stripped = strip_template(original)
    assert stripped == template("x:1")
    assert original["metadata"]["labels"][label] == "abc"


def test_kruise_deployment_rollback_defaults_to_the_stable_revision():
    rollout, related = kruise_case()
    plan = plan_rollback(rollout, related)
    [w] = plan.writes
    assert (w.gvr, w.namespace, w.name, w.patch_type, w.subresource) == (
        DEPLOYMENTS,
        "shop",
        "checkout",
        "json",
        None,
    )
    assert w.body == [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "55"},
        {"op": "replace", "path": "/spec/template", "value": template("shop/app:1")},
    ]
    assert plan.response == RolloutRollbackResponse(
        message="rolled back Deployment checkout to revision 1",
        namespace="shop",
        rollout="checkout",
        workload_kind="Deployment",
        workload_name="checkout",
        revision="1",
    )
    assert plan.response.to_dict() == {
        "message": "rolled back Deployment checkout to revision 1",
        "namespace": "shop",
        "rollout": "checkout",
        "workloadKind": "Deployment",
        "workloadName": "checkout",
        "revision": "1",
    }


@pytest.mark.parametrize("chosen", [2, "2", "checkout-h2", "h2"])
def test_rollback_to_a_chosen_revision(chosen):
    rollout, related = kruise_case()
    [w] = plan_rollback(rollout, related, revision=chosen).writes
    assert w.body[1]["value"] == template("shop/app:2")


def test_rollback_through_plan_uses_the_model_revisions():
    rollout, related = kruise_case()
    [w] = p.plan("rollback", rollout, related, now=NOW, args={"revision": 2})
    assert w.body[1]["value"]["spec"]["containers"][0]["image"] == "shop/app:2"


def test_rollback_to_the_current_template_writes_nothing():
    rollout, related = kruise_case()
    plan = plan_rollback(rollout, related, revision=3)
    assert plan.writes == []
    assert plan.response.message == "Deployment checkout is already at revision 3"


@pytest.mark.parametrize(
    ("revision", "code"),
    [
        (9, errors.REVISION_NOT_FOUND),
        ("nope", errors.REVISION_NOT_FOUND),
        ("", errors.INVALID_INPUT),
        (True, errors.INVALID_INPUT),
        ([1], errors.INVALID_INPUT),
    ],
)
def test_bad_revisions(revision, code):
    rollout, related = kruise_case()
    with pytest.raises(RolloutsError) as err:
        plan_rollback(rollout, related, revision=revision)
    assert err.value.code == code


def test_no_stable_revision():
    rollout, related = kruise_case()
    only_new = [o for o in related if o["metadata"]["name"] != "checkout-h1"]
    with pytest.raises(RolloutsError) as err:
        plan_rollback(rollout, only_new)
    assert err.value.code == errors.NO_STABLE_REVISION


def test_missing_workload_is_not_found():
    rollout, related = kruise_case()
    without = [o for o in related if o["kind"] != "Deployment"]
    with pytest.raises(RolloutsError) as err:
        plan_rollback(rollout, without, revision=1)
    assert err.value.code == errors.NOT_FOUND


def argo_rollout(workload_ref=False):
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "namespace": "shop",
            "name": "front",
            "uid": "uid-front",
            "resourceVersion": "70",
        },
        "spec": {"strategy": {"canary": {"steps": [{"setWeight": 50}]}}},
        "status": {"stableRS": "s1", "currentPodHash": "s2"},
    }
    if workload_ref:
        rollout["spec"]["workloadRef"] = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "front-deploy",
        }
    else:
        rollout["spec"]["template"] = template("front:2")
    return rollout


def argo_sets():
    return [
        replicaset(
            "front-s1", 1, "rollouts-pod-template-hash", "s1", "front:1", "Rollout", "front"
        ),
        replicaset(
            "front-s2", 2, "rollouts-pod-template-hash", "s2", "front:2", "Rollout", "front"
        ),
    ]


def test_argo_native_undo_replaces_the_rollout_template_minus_its_hash_label():
    rollout = argo_rollout()
    plan = plan_rollback(rollout, [rollout, *argo_sets()])
    [w] = plan.writes
    assert (w.gvr, w.name, w.patch_type) == (ARGO_ROLLOUTS, "front", "json")
    assert w.body == [
        {"op": "replace", "path": "/metadata/resourceVersion", "value": "70"},
        {"op": "replace", "path": "/spec/template", "value": template("front:1")},
    ]
    assert (plan.response.workload_kind, plan.response.workload_name) == ("Rollout", "front")


def test_argo_workload_ref_undo_patches_the_deployment():
    rollout = argo_rollout(workload_ref=True)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "namespace": "shop",
            "name": "front-deploy",
            "uid": "uid-d",
            "resourceVersion": "88",
        },
        "spec": {"template": template("front:2")},
    }
    [w] = plan_rollback(rollout, [deployment, *argo_sets()]).writes
    assert (w.gvr, w.name, w.body[0]["value"]) == (DEPLOYMENTS, "front-deploy", "88")
    assert w.body[1]["value"] == template("front:1")


def test_kruise_cloneset_rollback_is_unsupported():
    rollout, related = kruise_case()
    rollout["spec"]["workloadRef"] = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "name": "checkout",
    }
    with pytest.raises(RolloutsError) as err:
        p.plan("rollback", copy.deepcopy(rollout), related, now=NOW)
    assert (err.value.code, err.value.message) == (
        errors.UNSUPPORTED_ROLLBACK_KIND,
        "rollback currently supports Deployment only",
    )


def test_argo_blue_green_rolls_back_to_the_active_revision_by_default():
    rollout = argo_rollout()
    rollout["spec"]["strategy"] = {"blueGreen": {"activeService": "front-active"}}
    rollout["status"]["blueGreen"] = {"activeSelector": "s1", "previewSelector": "s2"}
    [w] = plan_rollback(rollout, [rollout, *argo_sets()]).writes
    assert w.body[1]["value"] == template("front:1")


def test_a_revision_number_shared_with_the_canary_deployment_means_the_workloads_own():
    from rollouts_widgets.model.related import RevisionView

    def rs(role, number, name):
        return RevisionView(name, "ReplicaSet", role, number, name[-3:], 1, 1, 1)

    canary = rs("canary", 1, "checkout-canary-abc")
    stable = rs("stable", 1, "checkout-def")
    old = rs("old", 2, "checkout-ghi")
    assert choose_revision([canary, stable, old], 1) is stable
    assert choose_revision([canary, stable, old], "checkout-canary-abc") is canary
    twins = [stable, rs("old", 1, "checkout-jkl")]
    with pytest.raises(RolloutsError) as err:
        choose_revision(twins, "1")
    assert err.value.code == "INVALID_INPUT" and "checkout-jkl" in err.value.message
