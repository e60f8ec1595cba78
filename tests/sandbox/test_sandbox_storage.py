"""The object store through its Python API (the contract the controllers code against)."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.storage import CLOSED, ObjectStore

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


def kruise_rollout(name: str = "web", **spec) -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "strategy": {"canary": {"steps": [{"traffic": "20%"}]}}, **spec},
    }


@pytest.fixture
def store() -> ObjectStore:
    return ObjectStore(now=lambda: T0)


def test_create_assigns_server_fields(store):
    obj = store.create(KRUISE, kruise_rollout())
    meta = obj["metadata"]
    assert meta["generation"] == 1
    assert meta["creationTimestamp"] == "2026-01-01T12:00:00Z"
    assert len(meta["uid"]) == 36
    assert int(meta["resourceVersion"]) > 0
    assert obj["apiVersion"] == "rollouts.kruise.io/v1beta1" and obj["kind"] == "Rollout"
    assert store.get(KRUISE, "default", "web") == obj


def test_resource_versions_are_global_and_increasing(store):
    a = store.create("pods", {"metadata": {"name": "a"}})
    b = store.create(ARGO, {"metadata": {"name": "b"}, "spec": {}})
    c = store.patch("pods", "default", "a", {"metadata": {"labels": {"x": "1"}}})
    rvs = [int(o["metadata"]["resourceVersion"]) for o in (a, b, c)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3
    assert store.resource_version == str(rvs[-1])


def test_generation_bumps_on_spec_only(store):
    store.create(KRUISE, kruise_rollout())
    labelled = store.patch(KRUISE, "default", "web", {"metadata": {"labels": {"x": "y"}}})
    assert labelled["metadata"]["generation"] == 1
    status = store.patch(KRUISE, "default", "web", {"status": {"phase": "Healthy"}},
                         subresource="status")
    assert status["metadata"]["generation"] == 1
    paused = store.patch(KRUISE, "default", "web", {"spec": {"strategy": {"paused": True}}})
    assert paused["metadata"]["generation"] == 2
    assert paused["status"] == {"phase": "Healthy"}


def test_noop_update_keeps_resource_version_and_sends_no_event(store):
    created = store.create(KRUISE, kruise_rollout())
    seen = []
    store.add_listener(lambda t, r, o: seen.append(t))
    again = store.patch(KRUISE, "default", "web", {"spec": {"disabled": None}})
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert seen == []


def test_main_resource_ignores_status_and_status_ignores_spec(store):
    store.create(KRUISE, kruise_rollout())
    obj = store.get(KRUISE, "default", "web")
    obj["status"] = {"phase": "Progressing"}
    obj["spec"]["disabled"] = True
    updated = store.update(KRUISE, obj)
    assert "status" not in updated and updated["spec"]["disabled"] is True
    obj = store.get(KRUISE, "default", "web")
    obj["status"] = {"phase": "Healthy"}
    obj["spec"]["disabled"] = False
    updated = store.update(KRUISE, obj, subresource="status")
    assert updated["status"] == {"phase": "Healthy"} and updated["spec"]["disabled"] is True


def test_stale_resource_version_is_a_conflict(store):
    first = store.create(ARGO, {"metadata": {"name": "r"}, "spec": {"replicas": 1}})
    store.patch(ARGO, "default", "r", {"spec": {"replicas": 2}})
    first["spec"]["replicas"] = 3
    with pytest.raises(RolloutsError) as info:
        store.update(ARGO, first)
    assert info.value.code == errors.CONFLICT
    assert info.value.status["code"] == 409 and info.value.status["reason"] == "Conflict"
    assert store.get(ARGO, "default", "r")["spec"]["replicas"] == 2


def test_kruise_rollout_prunes_unknown_fields(store):
    created = store.create(KRUISE, kruise_rollout(paused=True, bogus=1))
    assert "paused" not in created["spec"] and "bogus" not in created["spec"]
    patched = store.patch(KRUISE, "default", "web", {"spec": {"paused": True}})
    assert "paused" not in patched["spec"]
    assert patched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    real = store.patch(KRUISE, "default", "web", {"spec": {"strategy": {"paused": True}}})
    assert real["spec"]["strategy"]["paused"] is True


def test_name_validation_and_existing_names(store):
    for bad in ("Bad_Name", "-x", "a" * 254, "UPPER"):
        with pytest.raises(RolloutsError) as info:
            store.create("pods", {"metadata": {"name": bad}})
        assert info.value.code == errors.INVALID_INPUT and info.value.status["code"] == 422
        assert info.value.status["details"]["causes"][0]["field"] == "metadata.name"
    with pytest.raises(RolloutsError) as info:
        store.create("services", {"metadata": {"name": "has.dot"}})
    assert "RFC 1123 label" in info.value.message
    store.create("pods", {"metadata": {"name": "ok"}})
    with pytest.raises(RolloutsError) as info:
        store.create("pods", {"metadata": {"name": "ok"}})
    assert info.value.code == errors.CONFLICT and info.value.status["reason"] == "AlreadyExists"


def test_namespace_must_exist_and_generate_name(store):
    with pytest.raises(RolloutsError) as info:
        store.create("pods", {"metadata": {"name": "p", "namespace": "shop"}})
    assert info.value.code == errors.NOT_FOUND and 'namespaces "shop"' in info.value.message
    store.create("namespaces", {"metadata": {"name": "shop"}})
    pod = store.create("pods", {"metadata": {"generateName": "web-", "namespace": "shop"}})
    assert pod["metadata"]["name"].startswith("web-") and len(pod["metadata"]["name"]) == 9


def test_delete_cascades_to_owned_objects_and_namespace_contents(store):
    store.create("namespaces", {"metadata": {"name": "shop"}})
    rs = store.create("replicasets.apps", {"metadata": {"name": "rs", "namespace": "shop"},
                                           "spec": {}})
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
             "uid": rs["metadata"]["uid"], "controller": True}
    store.create("pods", {"metadata": {"name": "p1", "namespace": "shop",
                                       "ownerReferences": [owner]}})
    store.create("pods", {"metadata": {"name": "p2", "namespace": "shop"}})
    store.delete("replicasets.apps", "shop", "rs")
    assert [p["metadata"]["name"] for p in store.list("pods", "shop")[0]] == ["p2"]
    store.delete("namespaces", None, "shop")
    assert store.list("pods")[0] == []


def test_list_selectors(store):
    for name, labels in (("a", {"app": "web", "tier": "fe"}), ("b", {"app": "api"}),
                         ("c", {"tier": "be"})):
        store.create("pods", {"metadata": {"name": name, "labels": labels}})

    def names(**kw):
        return [o["metadata"]["name"] for o in store.list("pods", **kw)[0]]

    assert names(label_selector="app=web") == ["a"]
    assert names(label_selector="app==api") == ["b"]
    assert names(label_selector="app!=web") == ["b", "c"]
    assert names(label_selector="app in (web,api)") == ["a", "b"]
    assert names(label_selector="app notin (web)") == ["b", "c"]
    assert names(label_selector="tier") == ["a", "c"]
    assert names(label_selector="!tier") == ["b"]
    assert names(label_selector="app,tier=fe") == ["a"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.namespace=default,metadata.name!=a") == ["b", "c"]
    with pytest.raises(RolloutsError) as info:
        names(label_selector="app in web")
    assert info.value.status["code"] == 400


def test_listeners_get_copies_after_commit(store):
    seen = []

    def listener(event_type, resource, obj):
        seen.append((event_type, resource, obj["metadata"]["name"]))
        obj["metadata"]["name"] = "mutated"  # must not reach the store

    store.add_listener(listener)
    store.create("pods", {"metadata": {"name": "p"}})
    store.patch("pods", "default", "p", {"metadata": {"labels": {"a": "b"}}})
    store.delete("pods", "default", "p")
    assert seen == [("ADDED", "pods", "p"), ("MODIFIED", "pods", "p"), ("DELETED", "pods", "p")]
    store.remove_listener(listener)
    store.create("pods", {"metadata": {"name": "q"}})
    assert len(seen) == 3 and store.get("pods", "default", "q")["metadata"]["name"] == "q"


def test_watch_replays_history_and_expires_after_compaction(store):
    first = store.create("pods", {"metadata": {"name": "a"}})
    store.create("pods", {"metadata": {"name": "b", "labels": {"x": "1"}}})
    store.delete("pods", "default", "a")
    watch = store.open_watch("pods", resource_version=first["metadata"]["resourceVersion"])
    events = [watch.next(0) for _ in range(3)]
    assert [(t, o["metadata"]["name"]) for t, o in events[:2]] == [("ADDED", "b"),
                                                                   ("DELETED", "a")]
    assert events[2] is None
    labelled = store.open_watch("pods", label_selector="x=1")
    assert labelled.next(0)[1]["metadata"]["name"] == "b"
    store.patch("pods", "default", "b", {"metadata": {"labels": {"x": "2"}}})
    assert labelled.next(0)[0] == "DELETED"  # left the selector
    store.compact()
    with pytest.raises(RolloutsError) as info:
        store.open_watch("pods", resource_version=first["metadata"]["resourceVersion"])
    assert info.value.status["code"] == 410 and info.value.status["reason"] == "Expired"
    assert store.close_watches() == 2
    assert watch.next(0)[0] == "MODIFIED"  # queued before the close
    assert watch.next(0) is CLOSED


def test_bounded_history_expires_old_versions():
    store = ObjectStore(history_limit=3)
    first = store.create("pods", {"metadata": {"name": "p0"}})
    for n in range(1, 5):
        store.create("pods", {"metadata": {"name": f"p{n}"}})
    with pytest.raises(RolloutsError):
        store.open_watch("pods", resource_version=first["metadata"]["resourceVersion"])
    recent = store.open_watch("pods", resource_version=str(int(store.resource_version) - 2))
    assert [recent.next(0)[1]["metadata"]["name"] for _ in range(2)] == ["p3", "p4"]


def test_concurrent_writers_never_lose_an_update(store):
    store.create(ARGO, {"metadata": {"name": "counter"}, "spec": {"n": 0}})

    def bump():
        for _ in range(50):
            while True:
                obj = store.get(ARGO, "default", "counter")
                obj["spec"]["n"] += 1
                try:
                    store.update(ARGO, obj)
                    break
                except RolloutsError as err:
                    assert err.code == errors.CONFLICT

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(ARGO, "default", "counter")["spec"]["n"] == 200


def test_bad_objects_are_refused_without_side_effects(store):
    before = store.resource_version
    for bad in ("text", {"metadata": "x"}, {"metadata": {"name": "p", "labels": {"a": 1}}}):
        with pytest.raises(RolloutsError) as info:
            store.create("pods", bad)
        assert info.value.code == errors.INVALID_INPUT
    with pytest.raises(RolloutsError) as info:
        store.get("widgets.example.com", "default", "x")
    assert info.value.code == errors.NOT_FOUND
    with pytest.raises(RolloutsError) as info:
        store.patch(ARGO, "default", "missing", {"spec": {}})
    assert info.value.code == errors.NOT_FOUND
    assert store.resource_version == before


def test_a_failing_listener_does_not_fail_the_write(store, caplog):
    calls = []

    def broken(event_type, resource, obj):
        raise RuntimeError("listener bug")

    store.add_listener(broken)
    store.add_listener(lambda t, r, o: calls.append(o["metadata"]["name"]))
    created = store.create("pods", {"metadata": {"name": "p"}})
    assert created["metadata"]["name"] == "p" and calls == ["p"]
    assert "listener bug" in caplog.text


def test_restore_keeps_identity(store):
    obj = {"metadata": {"name": "p", "uid": "1234", "creationTimestamp": "2025-05-05T00:00:00Z",
                        "generation": 7}}
    restored = store.create("pods", obj, restore=True)
    assert (restored["metadata"]["uid"], restored["metadata"]["creationTimestamp"],
            restored["metadata"]["generation"]) == ("1234", "2025-05-05T00:00:00Z", 7)
    fresh = store.create("pods", {**obj, "metadata": {**obj["metadata"], "name": "q"}})
    assert fresh["metadata"]["uid"] != "1234" and fresh["metadata"]["generation"] == 1


def test_default_namespace_cannot_be_deleted(store):
    with pytest.raises(RolloutsError) as info:
        store.delete("namespaces", None, "default")
    assert info.value.code == errors.FORBIDDEN and info.value.status["code"] == 403
    assert store.get("namespaces", None, "default")["status"] == {"phase": "Active"}
