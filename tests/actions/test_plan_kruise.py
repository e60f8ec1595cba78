"""Exact writes and availability of every action on OpenKruise rollouts (v1beta1, v1alpha1)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as p
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.kube.resources import (
    CLONESETS,
    DEPLOYMENTS,
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
)

NOW = datetime(2026, 12, 4, 16, 30, 5, 123000, tzinfo=timezone.utc)
STEPS = [{"traffic": "20%", "pause": {}}, {"traffic": "50%", "pause": {}}, {"replicas": "100%"}]


def v1beta1(strategy="canary", *, state="StepPaused", index=1, phase="Progressing", **spec):
    block = "blueGreenStatus" if strategy == "blueGreen" else "canaryStatus"
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"namespace": "shop", "name": "checkout", "resourceVersion": "41"},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "checkout"},
            "strategy": {strategy: {"steps": copy.deepcopy(STEPS)}},
            **spec,
        },
        "status": {
            "phase": phase,
            block: {"currentStepIndex": index, "currentStepState": state, "nextStepIndex": 2},
        },
    }


def v1alpha1(*, state="StepPaused", index=1):
    return {
        "apiVersion": "rollouts.kruise.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"namespace": "shop", "name": "legacy", "resourceVersion": "7"},
        "spec": {
            "objectRef": {
                "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "legacy"}
            },
            "strategy": {"canary": {"steps": [{"weight": 20}, {"weight": 100}]}},
        },
        "status": {
            "phase": "Progressing",
            "canaryStatus": {"currentStepIndex": index, "currentStepState": state},
        },
    }


def writes(action, obj, **args):
    return p.plan(action, obj, [], now=NOW, args=args)


@pytest.mark.parametrize(
    ("strategy", "block"), [("canary", "canaryStatus"), ("blueGreen", "blueGreenStatus")]
)
def test_promote_approves_the_paused_step_in_the_right_status_block(strategy, block):
    [w] = writes("promote", v1beta1(strategy))
    assert (w.gvr, w.namespace, w.name, w.patch_type, w.subresource) == (
        KRUISE_ROLLOUTS_V1BETA1,
        "shop",
        "checkout",
        "merge",
        "status",
    )
    assert w.body == {
        "metadata": {"resourceVersion": "41"},
        "status": {block: {"currentStepState": "StepReady"}},
    }
    assert w.resource == "rollouts.rollouts.kruise.io/status"


def test_v1alpha1_uses_its_own_version_and_canary_status():
    [w] = writes("PROMOTE", v1alpha1())
    assert w.gvr == KRUISE_ROLLOUTS_V1ALPHA1
    assert w.body == {
        "metadata": {"resourceVersion": "7"},
        "status": {"canaryStatus": {"currentStepState": "StepReady"}},
    }


def test_promote_full_jumps_to_the_last_step_and_approves():
    [w] = writes("promote-full", v1beta1())
    assert w.subresource == "status"
    assert w.body["status"] == {
        "canaryStatus": {"nextStepIndex": 3, "currentStepState": "StepReady"}
    }


def test_promote_full_while_a_step_is_still_upgrading_only_sets_the_jump():
    [w] = writes("PROMOTE_FULL", v1beta1(state="StepUpgrade", index=2))
    assert w.body["status"] == {"canaryStatus": {"nextStepIndex": 3}}


def test_promote_and_promote_full_differ():
    assert writes("PROMOTE", v1beta1())[0].body != writes("PROMOTE-FULL", v1beta1())[0].body


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (v1beta1(state="StepUpgrade"), "step 1 is in state StepUpgrade, not waiting for approval"),
        (
            v1beta1(phase="Healthy", state="Completed", index=3),
            "no release in progress (phase Healthy)",
        ),
        (v1beta1(disabled=True), "the rollout is disabled; ENABLE it first"),
    ],
)
def test_promote_when_not_promotable_names_the_reason(obj, reason):
    with pytest.raises(RolloutsError) as err:
        writes("promote", obj)
    assert err.value.code == errors.ROLLOUT_NOT_PROMOTABLE
    assert err.value.message == f"PROMOTE: {reason}"


def test_user_paused_rollout_is_not_promotable_until_resumed():
    obj = v1beta1()
    obj["spec"]["strategy"]["paused"] = True
    assert p.availability(obj)["PROMOTE"] == (False, "the rollout is paused; RESUME it first")
    assert p.availability(obj)["RESUME"] == (True, "")
    assert p.availability(obj)["PAUSE"] == (False, "the rollout is already paused")


def test_retry_sets_next_step_to_the_current_one():
    [w] = writes("retry", v1beta1(state="StepUpgrade", index=2))
    assert w.subresource == "status"
    assert w.body == {
        "metadata": {"resourceVersion": "41"},
        "status": {"canaryStatus": {"nextStepIndex": 2}},
    }


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("pause", {"spec": {"strategy": {"paused": True}}}),
        ("disable", {"spec": {"disabled": True}}),
    ],
)
def test_spec_switches(action, body):
    [w] = writes(action, v1beta1())
    assert (w.subresource, w.patch_type, w.body) == (None, "merge", body)


def test_resume_and_enable():
    paused = v1beta1()
    paused["spec"]["strategy"]["paused"] = True
    assert writes("resume", paused)[0].body == {"spec": {"strategy": {"paused": False}}}
    disabled = v1beta1(disabled=True, phase="Disabled")
    assert writes("enable", disabled)[0].body == {"spec": {"disabled": False}}


def test_abort_on_kruise_is_disable():
    [w] = writes("abort", v1beta1())
    assert w.body == {"spec": {"disabled": True}}
    assert "completes the release to the new version rather than rolling back" in (
        p.KRUISE_ABORT_MESSAGE
    )


def test_enable_only_while_disabled():
    assert p.availability(v1beta1())["ENABLE"] == (False, "the rollout is not disabled")
    disabled = p.availability(v1beta1(disabled=True))
    assert disabled["ENABLE"] == (True, "")
    assert disabled["DISABLE"] == (False, "the rollout is already disabled")
    assert disabled["PAUSE"] == (False, "the rollout is disabled; ENABLE it first")
    with pytest.raises(RolloutsError) as err:
        writes("enable", v1beta1())
    assert err.value.code == errors.ACTION_NOT_APPLICABLE


def test_restart_annotates_the_deployment_pod_template():
    [w] = writes("restart", v1beta1())
    assert (w.gvr, w.name, w.subresource) == (DEPLOYMENTS, "checkout", None)
    assert w.body == {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-12-04T16:30:05Z"}
                }
            }
        }
    }


def test_restart_annotates_a_cloneset_with_the_kruise_key():
    obj = v1beta1(state="StepUpgrade")
    obj["spec"]["workloadRef"] = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "name": "web",
    }
    [w] = writes("restart", obj)
    assert (w.gvr, w.name) == (CLONESETS, "web")
    annotations = w.body["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"kubectl.kruise.io/restartedAt": "2026-12-04T16:30:05Z"}


def test_rollback_of_a_non_deployment_is_unsupported_with_the_tooltip_text():
    obj = v1beta1()
    obj["spec"]["workloadRef"] = {
        "apiVersion": "apps.kruise.io/v1alpha1",
        "kind": "CloneSet",
        "name": "web",
    }
    assert p.availability(obj)["ROLLBACK"] == (False, "rollback currently supports Deployment only")
    with pytest.raises(RolloutsError) as err:
        writes("rollback", obj)
    assert err.value.code == errors.UNSUPPORTED_ROLLBACK_KIND


def test_flags_switch_rollback_and_analysis_off():
    off = p.availability(v1beta1(), flags=Flags(rollback=False, analysis=False))
    assert off["ROLLBACK"][0] is False and "switched off" in off["ROLLBACK"][1]
    assert off["ANALYSIS"] == (False, "analysis is switched off")
    with pytest.raises(RolloutsError) as err:
        p.plan("rollback", v1beta1(), [], now=NOW, flags=Flags(rollback=False))
    assert err.value.code == errors.FEATURE_DISABLED


def test_availability_of_a_paused_step():
    assert p.availability(v1beta1()) == {
        "RESTART": (True, ""),
        "RETRY": (True, ""),
        "PAUSE": (True, ""),
        "RESUME": (False, "the rollout is not paused"),
        "DISABLE": (True, ""),
        "ENABLE": (False, "the rollout is not disabled"),
        "PROMOTE": (True, ""),
        "PROMOTE-FULL": (True, ""),
        "ABORT": (True, ""),
        "ROLLBACK": (True, ""),
        "SET-IMAGE": (True, ""),
        "ANALYSIS": (True, ""),
    }


@pytest.mark.parametrize("bad", ["", "delete", "promote;rm", None, 3, "PROMOTE FULL"])
def test_unknown_action_names_are_refused(bad):
    with pytest.raises(RolloutsError) as err:
        p.normalize_action(bad)
    assert err.value.code == errors.INVALID_INPUT


def test_not_a_rollout_is_refused():
    with pytest.raises(RolloutsError) as err:
        writes("pause", {"apiVersion": "apps/v1", "kind": "Deployment"})
    assert err.value.code == errors.INVALID_INPUT
