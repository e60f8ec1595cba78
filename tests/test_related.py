"""Related objects of a rollout: revisions with roles, pods with states, events (both providers)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.model.related import (
    EventView,
    PodView,
    event_view,
    events,
    pod_view,
    pods,
    revisions,
)

FIXTURES = Path(__file__).parent / "fixtures" / "related"


def load(name: str) -> tuple[dict, list[dict]]:
    rollout, *related = yaml.safe_load_all((FIXTURES / f"{name}.yaml").read_text("utf-8"))
    return rollout, related


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def summary(name: str) -> list[tuple]:
    rollout, related = load(name)
    return [
        (r.role, r.name, r.revision, r.template_hash, r.replicas, r.ready_replicas,
         r.available_replicas, r.images, [(p.name, p.state) for p in r.pods])
        for r in revisions(rollout, related)
    ]


def test_argo_canary_roles_counts_and_pods():
    assert summary("argo_canary") == [
        ("canary", "checkout-7f9c8d6a4", 4, "7f9c8d6a4", 1, 0, 0,
         ("repo/checkout:1.1", "repo/migrate:1.1"),
         [("checkout-7f9c8d6a4-ccccc", "CrashLoopBackOff")]),
        ("stable", "checkout-6d8f9c7b5", 3, "6d8f9c7b5", 4, 4, 3, ("repo/checkout:1.0",),
         [("checkout-6d8f9c7b5-aaaaa", "Ready"), ("checkout-6d8f9c7b5-bbbbb", "Ready")]),
        ("old", "checkout-5c4b3a291", 2, "5c4b3a291", 0, 0, 0, ("repo/checkout:0.9",),
         [("checkout-5c4b3a291-ddddd", "Terminating")]),
    ]


def test_argo_canary_crashloop_pod_details():
    rollout, related = load("argo_canary")
    crashing = next(p for p in pods(rollout, related) if p.name.endswith("ccccc"))
    assert crashing == PodView(
        name="checkout-7f9c8d6a4-ccccc", namespace="shop", state="CrashLoopBackOff",
        phase="Running", reason="CrashLoopBackOff",
        message="back-off 5m0s restarting failed container=app", restarts=7, ready=False,
        revision="7f9c8d6a4", node="node-a", images=("repo/checkout:1.1", "repo/migrate:1.1"),
        created=utc("2026-03-02T09:00:02"),
    )
    assert [p.name for p in pods(rollout, related)] == [
        "checkout-7f9c8d6a4-ccccc", "checkout-6d8f9c7b5-aaaaa", "checkout-6d8f9c7b5-bbbbb",
        "checkout-5c4b3a291-ddddd",
    ]


def test_argo_canary_template_is_a_copy_for_rollback():
    rollout, related = load("argo_canary")
    stable = next(r for r in revisions(rollout, related) if r.role == "stable")
    assert stable.template == related[0]["spec"]["template"]
    stable.template["metadata"]["labels"].clear()
    assert related[0]["spec"]["template"]["metadata"]["labels"]["app"] == "checkout"


def test_argo_canary_events_newest_first_and_only_ours():
    rollout, related = load("argo_canary")
    assert [(e.ts, e.type, e.reason, e.object_kind, e.object_name, e.count)
            for e in events(rollout, related)] == [
        (utc("2026-03-02T09:10:00"), "Warning", "BackOff", "Pod", "checkout-7f9c8d6a4-ccccc", 12),
        (utc("2026-03-02T09:07:00.5"), "Normal", "Pulled", "Pod", "checkout-6d8f9c7b5-aaaaa", 3),
        (utc("2026-03-02T09:05:00"), "Normal", "RolloutStepCompleted", "Rollout", "checkout", 1),
        (utc("2026-03-02T09:00:01"), "Normal", "SuccessfulCreate", "ReplicaSet",
         "checkout-7f9c8d6a4", 1),
    ]
    backoff = events(rollout, related)[0]
    # hostile text stays plain text: nothing is escaped or interpreted here
    assert backoff.message == "<script>alert('x')</script> Back-off restarting failed container"
    pulled = events(rollout, related)[1]
    assert pulled.message == "Container image already present on machine"  # events.k8s.io note


def test_argo_bluegreen_roles_and_pod_states():
    assert summary("argo_bluegreen") == [
        ("preview", "web-bbb222", 3, "bbb222", 3, 0, 0, ("repo/web:3",),
         [("web-bbb222-creating", "Pending"), ("web-bbb222-orphan", "ErrImagePull"),
          ("web-bbb222-pull", "ImagePullBackOff")]),
        ("active", "web-aaa111", 2, "aaa111", 2, 2, 2, ("repo/web:2",),
         [("web-aaa111-one", "Ready")]),
        ("old", "web-ccc333", 1, "ccc333", 0, 0, 0, ("repo/web:1",), []),
    ]
    rollout, related = load("argo_bluegreen")
    creating = next(p for p in pods(rollout, related) if p.name == "web-bbb222-creating")
    assert (creating.reason, creating.ready, creating.node) == (
        "ContainerCreating", False, "node-b"
    )


def test_argo_bluegreen_after_promotion_preview_equals_active():
    rollout, related = load("argo_bluegreen")
    rollout["status"]["blueGreen"] = {"activeSelector": "bbb222", "previewSelector": "bbb222"}
    roles = {r.name: r.role for r in revisions(rollout, related)}
    assert roles == {"web-bbb222": "active", "web-aaa111": "old", "web-ccc333": "old"}


def test_argo_workload_ref_includes_the_deployments_own_replicasets():
    assert [row[:7] for row in summary("argo_workloadref")] == [
        ("canary", "api-222bbb", 2, "222bbb", 1, 1, 1),
        ("stable", "api-111aaa", 1, "111aaa", 2, 2, 2),
        ("old", "api-5f5f5f5f", 1, "5f5f5f5f", 0, 0, 0),
    ]
    rollout, related = load("argo_workloadref")
    assert [(e.object_kind, e.object_name, e.reason) for e in events(rollout, related)] == [
        ("Deployment", "api", "ScalingReplicaSet")
    ]


def test_kruise_partition_deployment_uses_pod_template_hash_not_canary_revision():
    assert summary("kruise_partition") == [
        ("canary", "orders-5b7d8c9f2", 4, "5b7d8c9f2", 1, 1, 1, ("repo/orders:4",),
         [("orders-5b7d8c9f2-new", "Ready")]),
        ("stable", "orders-84c9d7f6b", 3, "84c9d7f6b", 3, 2, 2, ("repo/orders:3",),
         [("orders-84c9d7f6b-evicted", "Failed"), ("orders-84c9d7f6b-ok", "Ready"),
          ("orders-84c9d7f6b-warming", "Running")]),
        ("old", "orders-6a6a6a6a6", 2, "6a6a6a6a6", 0, 0, 0, ("repo/orders:2",), []),
    ]
    rollout, related = load("kruise_partition")
    evicted = next(p for p in pods(rollout, related) if p.name.endswith("evicted"))
    assert (evicted.reason, evicted.message) == ("Evicted", "The node was low on resource: memory.")
    assert [e.reason for e in events(rollout, related)] == [
        "Progressing", "ScalingReplicaSet", "Evicted"
    ]


def test_kruise_deployment_without_release_status_newest_is_stable():
    rollout, related = load("kruise_partition")
    del rollout["status"]
    roles = [(r.name, r.role) for r in revisions(rollout, related)]
    assert roles == [
        ("orders-5b7d8c9f2", "stable"), ("orders-84c9d7f6b", "old"), ("orders-6a6a6a6a6", "old")
    ]


def test_kruise_canary_style_v1alpha1_canary_deployment():
    assert [row[:8] for row in summary("kruise_canary_style")] == [
        ("canary", "payments-canary-9e9e9e9e9", 1, "9e9e9e9e9", 1, 1, 1, ("repo/pay:6",)),
        ("stable", "payments-7c7c7c7c7", 5, "7c7c7c7c7", 5, 5, 5, ("repo/pay:5",)),
        ("old", "payments-1a1a1a1a1", 4, "1a1a1a1a1", 0, 0, 0, ("repo/pay:4",)),
    ]
    rollout, related = load("kruise_canary_style")
    assert [(e.object_name, e.message) for e in events(rollout, related)] == [
        ("payments-canary", "Scaled up replica set payments-canary-9e9e9e9e9 to 1")
    ]


def test_kruise_cloneset_revisions_from_controller_revisions_and_pods():
    assert summary("kruise_cloneset") == [
        ("canary", "search-6e5a0c9d8", 3, "6e5a0c9d8", 1, 0, None, ("repo/search:3",),
         [("search-c", "Pending")]),
        ("stable", "search-5d4f9b8c7", 2, "5d4f9b8c7", 2, 2, None, ("repo/search:2",),
         [("search-a", "Ready"), ("search-b", "Ready")]),
        ("old", "search-3b3b3b3b3", 1, "3b3b3b3b3", 0, 0, None, ("repo/search:1",), []),
    ]
    rollout, related = load("kruise_cloneset")
    stable = revisions(rollout, related)[1]
    assert stable.template == {"spec": {"containers": [{"name": "search",
                                                        "image": "repo/search:2"}]}}
    assert stable.kind == "ControllerRevision"
    pending = pods(rollout, related)[0]
    assert (pending.name, pending.reason, pending.message) == (
        "search-c", "Unschedulable", "0/3 nodes are available: 3 Insufficient cpu."
    )
    assert [(e.object_kind, e.reason, e.count) for e in events(rollout, related)] == [
        ("Pod", "FailedScheduling", 4), ("CloneSet", "SuccessfulCreate", 1)
    ]


def test_kruise_cloneset_without_history_or_release_status():
    rollout, related = load("kruise_cloneset")
    del rollout["status"]
    related = [o for o in related if o["kind"] != "ControllerRevision"]
    got = [(r.name, r.role, r.revision, r.replicas, r.images, r.template)
           for r in revisions(rollout, related)]
    assert got == [
        ("search-6e5a0c9d8", "canary", None, 1, ("repo/search:3",), {}),
        ("search-5d4f9b8c7", "stable", None, 2, ("repo/search:2",), {}),
    ]


@pytest.mark.parametrize(
    ("status", "state", "reason"),
    [
        ({"phase": "Succeeded"}, "Succeeded", ""),
        ({"phase": "Pending", "containerStatuses": [
            {"state": {"waiting": {"reason": "ErrImagePull"}}}]}, "ErrImagePull", "ErrImagePull"),
        ({"phase": "Running", "containerStatuses": [
            {"state": {"waiting": {"reason": "ErrImagePull"}}},
            {"restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
         "CrashLoopBackOff", "CrashLoopBackOff"),
        ({"phase": "Running", "containerStatuses": [
            {"state": {"waiting": {"reason": "CreateContainerConfigError"}}}]},
         "Running", "CreateContainerConfigError"),
        ({}, "Unknown", ""),
        ({"phase": 7, "containerStatuses": "nope", "conditions": [None, 3]}, "Unknown", ""),
    ],
)
def test_pod_states(status, state, reason):
    pod = pod_view({"metadata": {"name": "p"}, "status": status})
    assert (pod.state, pod.reason) == (state, reason)


def test_malformed_related_objects_are_skipped_not_fatal():
    rollout, related = load("argo_canary")
    junk = ["text", 5, None, {"kind": "ReplicaSet"}, {"kind": "Pod", "metadata": []},
            {"kind": "Event", "involvedObject": "x"},
            {"kind": "ReplicaSet", "metadata": {"name": "x", "ownerReferences": "bad"}}]
    assert [r.name for r in revisions(rollout, related + junk)] == [
        "checkout-7f9c8d6a4", "checkout-6d8f9c7b5", "checkout-5c4b3a291"
    ]
    assert len(events(rollout, related + junk)) == 4
    broken = copy.deepcopy(rollout)
    broken["status"] = "garbage"
    assert {r.role for r in revisions(broken, related)} == {"old"}


def test_not_a_rollout_is_a_clear_error():
    with pytest.raises(RolloutsError) as err:
        revisions({"apiVersion": "apps/v1", "kind": "Deployment"}, [])
    assert err.value.code == "INVALID_INPUT"
    assert "apps/v1" in err.value.message
    with pytest.raises(RolloutsError) as err:
        events(["not", "a", "dict"], [])
    assert err.value.code == "INVALID_INPUT"


def test_event_view_fallback_times_and_counts():
    event = event_view({"metadata": {"creationTimestamp": "2026-01-02T03:04:05Z"},
                           "involvedObject": {"kind": "Pod", "name": "p"}, "count": 0})
    assert event == EventView(ts=utc("2026-01-02T03:04:05"), type="", reason="", message="",
                              object_kind="Pod", object_name="p", count=1, namespace="")



def test_kruise_canary_deployment_label_may_hold_the_stable_uid():
    rollout, related = load("kruise_canary_style")
    canary_deployment = next(o for o in related if o["metadata"]["name"] == "payments-canary")
    canary_deployment["metadata"]["labels"]["rollouts.kruise.io/canary-deployment"] = "dep-pay"
    assert revisions(rollout, related)[0].name == "payments-canary-9e9e9e9e9"
    canary_deployment["metadata"]["labels"]["rollouts.kruise.io/canary-deployment"] = "other"
    assert [r.name for r in revisions(rollout, related)] == [
        "payments-7c7c7c7c7", "payments-1a1a1a1a1"
    ]


@pytest.mark.parametrize(
    ("fixture", "health"),
    [
        ("argo_canary", ["Progressing", "Progressing", "ScaledDown"]),
        ("argo_bluegreen", ["ReplicaFailure", "Healthy", "ScaledDown"]),
        ("kruise_cloneset", ["Progressing", "Healthy", "ScaledDown"]),
    ],
)
def test_revision_health(fixture, health):
    rollout, related = load(fixture)
    assert [r.health for r in revisions(rollout, related)] == health


def test_argo_bluegreen_without_selectors_uses_the_stable_replicaset_as_active():
    rollout, related = load("argo_bluegreen")
    del rollout["status"]["blueGreen"]
    roles = {r.name: r.role for r in revisions(rollout, related)}
    assert roles == {"web-bbb222": "old", "web-aaa111": "active", "web-ccc333": "old"}
