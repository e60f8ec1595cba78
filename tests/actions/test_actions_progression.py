"""Actions against the sandbox's simulated controllers, with a manual clock: the exact write is
read back from the server before the clock moves, then ``advance`` shows what it causes."""

from __future__ import annotations

import itertools
import threading
from collections import Counter

import pytest

import rollouts_widgets as rw
from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def sb():
    with rw.Sandbox(clock="manual") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def cluster(sb):
    return sb.connect()


def template(app, image):
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }


def deployment(ns, name, replicas, image):
    """A Deployment whose pods are labelled ``app: <name>``."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"namespace": ns, "name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": template(name, image),
        },
    }


def namespace(sb, prefix):
    ns = f"{prefix}{next(_names)}"
    sb.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}])
    return ns


def settle(sb, read, until, seconds=15, limit=40):
    """Advance the manual clock in ``seconds`` steps until ``until(read())`` holds."""
    for _ in range(limit):
        value = read()
        if until(value):
            return value
        sb.advance(seconds)
    raise AssertionError(f"never settled; last: {read()}")


def status_of(sb, ref):
    """The rollout's unified status, from the server's objects (no HTTP: settle loops fast)."""
    ns, name = ref.split("/")
    for resource in (KRUISE, ARGO):
        try:
            obj = sb.storage.get(resource, ns, name)
        except RolloutsError:
            continue
        related = [
            o
            for kind in ("deployments.apps", "replicasets.apps", "pods")
            for o in sb.storage.list(kind, ns)[0]
        ]
        return rw.model.rollout_view(obj, related).status
    raise AssertionError(f"no rollout {ref}")


def pod_images(sb, ns, app="app"):
    pods, _ = sb.storage.list("pods", ns)
    return Counter(
        p["spec"]["containers"][0]["image"] for p in pods if p["metadata"]["labels"]["app"] == app
    )


# -- OpenKruise ---------------------------------------------------------------------------

KRUISE_STEPS = [
    {"replicas": 1, "pause": {}},
    {"replicas": "50%", "pause": {}},
    {"replicas": "75%", "pause": {}},
    {"replicas": "100%"},
]


def kruise_objects(ns, *, strategy="canary", version="v1beta1"):
    """A 4-replica Deployment running app:1 and a Kruise rollout of it."""
    workload = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "app"}
    rollout = {
        "apiVersion": f"rollouts.kruise.io/{version}",
        "kind": "Rollout",
        "metadata": {"namespace": ns, "name": "app"},
        "spec": {"strategy": {strategy: {"steps": KRUISE_STEPS}}},
    }
    if version == "v1beta1":
        rollout["spec"]["workloadRef"] = workload
    else:
        rollout["spec"]["objectRef"] = {"workloadRef": workload}
    return [deployment(ns, "app", 4, "shop/app:1"), rollout]


def kruise_release(sb, cluster, *, strategy="canary", version="v1beta1"):
    """The Kruise rollout of ``kruise_objects``, released from app:1 to app:2 (through our
    set_image) and settled at step 1 waiting for approval. Returns (ns, ref)."""
    ns = namespace(sb, "k")
    sb.apply(kruise_objects(ns, strategy=strategy, version=version))
    ref = f"{ns}/app"
    settle(sb, lambda: pod_images(sb, ns), lambda c: c == {"shop/app:1": 4})
    cluster.set_image(ref, container="app", image="shop/app:2")
    settle(sb, lambda: block(sb, ns), lambda b: b.get("currentStepState") == "StepPaused")
    return ns, ref


def block(sb, ns):
    status = sb.storage.get(KRUISE, ns, "app").get("status") or {}
    return status.get("canaryStatus") or status.get("blueGreenStatus") or {}


def test_kruise_promote_moves_one_step(sb, cluster):
    ns, ref = kruise_release(sb, cluster)
    assert block(sb, ns)["currentStepIndex"] == 1
    cluster.promote(ref)
    # Read back before the clock moves: exactly the approval, nothing else.
    assert (block(sb, ns)["currentStepIndex"], block(sb, ns)["currentStepState"]) == (
        1,
        "StepReady",
    )
    after = settle(sb, lambda: block(sb, ns), lambda b: b.get("currentStepState") == "StepPaused")
    assert after["currentStepIndex"] == 2
    assert pod_images(sb, ns) == {"shop/app:1": 2, "shop/app:2": 2}
    assert cluster.view(ref).status == "Paused"


def test_kruise_promote_full_goes_all_the_way(sb, cluster):
    ns, ref = kruise_release(sb, cluster)
    cluster.promote(ref, full=True)
    written = block(sb, ns)
    assert (written["currentStepIndex"], written["nextStepIndex"], written["currentStepState"]) == (
        1,
        4,
        "StepReady",
    )
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert pod_images(sb, ns) == {"shop/app:2": 4}
    assert block(sb, ns)["stableRevision"] == block(sb, ns)["podTemplateHash"]


@pytest.mark.parametrize("version", ["v1beta1", "v1alpha1"])
def test_kruise_rollback_brings_the_stable_revision_and_pods_back(sb, cluster, version):
    ns, ref = kruise_release(sb, cluster, version=version)
    stable_hash = block(sb, ns)["stableRevision"]
    response = cluster.rollback(ref)
    assert (response.workload_kind, response.workload_name, response.revision) == (
        "Deployment",
        "app",
        "1",
    )
    deployment = sb.storage.get("deployments.apps", ns, "app")
    assert deployment["spec"]["template"] == template("app", "shop/app:1")
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert pod_images(sb, ns) == {"shop/app:1": 4}
    pods, _ = sb.storage.list("pods", ns)
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in pods} == {stable_hash}
    [stable] = [r for r in cluster.revisions(ref) if r.role == "stable"]
    assert (stable.template_hash, stable.images, stable.replicas) == (
        stable_hash,
        ("shop/app:1",),
        4,
    )
    status = sb.storage.get(KRUISE, ns, "app")["status"]
    succeeded = [c for c in status["conditions"] if c["type"] == "Succeeded"]
    assert [c["status"] for c in succeeded] == ["False"]


def test_kruise_abort_disables_and_completes_the_new_version(sb, cluster):
    ns, ref = kruise_release(sb, cluster)
    result = cluster.abort(ref)
    assert "rather than rolling back" in result.message
    assert sb.storage.get(KRUISE, ns, "app")["spec"]["disabled"] is True
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Disabled")
    settle(sb, lambda: pod_images(sb, ns), lambda c: c == {"shop/app:2": 4})
    cluster.enable(ref)
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")


def test_kruise_blue_green_promote_uses_the_blue_green_status(sb, cluster):
    ns, ref = kruise_release(sb, cluster, strategy="blueGreen")
    assert "canaryStatus" not in sb.storage.get(KRUISE, ns, "app")["status"]
    [write] = cluster.promote(ref).writes
    assert write.body["status"] == {"blueGreenStatus": {"currentStepState": "StepReady"}}
    settle(sb, lambda: block(sb, ns), lambda b: b.get("currentStepIndex") == 2)


def test_kruise_pause_holds_the_release_and_resume_lets_it_go(sb, cluster):
    ns, ref = kruise_release(sb, cluster)
    cluster.promote(ref)
    cluster.pause(ref)
    sb.advance(300)
    assert block(sb, ns)["currentStepIndex"] == 1  # paused: the approved step does not move
    assert cluster.available_actions(ref)["PROMOTE"] == (
        False,
        "the rollout is paused; RESUME it first",
    )
    cluster.resume(ref)
    settle(sb, lambda: block(sb, ns), lambda b: b.get("currentStepIndex") == 2)


def test_wait_for_follows_the_release(sb, cluster):
    ns, ref = kruise_release(sb, cluster)
    cluster.promote(ref)
    seen = {}
    waiter = threading.Thread(
        target=lambda: seen.update(view=cluster.wait_for(ref, status="Paused", step=2, timeout=60))
    )
    waiter.start()
    settle(
        sb,
        lambda: block(sb, ns),
        lambda b: b.get("currentStepIndex") == 2 and b.get("currentStepState") == "StepPaused",
    )
    waiter.join(60)
    assert (seen["view"].status, seen["view"].step_index) == ("Paused", 2)


# -- Argo ---------------------------------------------------------------------------------

ARGO_STEPS = [
    {"setWeight": 25},
    {"pause": {}},
    {"setWeight": 50},
    {"pause": {}},
    {"setWeight": 75},
    {"pause": {"duration": "30s"}},
]


def argo_release(sb, cluster, *, blue_green=False, workload_ref=False):
    """An Argo rollout of 4 replicas released from web:1 to web:2 through our set_image and
    settled on its first pause. Returns (ns, ref)."""
    ns = namespace(sb, "a")
    if blue_green:
        strategy = {
            "blueGreen": {
                "activeService": "web-active",
                "previewService": "web-preview",
                "autoPromotionEnabled": False,
            }
        }
    else:
        strategy = {"canary": {"steps": ARGO_STEPS}}
    spec = {"replicas": 4, "selector": {"matchLabels": {"app": "web"}}, "strategy": strategy}
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"namespace": ns, "name": name},
            "spec": {"selector": {"app": "web"}},
        }
        for name in ("web-active", "web-preview")
    ]
    if workload_ref:
        spec["workloadRef"] = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
        objects.append(deployment(ns, "web", 0, "web:1"))
    else:
        spec["template"] = template("web", "web:1")
    objects.append(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"namespace": ns, "name": "web"},
            "spec": spec,
        }
    )
    sb.apply(objects)
    ref = f"{ns}/web"
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    cluster.set_image(ref, container="app", image="web:2")
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Paused")
    return ns, ref


def argo_status(sb, ns):
    return sb.storage.get(ARGO, ns, "web")["status"]


def test_argo_promote_then_promote_full(sb, cluster):
    ns, ref = argo_release(sb, cluster)
    assert argo_status(sb, ns)["currentStepIndex"] == 1
    cluster.promote(ref)
    written = argo_status(sb, ns)
    assert ("pauseConditions" not in written, written["currentStepIndex"]) == (True, 1)
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Paused")
    assert argo_status(sb, ns)["currentStepIndex"] == 3
    assert pod_images(sb, ns, "web") == {"web:1": 2, "web:2": 2}
    cluster.promote(ref, full=True)
    assert argo_status(sb, ns)["promoteFull"] is True
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert pod_images(sb, ns, "web") == {"web:2": 4}


def test_argo_abort_returns_to_stable_and_retry_restarts_the_update(sb, cluster):
    ns, ref = argo_release(sb, cluster)
    cluster.abort(ref)
    assert argo_status(sb, ns)["abort"] is True
    seen = {}
    waiter = threading.Thread(
        target=lambda: seen.update(view=cluster.wait_for(ref, status="Healthy", timeout=60))
    )
    waiter.start()
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Failed")
    waiter.join(60)
    assert seen["view"].status == "Failed"  # waiting for Healthy ends early on a failure
    settle(sb, lambda: pod_images(sb, ns, "web"), lambda c: c == {"web:1": 4})
    with pytest.raises(RolloutsError) as err:
        cluster.promote(ref)
    assert err.value.code == errors.ROLLOUT_NOT_PROMOTABLE
    cluster.retry(ref)
    assert argo_status(sb, ns)["abort"] is False
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Paused")
    assert argo_status(sb, ns)["currentStepIndex"] == 1


def test_argo_undo_goes_back_to_the_stable_revision(sb, cluster):
    ns, ref = argo_release(sb, cluster)
    response = cluster.rollback(ref)
    assert (response.workload_kind, response.revision) == ("Rollout", "1")
    assert sb.storage.get(ARGO, ns, "web")["spec"]["template"] == template("web", "web:1")
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert pod_images(sb, ns, "web") == {"web:1": 4}


def test_argo_workload_ref_undo_and_set_image_edit_the_deployment(sb, cluster):
    ns, ref = argo_release(sb, cluster, workload_ref=True)
    deployment = sb.storage.get("deployments.apps", ns, "web")
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "web:2"
    response = cluster.rollback(ref)
    assert (response.workload_kind, response.workload_name) == ("Deployment", "web")
    deployment = sb.storage.get("deployments.apps", ns, "web")
    assert deployment["spec"]["template"] == template("web", "web:1")
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert pod_images(sb, ns, "web") == {"web:1": 4}


def test_argo_blue_green_promote(sb, cluster):
    ns, ref = argo_release(sb, cluster, blue_green=True)
    [write] = cluster.promote(ref).writes
    assert write.body["status"] == {"pauseConditions": None}
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    settle(sb, lambda: pod_images(sb, ns, "web"), lambda c: c == {"web:2": 4})


def test_kruise_v1alpha1_only_cluster_gets_v1alpha1_writes():
    with rw.Sandbox(clock="manual", kruise_versions=("v1alpha1",)) as old:
        cluster = old.connect()
        assert cluster.discovery.kruise_version == "v1alpha1"
        ns, ref = kruise_release(old, cluster, version="v1alpha1")
        [write] = cluster.promote(ref).writes
        assert write.gvr.version == "v1alpha1"
        assert write.body["status"] == {"canaryStatus": {"currentStepState": "StepReady"}}
        settle(old, lambda: block(old, ns), lambda b: b.get("currentStepIndex") == 2)
        response = cluster.rollback(ref)
        assert response.revision == "1"
        settle(old, lambda: status_of(old, ref), lambda s: s == "Healthy")
        assert pod_images(old, ns) == {"shop/app:1": 4}


def test_kruise_restart_releases_a_new_revision_step_by_step(sb, cluster):
    ns = namespace(sb, "r")
    sb.apply(kruise_objects(ns))
    ref = f"{ns}/app"
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    cluster.restart(ref)
    annotations = sb.storage.get("deployments.apps", ns, "app")["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert list(annotations) == ["kubectl.kubernetes.io/restartedAt"]
    after = settle(sb, lambda: block(sb, ns), lambda b: b.get("currentStepState") == "StepPaused")
    assert after["currentStepIndex"] == 1
    assert after["podTemplateHash"] != after["stableRevision"]


def test_argo_analysis_step_runs_show_in_the_summary_and_frame(sb, cluster):
    ns = namespace(sb, "an")
    sb.apply(
        [
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AnalysisTemplate",
                "metadata": {"namespace": ns, "name": "success-rate"},
                "spec": {
                    "metrics": [
                        {
                            "name": "success-rate",
                            "count": 2,
                            "interval": "10s",
                            "failureLimit": 1,
                            "successCondition": "result[0] >= 0.95",
                            "provider": {"web": {"url": "http://metrics.local/rate"}},
                        }
                    ]
                },
            },
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "metadata": {"namespace": ns, "name": "web"},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": template("web", "web:1"),
                    "strategy": {
                        "canary": {
                            "steps": [
                                {"setWeight": 50},
                                {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                                {"pause": {}},
                            ]
                        }
                    },
                },
            },
        ]
    )
    ref = f"{ns}/web"
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    assert cluster.analysis(ref).status == "none"
    cluster.set_image(ref, container="app", image="web:2")
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Paused")
    summary = cluster.analysis(ref)
    assert (summary.source, summary.status) == ("argo", "Successful")
    [run] = summary.runs
    assert (run.kind, run.step_index, run.phase) == ("step", 2, "Successful")
    [metric] = run.metrics
    assert (metric.name, metric.count, metric.successful, metric.count_limit) == (
        "success-rate",
        2,
        2,
        2,
    )
    assert (metric.success_condition, metric.failure_limit, metric.provider) == (
        "result[0] >= 0.95",
        1,
        "web",
    )
    assert [m.phase for m in metric.measurements] == ["Successful", "Successful"]
    assert run.duration_seconds is not None and run.duration_seconds >= 10
    frame = rw.analysis_frame(cluster, ref)
    assert list(frame["metric"]) == ["success-rate", "success-rate"]


def test_argo_restart_under_the_manual_clock_restarts_every_pod(sb, cluster):
    ns, ref = argo_release(sb, cluster)
    cluster.promote(ref, full=True)
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    before = {p["metadata"]["name"] for p in sb.storage.list("pods", ns)[0]}
    cluster.restart(ref)
    restart_at = sb.storage.get(ARGO, ns, "web")["spec"]["restartAt"]
    assert restart_at == sb.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")  # sandbox time, not wall
    settle(sb, lambda: argo_status(sb, ns).get("restartedAt"), lambda r: r == restart_at)
    settle(sb, lambda: status_of(sb, ref), lambda s: s == "Healthy")
    after = {p["metadata"]["name"] for p in sb.storage.list("pods", ns)[0]}
    assert after and not (after & before)
    assert pod_images(sb, ns, "web") == {"web:2": 4}
