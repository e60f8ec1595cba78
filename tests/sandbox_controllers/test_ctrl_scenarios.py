"""Scenarios: the demo's inventory and life, ``scale:N``, ``empty``, and bad names."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from test_ctrl_support import ARGO_RO, KRUISE_RO, Cluster

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.clock import make_clock
from rollouts_widgets.sandbox.controllers import ControllerManager
from rollouts_widgets.sandbox.scenarios import demo, load_scenario
from rollouts_widgets.sandbox.storage import ObjectStore


@pytest.fixture(scope="module")
def demo_cluster() -> Cluster:
    scenario = load_scenario("demo")
    c = Cluster(scenario=scenario)
    c.apply(scenario.objects)
    c.advance(150, step=3)
    return c


def _phases(c: Cluster) -> dict[str, tuple[str, str]]:
    return {
        f"{r['metadata']['namespace']}/{r['metadata']['name']}":
            (r["status"]["phase"], r["status"].get("message", ""))
        for resource in (ARGO_RO, KRUISE_RO) for r in c.list(resource)
    }


def test_demo_objects_cover_both_providers_and_three_namespaces():
    scenario = load_scenario("demo")
    kinds = Counter((o["apiVersion"], o["kind"]) for o in scenario.objects)
    assert kinds[("argoproj.io/v1alpha1", "Rollout")] == 9
    assert kinds[("rollouts.kruise.io/v1beta1", "Rollout")] == 7
    assert kinds[("rollouts.kruise.io/v1alpha1", "Rollout")] == 1
    assert [o["metadata"]["name"] for o in scenario.objects if o["kind"] == "Namespace"] == [
        "shop", "payments", "platform"]
    assert kinds[("v1", "Service")] == 20
    assert kinds[("argoproj.io/v1alpha1", "AnalysisTemplate")] == 2
    assert scenario.config["bad_images"] == {"2.0.0-rc1": "CrashLoopBackOff",
                                             "3.1.0-typo": "ImagePullBackOff"}


def test_demo_inventory_shows_every_status(demo_cluster):
    phases = _phases(demo_cluster)
    assert len(phases) == 17
    assert {key.split("/")[0] for key in phases} == {"shop", "payments", "platform"}
    assert phases["shop/checkout"] == ("Paused", "CanaryPauseStep")
    assert phases["shop/cart"][0] == "Degraded"
    assert phases["shop/cart"][1].startswith("RolloutAborted: Rollout aborted update to "
                                             "revision 2: AnalysisRun ")
    assert phases["shop/storefront"] == ("Paused", "BlueGreenPause")
    assert phases["shop/catalog"] == (
        "Progressing",
        "Rollout is in step(1/3), and you need manually confirm to enter the next step")
    assert phases["payments/billing"] == ("Disabled", "Rollout is disabled")
    assert phases["payments/gateway"][1].startswith("ProgressDeadlineExceeded: ")
    assert phases["platform/notifications"] == ("Paused", "manually paused")
    assert phases["platform/metrics"] == ("Paused", "InconclusiveAnalysisRun")
    assert phases["platform/config-service"] == (
        "Progressing", "Rollout has been paused, you can resume it by kube-cli")
    assert phases["platform/edge-proxy"][0] == "Progressing"
    assert phases["platform/scheduler"][0] == "Progressing"
    assert phases["payments/invoices"][0] == "Healthy"
    assert {p for p, _ in phases.values()} == {"Healthy", "Progressing", "Paused", "Degraded",
                                              "Disabled"}


def test_demo_has_pods_in_every_state_and_events(demo_cluster):
    pods = demo_cluster.list("pods")
    waiting = Counter(
        (p["status"].get("containerStatuses") or [{}])[0].get("state", {}).get(
            "waiting", {}).get("reason") for p in pods)
    assert waiting["CrashLoopBackOff"] >= 1
    assert waiting["ImagePullBackOff"] >= 1
    assert sum(p["status"]["phase"] == "Running" for p in pods) > 40
    assert {e["reason"] for e in demo_cluster.list("events")} >= {
        "Scheduled", "Started", "BackOff", "ScalingReplicaSet", "RolloutPaused"}


def test_demo_keeps_moving_and_starts_new_releases():
    scenario = load_scenario("demo")
    c = Cluster(scenario=scenario)
    c.apply(scenario.objects)
    c.advance(60, step=5)
    before = {r["metadata"]["name"]: r["status"].get("stableRS") or r["status"].get(
        "canaryStatus", {}).get("stableRevision") for r in c.list(ARGO_RO) + c.list(KRUISE_RO)}
    images_before = {p["spec"]["containers"][0]["image"] for p in c.list("pods")}
    c.advance(demo.RELEASE_EVERY * 2, step=5)
    images_after = {p["spec"]["containers"][0]["image"] for p in c.list("pods")}
    new_images = images_after - images_before
    assert new_images, "no new release was started"
    released = {img.rsplit("/", 1)[1].split(":")[0] for img in new_images}
    assert released <= set(demo.ROTATION)
    assert any(img.endswith((":1.1.1", ":9.0.3")) for img in new_images)
    assert before  # the inventory was read


def test_scale_scenario_has_n_rollouts_and_a_steady_release_rate():
    scenario = load_scenario("scale:40")
    c = Cluster(scenario=scenario)
    c.apply(scenario.objects)
    c.advance(6, step=2)
    argo, kruise = c.list(ARGO_RO), c.list(KRUISE_RO)
    assert (len(argo), len(kruise)) == (20, 20)
    assert len({r["metadata"]["namespace"] for r in argo + kruise}) == 10
    changes = Counter()
    c.store.add_listener(lambda kind, resource, obj: changes.update([resource]))
    c.advance(20, step=2)
    tags = Counter(p["spec"]["containers"][0]["image"].rsplit(":", 1)[1]
                   for p in c.list("pods"))
    assert tags["1.0.1"] >= 2 * (40 // 20)
    assert changes["pods"] > 0 and changes["events"] > 0


def test_empty_and_unknown_scenarios():
    assert load_scenario("empty").objects == []
    assert load_scenario("empty").tick(None, None) is False
    for bad in ("nope", "scale:", "scale:-1", "scale:abc", "scale:99999999"):
        with pytest.raises(RolloutsError) as caught:
            load_scenario(bad)
        assert caught.value.code == errors.INVALID_INPUT


def test_background_manager_reacts_to_store_changes():
    clock = make_clock("scaled", speed=50.0)
    store = ObjectStore(now=clock.now)
    manager = ControllerManager(store, clock, load_scenario("empty"))
    ready = threading.Event()

    def on_change(kind, resource, obj):
        if resource == "pods" and (obj.get("status") or {}).get("phase") == "Running":
            ready.set()

    store.add_listener(on_change)
    manager.start()
    try:
        store.create("deployments.apps", {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "live"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "live"}},
                     "template": {"metadata": {"labels": {"app": "live"}},
                                  "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}})
        assert ready.wait(timeout=20), "the background controllers did not start the pod"
    finally:
        manager.stop()
    assert manager._thread is None


def test_controllers_never_mutate_the_stores_objects_and_rest_when_settled():
    import copy

    from rollouts_widgets.sandbox.resources import STORED_KEYS

    scenario = load_scenario("demo")
    c = Cluster(scenario=scenario)
    c.apply(scenario.objects)
    c.settle()
    c.clock.remove_step_listener(c.manager.run_until_quiet)  # rounds by hand from here
    writes = 0
    for _ in range(30):  # releases in progress: most rounds write
        c.clock.advance(0.5)
        before = [(obj, copy.deepcopy(obj))
                  for res in STORED_KEYS for obj in c.store.page(res)[0]]
        writes += c.manager.reconcile_round()
        for obj, snapshot in before:
            assert obj == snapshot, f"{obj['kind']} {obj['metadata']['name']} was mutated"
    assert writes > 50
    rv = c.store.resource_version
    assert c.manager.run_until_quiet() == 1
    assert c.store.resource_version == rv
