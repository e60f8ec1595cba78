"""Actions end to end over real HTTP against the sandbox API server (no controllers here:
each test reads back exactly what the action wrote)."""

from __future__ import annotations

import itertools
import threading

import pytest

import rollouts_widgets as rw
from rollouts_widgets import errors
from rollouts_widgets.actions.rollback import RolloutRollbackResponse
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.kube.resources import KRUISE_ROLLOUTS_V1BETA1
from rollouts_widgets.model.analysis import RolloutAnalysisSummary

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"
DEPLOYMENTS = "deployments.apps"
_names = itertools.count(1)
_KRUISE_GVR = KRUISE_ROLLOUTS_V1BETA1


@pytest.fixture(scope="module")
def sb():
    with rw.Sandbox(controllers=False, clock="manual") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def admin(sb):
    return sb.connect()


@pytest.fixture(scope="module")
def viewer(sb):
    return sb.connect(context="sandbox-viewer")


def template(image, hash_label=None, hash_value=None, app="app"):
    labels = {"app": app}
    if hash_label:
        labels[hash_label] = hash_value
    return {
        "metadata": {"labels": labels},
        "spec": {
            "initContainers": [{"name": "migrate", "image": "tools/migrate:1"}],
            "containers": [{"name": "app", "image": image}, {"name": "proxy", "image": "envoy:1"}],
        },
    }


def replicaset(ns, name, owner, hash_label, hash_value, revision, image):
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "namespace": ns,
            "name": name,
            "labels": {"app": "app", hash_label: hash_value},
            "annotations": {
                "deployment.kubernetes.io/revision": revision,
                "rollout.argoproj.io/revision": revision,
            },
            "ownerReferences": [
                {
                    "apiVersion": owner["apiVersion"],
                    "kind": owner["kind"],
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "app", hash_label: hash_value}},
            "template": template(image, hash_label, hash_value),
        },
    }


def kruise_case(sb, *, state="StepPaused", index=1, kind="Deployment", version="v1beta1"):
    """A Kruise rollout mid-release (stable app:1, canary app:2) with its Deployment and
    ReplicaSets; returns the namespace."""
    ns = f"k{next(_names)}"
    sb.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}])
    workload = {
        "apiVersion": "apps/v1" if kind == "Deployment" else "apps.kruise.io/v1alpha1",
        "kind": kind,
        "metadata": {"namespace": ns, "name": "app"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "app"}},
            "template": template("shop/app:2"),
        },
    }
    [stored] = sb.apply([workload])
    ref = {"apiVersion": workload["apiVersion"], "kind": kind, "name": "app"}
    rollout = {
        "apiVersion": f"rollouts.kruise.io/{version}",
        "kind": "Rollout",
        "metadata": {"namespace": ns, "name": "app"},
        "spec": {
            "workloadRef": ref,
            "strategy": {
                "canary": {
                    "steps": [
                        {"replicas": 1, "pause": {}},
                        {"replicas": "50%", "pause": {}},
                        {"replicas": "100%"},
                    ]
                }
            },
        },
        "status": {
            "phase": "Progressing",
            "canaryStatus": {
                "stableRevision": "h1",
                "podTemplateHash": "h2",
                "currentStepIndex": index,
                "currentStepState": state,
                "nextStepIndex": index + 1,
            },
        },
    }
    objects = [rollout]
    if kind == "Deployment":
        objects += [
            replicaset(ns, "app-h1", stored, "pod-template-hash", "h1", "1", "shop/app:1"),
            replicaset(ns, "app-h2", stored, "pod-template-hash", "h2", "2", "shop/app:2"),
        ]
    sb.apply(objects)
    return ns


def argo_case(sb, *, paused=False, pause_conditions=(), abort=False):
    ns = f"a{next(_names)}"
    sb.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}])
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"namespace": ns, "name": "web"},
        "spec": {
            "replicas": 2,
            "paused": paused,
            "selector": {"matchLabels": {"app": "app"}},
            "template": template("web:2"),
            "strategy": {
                "canary": {"steps": [{"setWeight": 25}, {"pause": {}}, {"setWeight": 75}]}
            },
        },
        "status": {
            "currentStepIndex": 1,
            "stableRS": "s1",
            "currentPodHash": "s2",
            "abort": abort,
            "pauseConditions": list(pause_conditions),
        },
    }
    [stored] = sb.apply([rollout])
    sb.apply(
        [
            replicaset(ns, "web-s1", stored, "rollouts-pod-template-hash", "s1", "1", "web:1"),
            replicaset(ns, "web-s2", stored, "rollouts-pod-template-hash", "s2", "2", "web:2"),
        ]
    )
    return ns


def stored(sb, resource, ns, name="app"):
    return sb.storage.get(resource, ns, name)


# -- exact writes, read back from the server ----------------------------------------------


def test_kruise_promote_approves_exactly_the_paused_step(sb, admin):
    ns = kruise_case(sb)
    before = stored(sb, KRUISE, ns)
    result = admin.promote(f"{ns}/app")
    after = stored(sb, KRUISE, ns)
    assert after["status"]["canaryStatus"] == {
        **before["status"]["canaryStatus"],
        "currentStepState": "StepReady",
    }
    assert after["spec"] == before["spec"]
    [write] = result.writes
    assert (write.subresource, write.body) == (
        "status",
        {
            "metadata": {"resourceVersion": before["metadata"]["resourceVersion"]},
            "status": {"canaryStatus": {"currentStepState": "StepReady"}},
        },
    )


def test_kruise_promote_full_differs_from_promote(sb, admin):
    ns = kruise_case(sb)
    admin.promote(f"{ns}/app", full=True)
    status = stored(sb, KRUISE, ns)["status"]["canaryStatus"]
    assert (status["currentStepIndex"], status["nextStepIndex"], status["currentStepState"]) == (
        1,
        3,
        "StepReady",
    )


def test_kruise_promote_when_not_paused_is_refused_with_the_reason(sb, admin):
    ns = kruise_case(sb, state="StepUpgrade")
    rv = stored(sb, KRUISE, ns)["metadata"]["resourceVersion"]
    with pytest.raises(RolloutsError) as err:
        admin.promote(f"{ns}/app")
    assert err.value.code == errors.ROLLOUT_NOT_PROMOTABLE
    assert "StepUpgrade, not waiting for approval" in err.value.message
    assert stored(sb, KRUISE, ns)["metadata"]["resourceVersion"] == rv


def test_kruise_pause_resume_retry_disable_enable(sb, admin):
    ns = kruise_case(sb, state="StepUpgrade", index=2)
    ref = f"{ns}/app"
    admin.pause(ref)
    assert stored(sb, KRUISE, ns)["spec"]["strategy"]["paused"] is True
    admin.resume(ref)
    assert stored(sb, KRUISE, ns)["spec"]["strategy"]["paused"] is False
    admin.retry(ref)
    assert stored(sb, KRUISE, ns)["status"]["canaryStatus"]["nextStepIndex"] == 2
    result = admin.abort(ref)
    assert stored(sb, KRUISE, ns)["spec"]["disabled"] is True
    assert "completes the release to the new version rather than rolling back" in result.message
    assert admin.available_actions(ref)["ENABLE"] == (True, "")
    admin.enable(ref)
    assert stored(sb, KRUISE, ns)["spec"]["disabled"] is False


def test_kruise_restart_annotates_the_deployment(sb, admin):
    ns = kruise_case(sb)
    admin.restart(f"{ns}/app")
    annotations = stored(sb, DEPLOYMENTS, ns)["spec"]["template"]["metadata"]["annotations"]
    assert list(annotations) == ["kubectl.kubernetes.io/restartedAt"]
    assert annotations["kubectl.kubernetes.io/restartedAt"].endswith("Z")


def test_v1alpha1_rollout_is_written_through_its_own_version(admin, sb):
    ns = kruise_case(sb, version="v1alpha1")
    admin.promote(f"{ns}/app")
    assert stored(sb, KRUISE, ns)["status"]["canaryStatus"]["currentStepState"] == "StepReady"


def test_argo_promote_abort_retry_restart(sb, admin):
    ns = argo_case(
        sb,
        paused=True,
        pause_conditions=[{"reason": "CanaryPauseStep", "startTime": "2026-01-01T00:00:00Z"}],
    )
    ref = f"{ns}/web"
    result = admin.promote(ref)
    obj = stored(sb, ARGO, ns, "web")
    assert "pauseConditions" not in obj["status"]
    assert obj["status"]["currentStepIndex"] == 1
    assert obj["spec"]["paused"] is False
    assert [(w.subresource, w.body.get("spec")) for w in result.writes] == [
        ("status", None),
        (None, {"paused": False}),
    ]
    admin.promote(ref)  # no pause condition now: one step on
    assert stored(sb, ARGO, ns, "web")["status"]["currentStepIndex"] == 2
    admin.promote(ref, full=True)
    assert stored(sb, ARGO, ns, "web")["status"]["promoteFull"] is True
    admin.abort(ref)
    assert stored(sb, ARGO, ns, "web")["status"]["abort"] is True
    admin.retry(ref)
    assert stored(sb, ARGO, ns, "web")["status"]["abort"] is False
    admin.restart(ref)
    assert stored(sb, ARGO, ns, "web")["spec"]["restartAt"].endswith("Z")


def test_argo_disable_does_not_apply(sb, admin):
    ns = argo_case(sb)
    with pytest.raises(RolloutsError) as err:
        admin.disable(f"{ns}/web")
    assert err.value.code == errors.ACTION_NOT_APPLICABLE
    assert err.value.message == "DISABLE: Argo Rollouts has no disabled flag"


# -- set image ----------------------------------------------------------------------------


def test_set_image_changes_the_workload_container(sb, admin):
    ns = kruise_case(sb)
    admin.set_image(f"{ns}/app", container="proxy", image="envoy:2")
    spec = stored(sb, DEPLOYMENTS, ns)["spec"]["template"]["spec"]
    assert [c["image"] for c in spec["containers"]] == ["shop/app:2", "envoy:2"]
    admin.set_image(f"{ns}/app", container="migrate", image="tools/migrate:2", init=True)
    spec = stored(sb, DEPLOYMENTS, ns)["spec"]["template"]["spec"]
    assert spec["initContainers"][0]["image"] == "tools/migrate:2"


def test_set_image_on_argo_changes_the_rollout_template(sb, admin):
    ns = argo_case(sb)
    admin.set_image(f"{ns}/web", container="app", image="registry.local:5000/web:3")
    spec = stored(sb, ARGO, ns, "web")["spec"]["template"]["spec"]
    assert spec["containers"][0]["image"] == "registry.local:5000/web:3"


def test_set_image_bad_input_changes_nothing(sb, admin):
    ns = kruise_case(sb)
    rv = stored(sb, DEPLOYMENTS, ns)["metadata"]["resourceVersion"]
    with pytest.raises(RolloutsError) as err:
        admin.set_image(f"{ns}/app", container="app", image="<script>alert(1)</script>")
    assert err.value.code == errors.INVALID_INPUT
    with pytest.raises(RolloutsError) as err:
        admin.set_image(f"{ns}/app", container="sidecar", image="x:1")
    assert err.value.code == errors.NOT_FOUND
    assert err.value.message.endswith("containers: app, proxy")
    assert stored(sb, DEPLOYMENTS, ns)["metadata"]["resourceVersion"] == rv


# -- rollback -----------------------------------------------------------------------------


def test_kruise_rollback_puts_the_stable_template_back(sb, admin):
    ns = kruise_case(sb)
    response = admin.rollback(f"{ns}/app")
    assert response == RolloutRollbackResponse(
        message="rolled back Deployment app to revision 1",
        namespace=ns,
        rollout="app",
        workload_kind="Deployment",
        workload_name="app",
        revision="1",
    )
    assert stored(sb, DEPLOYMENTS, ns)["spec"]["template"] == template("shop/app:1")


def test_argo_rollback_to_a_chosen_revision(sb, admin):
    ns = argo_case(sb)
    admin.set_image(f"{ns}/web", container="app", image="web:3")
    response = admin.rollback(f"{ns}/web", revision=2)
    assert (response.workload_kind, response.workload_name, response.revision) == (
        "Rollout",
        "web",
        "2",
    )
    assert stored(sb, ARGO, ns, "web")["spec"]["template"] == template("web:2")


def test_rollback_errors(sb, admin):
    ns = kruise_case(sb)
    with pytest.raises(RolloutsError) as err:
        admin.rollback(f"{ns}/app", revision=7)
    assert err.value.code == errors.REVISION_NOT_FOUND
    cloneset = kruise_case(sb, kind="CloneSet")
    with pytest.raises(RolloutsError) as err:
        admin.rollback(f"{cloneset}/app")
    assert (err.value.code, err.value.message) == (
        errors.UNSUPPORTED_ROLLBACK_KIND,
        "rollback currently supports Deployment only",
    )
    assert admin.available_actions(f"{cloneset}/app")["ROLLBACK"] == (
        False,
        "rollback currently supports Deployment only",
    )


def test_rollback_flag_switches_the_feature_off(sb):
    cluster = sb.connect()
    cluster.flags = Flags(rollback=False)
    ns = kruise_case(sb)
    with pytest.raises(RolloutsError) as err:
        cluster.rollback(f"{ns}/app")
    assert err.value.code == errors.FEATURE_DISABLED
    assert stored(sb, DEPLOYMENTS, ns)["spec"]["template"] == template("shop/app:2")


# -- RBAC, read-only, input ---------------------------------------------------------------


def test_viewer_is_forbidden_with_verb_and_resource(sb, viewer):
    ns = kruise_case(sb)
    with pytest.raises(RolloutsError) as err:
        viewer.promote(f"{ns}/app")
    assert err.value.code == errors.FORBIDDEN
    assert err.value.message.startswith(
        "user sandbox-viewer may not patch rollouts/status.rollouts.kruise.io"
    )
    assert stored(sb, KRUISE, ns)["status"]["canaryStatus"]["currentStepState"] == "StepPaused"
    [record] = [r for r in viewer.audit_log() if r.namespace == ns]
    assert (record.action, record.ok, record.code) == ("PROMOTE", False, errors.FORBIDDEN)


def test_read_only_refuses_before_any_request(sb):
    cluster = sb.connect(read_only=True)
    ns = kruise_case(sb)
    version = sb.storage.resource_version
    # A pending fault: any request the action made would consume it.
    sb.faults.fail_next(1, status=503)
    try:
        for call in (
            lambda: cluster.promote(f"{ns}/app"),
            lambda: cluster.disable(f"{ns}/app"),
            lambda: cluster.rollback(f"{ns}/app"),
            lambda: cluster.set_image(f"{ns}/app", container="app", image="x:1"),
            lambda: cluster.act("restart", f"{ns}/app"),
        ):
            with pytest.raises(RolloutsError) as err:
                call()
            assert err.value.code == errors.READ_ONLY
        with pytest.raises(RolloutsError) as err:
            cluster.get_raw(f"{ns}/app")
        assert err.value.code == errors.API_UNAVAILABLE  # the fault was still there
    finally:
        sb.faults.reset()
    assert sb.storage.resource_version == version
    avail = cluster.available_actions(f"{ns}/app")
    assert avail["PROMOTE"] == (False, "read-only mode")
    assert avail["ANALYSIS"] == (True, "")


def test_act_dispatches_allow_listed_names_only(sb, admin):
    ns = kruise_case(sb)
    ref = f"{ns}/app"
    for bad in ("delete", "__class__", "promote; rm -rf /", ""):
        with pytest.raises(RolloutsError) as err:
            admin.act(bad, ref)
        assert err.value.code == errors.INVALID_INPUT
    with pytest.raises(RolloutsError) as err:
        admin.act("set-image", ref, container="app", image="x:1", command="sh")
    assert err.value.code == errors.INVALID_INPUT
    with pytest.raises(RolloutsError) as err:
        admin.act("set-image", ref, image="x:1")
    assert err.value.code == errors.INVALID_INPUT
    admin.act("PROMOTE_FULL", ref)
    assert stored(sb, KRUISE, ns)["status"]["canaryStatus"]["nextStepIndex"] == 3


@pytest.mark.parametrize("ref", ["app", "a/b/c/d", "Bad_NS/app", "../etc/app", 42])
def test_malformed_refs(admin, ref):
    with pytest.raises(RolloutsError) as err:
        admin.pause(ref)
    assert err.value.code == errors.INVALID_INPUT


def test_missing_rollout(admin):
    with pytest.raises(RolloutsError) as err:
        admin.pause("nowhere/ghost")
    assert err.value.code == errors.NOT_FOUND


# -- conflicts: two writers ---------------------------------------------------------------


class _SecondWriter:
    """Runs ``write`` once, right after the first writer's ``nth`` read of a ``plural``: the
    window in which a real concurrent writer lands between our read and our write."""

    def __init__(self, cluster, plural, nth, write):
        self.cluster, self.plural, self.nth, self.write = cluster, plural, nth, write
        self.reads = 0

    def __enter__(self):
        original = self.cluster.resources.get

        def get(gvr, namespace, name, subresource=None):
            obj = original(gvr, namespace, name, subresource)
            if gvr.plural == self.plural:
                self.reads += 1
                if self.reads == self.nth:
                    self.write()
            return obj

        self.cluster.resources.get = get
        return self

    def __exit__(self, *exc):
        del self.cluster.resources.get


def test_two_promotes_never_approve_twice(sb):
    first, second = sb.connect(), sb.connect()
    ns = kruise_case(sb)
    # resolve() reads once, the action reads again: the second writer lands after that read.
    race = _SecondWriter(first, "rollouts", 2, lambda: second.promote(f"{ns}/app"))
    with race, pytest.raises(RolloutsError) as err:
        first.promote(f"{ns}/app")
    assert err.value.code == errors.CONFLICT
    assert err.value.message == (
        f"PROMOTE: its step changed concurrently ({ns}/app); not applied, check the rollout and "
        "try again"
    )
    assert stored(sb, KRUISE, ns)["status"]["canaryStatus"]["currentStepState"] == "StepReady"


def test_conflict_on_an_unrelated_change_is_retried(sb):
    first = sb.connect()
    ns = kruise_case(sb)

    def label_deployment():
        sb.storage.patch(DEPLOYMENTS, ns, "app", {"metadata": {"labels": {"team": "shop"}}})

    with _SecondWriter(first, "deployments", 1, label_deployment) as race:
        first.set_image(f"{ns}/app", container="app", image="shop/app:3")
    assert race.reads == 2  # read, 409, read again, write
    deployment = stored(sb, DEPLOYMENTS, ns)
    assert deployment["metadata"]["labels"] == {"team": "shop"}
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "shop/app:3"


def test_concurrent_image_change_is_not_overwritten(sb):
    first, second = sb.connect(), sb.connect()
    ns = kruise_case(sb)

    def other_image():
        second.set_image(f"{ns}/app", container="app", image="shop/app:9")

    race = _SecondWriter(first, "deployments", 1, other_image)
    with race, pytest.raises(RolloutsError) as err:
        first.set_image(f"{ns}/app", container="app", image="shop/app:3")
    assert err.value.code == errors.CONFLICT
    image = stored(sb, DEPLOYMENTS, ns)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "shop/app:9"


def test_racing_threads_apply_each_pause_toggle_once(sb):
    ns = kruise_case(sb)
    clusters = [sb.connect() for _ in range(4)]
    failures = []

    def toggle(cluster):
        try:
            cluster.pause(f"{ns}/app")
        except RolloutsError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=toggle, args=(c,)) for c in clusters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # Pausing is idempotent: every writer either paused or found it already paused.
    assert all(f.code == errors.ACTION_NOT_APPLICABLE for f in failures)
    assert stored(sb, KRUISE, ns)["spec"]["strategy"]["paused"] is True


# -- analysis -----------------------------------------------------------------------------


def test_kruise_analysis_is_not_configured(sb, admin):
    ns = kruise_case(sb)
    summary = admin.analysis(f"{ns}/app")
    assert (summary.source, summary.status, summary.code, summary.runs) == (
        "not_configured",
        "not_configured",
        errors.ANALYSIS_SOURCE_NOT_CONFIGURED,
        (),
    )


def test_argo_analysis_reads_owned_runs(sb, admin):
    ns = argo_case(sb)
    owner = stored(sb, ARGO, ns, "web")
    sb.apply(
        [
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AnalysisRun",
                "metadata": {
                    "namespace": ns,
                    "name": "web-2-1",
                    "labels": {"rollout-type": "Step", "step-index": "1"},
                    "ownerReferences": [
                        {
                            "apiVersion": "argoproj.io/v1alpha1",
                            "kind": "Rollout",
                            "name": "web",
                            "uid": owner["metadata"]["uid"],
                        }
                    ],
                },
                "spec": {
                    "metrics": [
                        {
                            "name": "ok",
                            "successCondition": "result == 1",
                            "provider": {"web": {"url": "http://x"}},
                        }
                    ]
                },
                "status": {
                    "phase": "Successful",
                    "startedAt": "2026-01-01T00:00:00Z",
                    "metricResults": [
                        {
                            "name": "ok",
                            "phase": "Successful",
                            "count": 1,
                            "successful": 1,
                            "measurements": [
                                {
                                    "phase": "Successful",
                                    "value": "1",
                                    "startedAt": "2026-01-01T00:00:00Z",
                                    "finishedAt": "2026-01-01T00:00:05Z",
                                }
                            ],
                        }
                    ],
                },
            }
        ]
    )
    summary = admin.analysis(f"{ns}/web")
    assert (summary.source, summary.status) == ("argo", "Successful")
    [run] = summary.runs
    assert (run.name, run.kind, run.step_index, run.duration_seconds) == ("web-2-1", "step", 2, 5.0)
    assert run.metrics[0].measurements[0].value == "1"
    frame = rw.analysis_frame(admin, f"{ns}/web")
    assert list(frame["value"]) == ["1"]


def test_user_analysis_source_and_flag(sb):
    cluster = sb.connect()
    ns = kruise_case(sb)
    seen = []

    def error_rate(c, ref):
        seen.append((c is cluster, ref))
        return RolloutAnalysisSummary(
            source="prometheus", status="Successful", summary="error rate 0.1%"
        )

    cluster.set_analysis_source(error_rate)
    assert cluster.analysis(f"{ns}/app").source == "prometheus"
    assert seen == [(True, f"{ns}/app")]

    class Broken:
        def analysis(self, c, ref):
            raise ValueError("prometheus is down")

    cluster.set_analysis_source(Broken())
    with pytest.raises(RolloutsError) as err:
        cluster.analysis(f"{ns}/app")
    assert (err.value.code, err.value.message) == (
        errors.API_ERROR,
        "analysis source Broken failed: ValueError: prometheus is down",
    )
    cluster.set_analysis_source(lambda c, ref: "not a summary")
    with pytest.raises(RolloutsError) as err:
        cluster.analysis(f"{ns}/app")
    assert err.value.code == errors.INVALID_INPUT
    with pytest.raises(RolloutsError):
        cluster.set_analysis_source(42)
    cluster.set_analysis_source(None)
    assert cluster.analysis(f"{ns}/app").status == "not_configured"
    cluster.flags = Flags(analysis=False)
    with pytest.raises(RolloutsError) as err:
        cluster.analysis(f"{ns}/app")
    assert err.value.code == errors.FEATURE_DISABLED


# -- audit, waiting -----------------------------------------------------------------------


def test_audit_log_and_frame_never_carry_secrets(sb):
    cluster = sb.connect()
    ns = kruise_case(sb)
    cluster.pause(f"{ns}/app")
    with pytest.raises(RolloutsError):
        cluster.set_image(f"{ns}/app", container="nope", image="x:1")
    records = cluster.audit_log()
    assert [(r.action, r.ok, r.code, r.namespace, r.name) for r in records] == [
        ("PAUSE", True, "", ns, "app"),
        ("SET-IMAGE", False, errors.NOT_FOUND, ns, "app"),
    ]
    assert records[1].args == {"container": "nope", "image": "x:1", "init": False}
    assert (records[0].cluster, records[0].user) == ("sandbox", "sandbox-admin")
    frame = rw.actions_frame(cluster)
    assert list(frame["action"]) == ["PAUSE", "SET-IMAGE"]
    text = repr(records) + frame.to_csv()
    for user in ("admin", "viewer"):
        assert sb.token(user) not in text


def test_wait_for_is_driven_by_the_live_store(sb, admin):
    ns = kruise_case(sb)
    view = admin.wait_for(f"{ns}/app", status="Paused", step=1, timeout=30)
    assert (view.status, view.step_index) == ("Paused", 1)
    with pytest.raises(RolloutsError) as err:
        admin.wait_for(f"{ns}/app", status="Healthy", timeout=0.5)
    assert err.value.code == errors.TIMEOUT
    assert "(status Paused, step 1)" in err.value.message
    with pytest.raises(RolloutsError) as err:
        admin.wait_for(f"{ns}/app", status="Sleeping")
    assert err.value.code == errors.INVALID_INPUT

    result = {}

    def wait():
        result["view"] = admin.wait_for(f"{ns}/app", step=2, timeout=30)

    waiter = threading.Thread(target=wait)
    waiter.start()
    sb.storage.patch(
        KRUISE,
        ns,
        "app",
        {"status": {"canaryStatus": {"currentStepIndex": 2, "currentStepState": "StepPaused"}}},
        subresource="status",
    )
    waiter.join(30)
    assert result["view"].step_index == 2


def test_conflicts_are_retried_a_bounded_number_of_times(sb, admin):
    ns = kruise_case(sb)
    sb.faults.fail_next(2, status=409, verb="patch")
    admin.pause(f"{ns}/app")
    assert stored(sb, KRUISE, ns)["spec"]["strategy"]["paused"] is True
    sb.faults.fail_next(6, status=409, verb="patch")
    try:
        with pytest.raises(RolloutsError) as err:
            admin.resume(f"{ns}/app")
        assert err.value.code == errors.CONFLICT
        # Exactly five attempts: one injected conflict is left for the next patch, no more.
        probe = sb.connect().resources
        with pytest.raises(RolloutsError) as err:
            probe.patch(_KRUISE_GVR, ns, "app", {"metadata": {"labels": {"probe": "1"}}})
        assert err.value.code == errors.CONFLICT
        probe.patch(_KRUISE_GVR, ns, "app", {"metadata": {"labels": {"probe": "2"}}})
    finally:
        sb.faults.reset()
    obj = stored(sb, KRUISE, ns)
    assert (obj["spec"]["strategy"]["paused"], obj["metadata"]["labels"]) == (True, {"probe": "2"})


def test_available_actions_asks_self_subject_access_review(sb, admin, viewer):
    ns = kruise_case(sb)
    ref = f"{ns}/app"
    assert admin.available_actions(ref)["PROMOTE"] == (True, "")
    avail = viewer.available_actions(ref)
    assert avail["PROMOTE"] == (False, "not allowed to patch rollouts/status (rollouts.kruise.io)")
    assert avail["PAUSE"] == (False, "not allowed to patch rollouts (rollouts.kruise.io)")
    assert avail["SET-IMAGE"] == (False, "not allowed to patch deployments (apps)")
    assert avail["RESUME"] == (False, "the rollout is not paused")  # state first, then RBAC
    assert avail["ANALYSIS"] == (True, "")
    # Answers are cached briefly: a failing API does not change them.
    sb.faults.fail_next(1, status=503, verb="create")
    try:
        assert viewer.available_actions(ref) == avail
    finally:
        sb.faults.reset()


def test_cloneset_workload_is_patched_through_its_own_api(sb, admin):
    ns = kruise_case(sb, kind="CloneSet")
    admin.set_image(f"{ns}/app", container="app", image="shop/app:5")
    admin.restart(f"{ns}/app")
    cloneset = sb.storage.get("clonesets.apps.kruise.io", ns, "app")
    template_ = cloneset["spec"]["template"]
    assert template_["spec"]["containers"][0]["image"] == "shop/app:5"
    assert list(template_["metadata"]["annotations"]) == ["kubectl.kruise.io/restartedAt"]
