"""The Store against the real sandbox: subscriptions, the event log, malformed objects, related
objects of a followed rollout, shared watchers, and nothing left running after close()."""

from __future__ import annotations

import itertools
import threading

import pytest

import rollouts_widgets as rw
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.watch.settings import WatchSettings

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"


def kruise(name: str, namespace: str = "default", phase: str = "Healthy") -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"steps": [{"traffic": "20%"}, {"pause": {}}]}},
        },
        "status": {"phase": phase, "observedGeneration": 1, "message": f"{name} is {phase}"},
    }


def argo(name: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 1, "strategy": {"canary": {"steps": [{"setWeight": 50}]}},
                 "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
        "status": {"phase": "Healthy", "observedGeneration": "1"},
    }


def set_phase(sb, name: str, phase: str, namespace: str = "default") -> None:
    obj = sb.storage.get(KRUISE, namespace, name)
    obj["status"]["phase"] = phase
    sb.storage.update(KRUISE, obj, subresource="status")


def engine_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("rw-"))


@pytest.fixture
def sandbox():
    with rw.Sandbox(controllers=False) as sb:
        for ns in ("shop", "pay", "other"):
            sb.storage.create("namespaces", {"metadata": {"name": ns}})
        yield sb


@pytest.fixture
def cluster(sandbox):
    cluster = sandbox.connect()
    cluster.watch_settings = WatchSettings(heartbeat_interval=0.05, event_log_size=6)
    yield cluster
    cluster.close()


def test_subscribers_get_a_snapshot_then_changes_in_order(sandbox, cluster):
    sandbox.storage.create(KRUISE, kruise("a", "shop"))
    sandbox.storage.create(ARGO, argo("b", "shop"))
    with cluster.store() as store:
        assert store.wait_synced()
        assert [(v.name, v.provider, v.cluster) for v in store.views()] == [
            ("a", "kruise", "sandbox"), ("b", "argo", "sandbox")]
        first: list = []
        store.subscribe(first.append)
        assert first[0].type == "snapshot"
        assert [v.name for v in first[0].rollouts] == ["a", "b"]
        set_phase(sandbox, "a", "Progressing", "shop")
        sandbox.storage.delete(ARGO, "shop", "b")
        assert store.wait_until(lambda s: [v.name for v in s.views()] == ["a"])
        assert store.wait_until(lambda s: len([e for e in first if e.type != "heartbeat"]) == 3)
        # a later subscriber sees the current state, and then only what happens after
        second: list = []
        unsubscribe = store.subscribe(second.append)
        assert [v.name for v in second[0].rollouts] == ["a"]
        assert second[0].rollouts[0].native_phase == "Progressing"
        sandbox.storage.create(KRUISE, kruise("c", "shop"))
        assert store.wait_until(lambda s: s.get("shop/c") is not None)
        changes = [(e.type, e.name) for e in first if e.type in ("upsert", "delete")]
        # Kruise and Argo rollouts come from two streams: order holds within each one
        assert [c for c in changes if c[1] != "b"] == [("upsert", "a"), ("upsert", "c")]
        assert sorted(changes) == [("delete", "b"), ("upsert", "a"), ("upsert", "c")]
        assert store.wait_until(
            lambda s: [(e.type, e.name) for e in second if e.type in ("upsert", "delete")]
            == [("upsert", "c")])
        upsert = next(e for e in first if e.type == "upsert")
        assert (upsert.cluster, upsert.namespace, upsert.key) == ("sandbox", "shop",
                                                                  "sandbox/shop/a")
        assert upsert.previous.native_phase == "Healthy"
        assert upsert.rollout.native_phase == "Progressing"
        assert upsert.resource_version == upsert.rollout.resource_version != ""
        deleted = next(e for e in first if e.type == "delete")
        assert deleted.rollout.provider == "argo"  # the last known view travels with it
        unsubscribe()
        count = len(second)
        sandbox.storage.create(KRUISE, kruise("d", "shop"))
        assert store.wait_until(lambda s: s.get("shop/d") is not None)
        assert store.wait_until(lambda s: any(e.name == "d" for e in first))
        assert len(second) == count


def test_heartbeats_and_last_contact(cluster):
    with cluster.store() as store:
        beats: list = []
        store.subscribe(beats.append)
        assert store.wait_until(lambda s: s.mode == "watch" and len(
            [e for e in beats if e.type == "heartbeat" and e.message is None]) >= 3)
        assert store.last_contact is not None and store.last_contact.tzinfo is not None
        periodic = [e for e in beats if e.type == "heartbeat" and e.message is None]
        assert periodic and all(e.cluster == "sandbox" for e in periodic)
        assert not [e for e in store.events() if e.type == "heartbeat" and e.message is None]


def test_a_broken_subscriber_does_not_stop_the_others(sandbox, cluster):
    def broken(event):
        raise RuntimeError("boom")

    with cluster.store("shop") as store:
        seen: list = []
        store.subscribe(broken)
        store.subscribe(seen.append)
        sandbox.storage.create(KRUISE, kruise("a", "shop"))
        assert store.wait_until(lambda s: any(e.name == "a" for e in seen))
        with pytest.raises(RolloutsError) as err:
            store.subscribe("not callable")
        assert err.value.code == "INVALID_INPUT"


def test_event_log_is_bounded_and_keeps_before_and_after(sandbox, cluster):
    sandbox.storage.create(KRUISE, kruise("a"))
    with cluster.store("default") as store:
        assert store.wait_until(lambda s: len(s) == 1 and s.mode == "watch")
        assert [e.type for e in store.events()] == ["heartbeat"]  # the first load is not logged
        phases = ["Progressing", "Healthy", "Progressing", "Disabling", "Disabled",
                  "Healthy", "Progressing"]
        for phase in phases:
            set_phase(sandbox, "a", phase)
        assert store.wait_until(lambda s: s.get("default/a").native_phase == "Progressing"
                                and len(s.events()) == 6)
        log = store.events()
        # seven changes, the log keeps the last six (the first load is not logged)
        assert [(e.previous.native_phase, e.rollout.native_phase) for e in log] == list(
            itertools.pairwise(phases))


def test_malformed_objects_become_unknown_rows_with_an_error_event(sandbox, cluster):
    with cluster.store("default") as store:
        events: list = []
        store.subscribe(events.append)
        assert store.wait_synced()
        broken = kruise("broken")
        broken["spec"]["strategy"]["canary"]["steps"] = "<script>alert(1)</script>"
        sandbox.storage.create(KRUISE, broken)
        sandbox.storage.create(KRUISE, kruise("fine"))  # the watcher carries on
        assert store.wait_until(lambda s: [v.name for v in s.views()] == ["broken", "fine"])
        row = store.get("default/broken")
        assert row.status == "Unknown"
        assert row.message.startswith("malformed rollout: spec.strategy.canary.steps")
        assert store.get("default/fine").native_phase == "Healthy"
        assert store.wait_until(lambda s: any(e.type == "error" for e in events))
        error = next(e for e in events if e.type == "error")
        assert (error.code, error.name, error.message) == ("INVALID_INPUT", "broken",
                                                           row.message)
        assert store.mode == "watch"


def test_namespace_lists_and_refs(sandbox, cluster):
    sandbox.storage.create(KRUISE, kruise("a", "shop"))
    sandbox.storage.create(KRUISE, kruise("b", "pay"))
    sandbox.storage.create(KRUISE, kruise("c", "other"))
    with cluster.store(["shop", "pay"]) as store:
        assert store.wait_synced()
        assert [v.ref for v in store.views()] == ["pay/b", "shop/a"]
        assert store.get("sandbox/shop/a").name == "a"
        assert store.get("elsewhere/shop/a") is None
        assert store.get("other/c") is None
        assert store.get(store.get("pay/b")) == store.get("pay/b")
        assert store.raw("pay/b")["metadata"]["name"] == "b"
        with pytest.raises(RolloutsError) as err:
            store.get("shop/<b>")
        assert err.value.code == "INVALID_INPUT"
        with pytest.raises(RolloutsError) as err:
            store.follow("other/c")
        assert err.value.code == "NOT_FOUND"


def test_stores_share_watchers_and_nothing_is_left_after_close(sandbox, cluster):
    baseline = engine_threads()
    sandbox.storage.create(KRUISE, kruise("a"))
    one = cluster.store()
    two = cluster.store()
    shop = cluster.store("shop")
    assert one.wait_synced() and two.wait_synced() and shop.wait_synced()
    # kruise + argo rollouts, and the Kruise workload kinds (deployments, statefulsets,
    # clonesets), for all namespaces (shared by both stores) and for "shop"
    assert len(cluster.pool.watchers()) == 2 * (2 + 3)
    one.close()
    assert one.mode == "stopped"
    set_phase(sandbox, "a", "Progressing")
    assert two.wait_until(lambda s: s.get("default/a").native_phase == "Progressing")
    assert len(cluster.pool.watchers()) == 2 * (2 + 3)
    two.close()
    shop.close()
    assert cluster.pool.watchers() == []
    assert engine_threads() == baseline == []


def test_follow_makes_pod_only_changes_reach_the_view(sandbox, cluster):
    storage = sandbox.storage
    storage.create(KRUISE, kruise("web", "shop"))
    deploy = storage.create("deployments.apps", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "app", "image": "web:1"}]}}}})
    rs = storage.create("replicasets.apps", {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "web-abc", "namespace": "shop",
                     "labels": {"app": "web", "pod-template-hash": "abc"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                          "name": "web", "uid": deploy["metadata"]["uid"],
                                          "controller": True}]},
        "spec": {"replicas": 1, "template": deploy["spec"]["template"]}})
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-abc-1", "namespace": "shop",
                     "labels": {"app": "web", "pod-template-hash": "abc"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                          "name": "web-abc", "uid": rs["metadata"]["uid"],
                                          "controller": True}]},
        "spec": {"containers": [{"name": "app", "image": "web:1"}]},
        "status": {"phase": "Pending"},
    }
    storage.create("pods", pod)
    storage.create("pods", {"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": "stranger", "namespace": "shop"},
                            "spec": {"containers": [{"name": "x", "image": "x"}]}})
    with cluster.store("shop") as store:
        assert store.wait_synced()
        events: list = []
        store.subscribe(events.append)
        before = len(cluster.pool.watchers())
        handle = store.follow("shop/web")
        assert store.following("shop/web")
        # rs, pods, events (the store of "shop" already watches its deployments)
        assert len(cluster.pool.watchers()) == before + 3
        assert store.wait_until(lambda s: all(w.synced for w in cluster.pool.watchers()))
        names = sorted(o["metadata"]["name"] for o in store.related("shop/web"))
        assert names == ["web", "web-abc", "web-abc-1"]
        # a pod-only change: the rollout object itself does not change
        rollout_rv = store.get("shop/web").resource_version
        live = storage.get("pods", "shop", "web-abc-1")
        live["status"] = {"phase": "Running"}
        storage.update("pods", live, subresource="status")
        assert store.wait_until(lambda s: any(
            e.type == "upsert" and e.message == "related objects changed"
            and any(o["metadata"]["name"] == "web-abc-1"
                    and o["status"]["phase"] == "Running" for o in s.related("shop/web"))
            for e in events))
        assert store.get("shop/web").resource_version == rollout_rv
        pods = store.pods("shop/web")
        assert [p.name for p in pods] == ["web-abc-1"]
        # a change to an unrelated pod does not produce an upsert
        count = len([e for e in events if e.type == "upsert"])
        stranger = storage.get("pods", "shop", "stranger")
        stranger["metadata"]["labels"] = {"touched": "yes"}
        storage.update("pods", stranger)
        storage.create(KRUISE, kruise("marker", "shop"))
        assert store.wait_until(lambda s: s.get("shop/marker") is not None)
        upserts = [e.name for e in events if e.type == "upsert"][count:]
        assert upserts == ["marker"]
        handle.close()
        handle.close()  # idempotent
        assert not store.following("shop/web")
        assert len(cluster.pool.watchers()) == before
        # without the follow, related() reads fresh from the API server
        names = sorted(o["metadata"]["name"] for o in store.related("shop/web"))
        assert names == ["web", "web-abc", "web-abc-1"]


def test_a_subscriber_may_follow_and_close_from_its_callback(sandbox, cluster):
    store = cluster.store("shop")
    handles = []
    closed = threading.Event()

    def on_event(event):
        if event.type == "upsert" and event.name == "a" and not handles:
            handles.append(store.follow("shop/a"))  # re-enters the store on this thread
        if event.type == "upsert" and event.name == "stop":
            store.close()
            closed.set()

    store.subscribe(on_event)
    sandbox.storage.create(KRUISE, kruise("a", "shop"))
    assert store.wait_until(lambda s: s.following("shop/a"))
    sandbox.storage.create(KRUISE, kruise("stop", "shop"))
    assert closed.wait(10)
    assert store.mode == "stopped"
    handles[0].close()
    assert [w.description for w in cluster.pool.watchers()] == []


def test_raw_is_an_independent_copy_of_the_cached_object(sandbox, cluster):
    sandbox.storage.create(KRUISE, kruise("a", "shop"))
    with cluster.store("shop") as store:
        assert store.wait_until(lambda s: len(s) == 1)
        first = store.raw("shop/a")
        assert first["metadata"]["name"] == "a"
        assert first["spec"] == sandbox.storage.get(KRUISE, "shop", "a")["spec"]
        first["spec"]["disabled"] = True  # a caller's edit stays the caller's
        assert "disabled" not in store.raw("shop/a")["spec"]
        assert store.raw("shop/missing") is None


def deployment(name: str, namespace: str, ready: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": 4, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": f"{name}:7"}]}}},
        "status": {"replicas": 4, "readyReplicas": ready, "updatedReplicas": 4,
                   "availableReplicas": ready},
    }


def test_kruise_rows_carry_their_workloads_replicas_and_images_live(sandbox, cluster):
    sandbox.storage.create(KRUISE, kruise("web", "shop"))
    with cluster.store("shop") as store:
        assert store.wait_until(lambda s: len(s) == 1)
        assert store.get("shop/web").replicas is None  # no workload yet
        sandbox.storage.create("deployments.apps", deployment("web", "shop", ready=3))
        assert store.wait_until(lambda s: s.get("shop/web").replicas == 4)
        view = store.get("shop/web")
        assert (view.ready_replicas, view.images) == (3, ("web:7",))
        seen = []
        store.subscribe(lambda e: seen.append(e) if e.type == "upsert" else None)
        obj = sandbox.storage.get("deployments.apps", "shop", "web")
        obj["status"]["readyReplicas"] = 4
        sandbox.storage.update("deployments.apps", obj, subresource="status")
        assert store.wait_until(lambda s: s.get("shop/web").ready_replicas == 4)
        assert seen and seen[-1].message == "workload changed"
        sandbox.storage.delete("deployments.apps", "shop", "web")
        assert store.wait_until(lambda s: s.get("shop/web").replicas is None)
    assert engine_threads() == []
