"""RolloutDetail end to end in Python: the real sandbox (manual clock, real controllers) over
HTTP, the real store with related-object watches, and the widget's own sender thread. What
the widget sends is captured where it hands messages to its comm; requests go in where the
comm delivers them (``_on_custom_msg``)."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import rollouts_widgets as rw
from rollouts_widgets.kube.resources import DEPLOYMENTS
from rollouts_widgets.widgets.detail import RolloutDetail, containers, timeline, traffic_routing
from tests.browser.detail_fixtures import (
    ANALYSIS_TEMPLATE,
    NAMESPACE,
    NS,
    argo,
    cloneset,
    deployment,
    kruise,
    settle,
)

XSS = "<img src=x onerror=alert(1)>"
_ids = itertools.count(1)


# -- the scene (shared with the browser tests) ------------------------------------------

@pytest.fixture(scope="module")
def sandbox() -> Iterator[rw.Sandbox]:
    sb = rw.Sandbox(clock="manual").start()
    sb.apply([NAMESPACE, ANALYSIS_TEMPLATE,
              deployment("web", "repo/web:1"), kruise("web", note=XSS),
              deployment("spare", "repo/spare:1"), kruise("spare"),
              cloneset("cs", "repo/cs:1"), kruise("cs", "CloneSet", "apps.kruise.io/v1alpha1"),
              argo("api", "repo/api:1")])
    settle(sb)
    yield sb
    sb.stop()


def new_image(sb: rw.Sandbox, obj: dict[str, Any]) -> None:
    sb.apply([obj])
    settle(sb)


@pytest.fixture(scope="module")
def cluster(sandbox):
    c = sandbox.connect()
    yield c
    c.close()


# -- capturing the wire -----------------------------------------------------------------------

class Wire:
    """What the widget sends; requests in; waits on predicates (no sleeps)."""

    def __init__(self, widget: RolloutDetail) -> None:
        self.widget = widget
        self.messages: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        widget.send = self.send

    def send(self, content: dict[str, Any], buffers: Any = None) -> None:
        with self._cond:
            self.messages.append(json.loads(json.dumps(content, ensure_ascii=False)))
            self._cond.notify_all()

    def rows(self) -> dict[str, dict[str, Any]]:
        """The rows a browser view has after every message so far."""
        rows: dict[str, dict[str, Any]] = {}
        for m in self.messages:
            if m["type"] == "snapshot":
                rows = {r["key"]: r for r in m["rows"]}
            elif m["type"] == "patch":
                rows.update({r["key"]: r for r in m["upserts"]})
                for key in m["deletes"]:
                    rows.pop(key, None)
        return rows

    def wait_row(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict:
        found: list[dict[str, Any]] = []

        def seen() -> bool:
            found[:] = [r for r in self.rows().values() if predicate(r)]
            return bool(found)

        with self._cond:
            assert self._cond.wait_for(seen, timeout), "no such row was sent"
        return found[0]

    def request(self, op: str, args: dict[str, Any], timeout: float = 20) -> dict[str, Any]:
        rid = f"r{next(_ids)}"
        self.widget._on_custom_msg(self.widget, {"type": "request", "id": rid, "op": op,
                                                 "args": args}, [])
        with self._cond:
            assert self._cond.wait_for(
                lambda: any(m["type"] == "response" and m["id"] == rid for m in self.messages),
                timeout)
            return next(m for m in self.messages if m["type"] == "response" and m["id"] == rid)


@pytest.fixture
def panel(cluster):
    made: list[RolloutDetail] = []

    def make(ref: str | None, on: Any = None, **kwargs: Any) -> tuple[RolloutDetail, Wire]:
        widget = RolloutDetail(on or cluster, ref, **kwargs)
        made.append(widget)
        wire = Wire(widget)
        widget._on_custom_msg(widget, {"type": "ready", "view": "v1"}, [])
        assert widget.wait_loaded(20)
        return widget, wire

    yield make
    for widget in made:
        widget.close()


def key(name: str) -> str:
    return f"sandbox/{NS}/{name}"


# -- the payload ------------------------------------------------------------------------------

def test_payload_of_a_release_awaiting_approval(sandbox, panel):
    new_image(sandbox, deployment("web", "repo/web:2"))
    widget, wire = panel("shop/web")
    row = wire.wait_row(lambda r: r["step_index"] == 1 and r["detail"]["revisions"]
                        and len(r["detail"]["revisions"][0]["pods"]) == 1)
    assert row["key"] == key("web") and widget.rollout == key("web")
    assert [(s["index"], s["state"]) for s in row["steps"]] == [
        (1, "awaiting-approval"), (2, "pending"), (3, "pending")]
    assert [s["label"] for s in row["steps"]] == [
        "Replicas: 1, Pause", "Replicas: 50%, Pause", "Replicas: 100%"]
    assert json.loads(row["steps"][1]["raw"]) == {"replicas": "50%", "pause": {}}
    detail = row["detail"]
    assert detail["error"] == ""
    assert detail["containers"] == [
        {"name": "app", "image": "repo/web:2", "init": False},
        {"name": "migrate", "image": "tools/migrate:1", "init": True}]
    roles = [(r["role"], r["images"]) for r in detail["revisions"]]
    assert roles == [("canary", ["repo/web:2", "tools/migrate:1"]),
                     ("stable", ["repo/web:1", "tools/migrate:1"])]
    assert [p["state"] for p in detail["revisions"][1]["pods"]] == ["Ready"] * 3  # partition
    assert detail["progress"] == "canary 1/1 ready, StepPaused"
    assert detail["traffic_routing"] == "service web, ingress nginx/web"
    actions = {a: (ok, why) for a, ok, why in detail["actions"]}
    assert actions["PROMOTE"] == (True, "")
    assert actions["RESUME"] == (False, "the rollout is not paused")
    assert actions["ENABLE"] == (False, "the rollout is not disabled")
    assert actions["ROLLBACK"] == (True, "")
    assert any(e["reason"] == "ScalingReplicaSet" for e in detail["events"])
    assert detail["timeline"] and detail["timeline"][-1]["step"] == 1
    assert widget.read_only is False and widget.analysis_enabled and widget.rollback_enabled
    assert repr(widget) == "RolloutDetail(cluster='sandbox', rollout='sandbox/shop/web')"


def test_promote_round_trip_moves_the_step(sandbox, panel, cluster):
    _widget, wire = panel("shop/web")
    wire.wait_row(lambda r: r["step_index"] == 1 and r["steps"][0]["state"] == "awaiting-approval")
    before = len(cluster.audit_log())
    answer = wire.request("action", {"key": key("web"), "action": "PROMOTE"})
    assert answer["ok"] is True and answer["code"] is None
    assert "patch rollouts.rollouts.kruise.io/status web" in answer["result"]["message"]
    record = cluster.audit_log()[before]
    assert (record.action, record.name, record.ok) == ("PROMOTE", "web", True)
    settle(sandbox)
    row = wire.wait_row(lambda r: r["step_index"] == 2 and r["steps"][1]["state"]
                        == "awaiting-approval")
    assert [s["state"] for s in row["steps"]] == ["done", "awaiting-approval", "pending"]


def test_promote_full_finishes_the_release(sandbox, panel):
    _widget, wire = panel("shop/web")
    wire.wait_row(lambda r: r["step_index"] == 2)
    answer = wire.request("action", {"key": key("web"), "action": "PROMOTE-FULL"})
    assert answer["ok"] is True
    settle(sandbox, times=6)
    row = wire.wait_row(lambda r: r["status"] == "Healthy")
    assert [s["state"] for s in row["steps"]] == ["done", "done", "done"]
    assert [r["role"] for r in row["detail"]["revisions"]][:1] == ["stable"]
    assert row["detail"]["containers"][0]["image"] == "repo/web:2"


def test_rollback_to_the_stable_revision_during_a_release(sandbox, panel):
    new_image(sandbox, deployment("spare", "repo/spare:2"))
    _widget, wire = panel("shop/spare")
    row = wire.wait_row(lambda r: r["step_index"] == 1 and len(r["detail"]["revisions"]) == 2)
    stable = next(r for r in row["detail"]["revisions"] if r["role"] == "stable")
    answer = wire.request("rollback", {"key": key("spare"), "revision": stable["revision"]})
    assert answer["ok"] is True, answer
    assert answer["result"]["workloadKind"] == "Deployment"
    assert answer["result"]["revision"] == str(stable["revision"])
    settle(sandbox, times=6)

    def serving(row: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in row["detail"]["revisions"] if r["pods"]]

    # The last pod's readiness may still be on its way through the watch: wait for it.
    row = wire.wait_row(lambda r: r["status"] == "Healthy"
                        and r["detail"]["containers"][0]["image"] == "repo/spare:1"
                        and {p["state"] for s in serving(r) for p in s["pods"]} == {"Ready"})
    assert {img for r in serving(row) for img in r["images"]} == {"repo/spare:1",
                                                                  "tools/migrate:1"}


def test_set_image_request_changes_the_workload(sandbox, panel, cluster):
    _widget, wire = panel("shop/spare")
    wire.wait_row(lambda r: r["status"] == "Healthy")
    answer = wire.request("set_image", {"key": key("spare"), "container": "migrate",
                                        "image": "tools/migrate:2", "init": True})
    assert answer["ok"] is True, answer
    raw = cluster.resources.get(DEPLOYMENTS, NS, "spare")
    assert raw["spec"]["template"]["spec"]["initContainers"][0]["image"] == "tools/migrate:2"
    row = wire.wait_row(lambda r: any(c["image"] == "tools/migrate:2"
                                      for c in r["detail"]["containers"]))
    assert row["detail"]["containers"][1] == {"name": "migrate", "image": "tools/migrate:2",
                                              "init": True}


def test_cloneset_rollback_is_disabled_with_the_reason(panel):
    _widget, wire = panel("shop/cs")
    row = wire.wait_row(lambda r: r["name"] == "cs" and r["detail"]["actions"])
    actions = {a: (ok, why) for a, ok, why in row["detail"]["actions"]}
    assert actions["ROLLBACK"] == (False, "rollback currently supports Deployment only")
    answer = wire.request("rollback", {"key": key("cs"), "revision": None})
    assert (answer["ok"], answer["code"]) == (False, "UNSUPPORTED_ROLLBACK_KIND")


def test_analysis_request_returns_real_argo_runs(sandbox, panel):
    new_image(sandbox, argo("api", "repo/api:2"))
    settle(sandbox, seconds=15, times=4)
    _widget, wire = panel("shop/api")
    row = wire.wait_row(lambda r: r["name"] == "api")
    assert row["provider"] == "argo" and row["steps"][1]["label"] == "Analysis (success-rate)"
    answer = wire.request("analysis", {"key": key("api")})
    assert answer["ok"] is True
    summary = answer["result"]
    assert summary["source"] == "argo" and summary["code"] is None
    run = summary["runs"][0]
    metric = run["metrics"][0]
    assert (metric["name"], metric["success_condition"]) == ("success-rate", "result[0] >= 0.95")
    assert metric["measurements"] and metric["measurements"][0]["value"] == "1"
    assert run["phase"] in ("Running", "Successful")


def test_kruise_analysis_is_the_not_configured_placeholder(panel):
    _widget, wire = panel("shop/cs")
    answer = wire.request("analysis", {"key": key("cs")})
    assert answer["ok"] is True
    assert answer["result"]["code"] == "ANALYSIS_SOURCE_NOT_CONFIGURED"
    assert answer["result"]["runs"] == []


# -- validation of browser requests -----------------------------------------------------------

@pytest.mark.parametrize(("op", "args", "code"), [
    ("action", {"key": key("cs"), "action": "DELETE"}, "INVALID_INPUT"),
    ("action", {"key": key("cs"), "action": "SET-IMAGE"}, "INVALID_INPUT"),
    ("action", {"key": key("cs"), "action": "PAUSE", "extra": 1}, "INVALID_INPUT"),
    ("action", {"key": key("nope"), "action": "PAUSE"}, "NOT_FOUND"),
    ("action", {"key": "sandbox/other/cs", "action": "PAUSE"}, "NOT_FOUND"),
    ("action", {"key": "../../etc", "action": "PAUSE"}, "INVALID_INPUT"),
    ("action", {"key": ["x"], "action": "PAUSE"}, "INVALID_INPUT"),
    ("set_image", {"key": key("cs"), "container": "app", "image": XSS}, "INVALID_INPUT"),
    ("set_image", {"key": key("cs"), "container": "app", "image": "Repo/App:1"},
     "INVALID_INPUT"),
    ("set_image", {"key": key("cs"), "container": "A B", "image": "repo/a:1"}, "INVALID_INPUT"),
    ("set_image", {"key": key("cs"), "container": "app", "image": "repo/a:1", "init": "yes"},
     "INVALID_INPUT"),
    ("rollback", {"key": key("cs"), "revision": True}, "INVALID_INPUT"),
    ("rollback", {"key": key("cs"), "revision": {"x": 1}}, "INVALID_INPUT"),
    ("exec", {"key": key("cs")}, "INVALID_INPUT"),
])
def test_bad_requests_are_refused_before_the_api(panel, cluster, op, args, code):
    _widget, wire = panel("shop/cs")
    wire.wait_row(lambda r: r["name"] == "cs")
    before = cluster.get_raw("shop/cs")["metadata"]["resourceVersion"]
    audit = len(cluster.audit_log())
    answer = wire.request(op, args)
    assert (answer["ok"], answer["code"]) == (False, code)
    assert answer["message"]
    assert len(cluster.audit_log()) == audit  # nothing reached the action layer
    assert cluster.get_raw("shop/cs")["metadata"]["resourceVersion"] == before


def test_read_only_panel_refuses_writes_and_offers_none(sandbox, panel):
    viewer = sandbox.connect(read_only=True)
    try:
        widget, wire = panel("shop/cs", on=viewer)
        row = wire.wait_row(lambda r: r["name"] == "cs")
        assert widget.read_only is True
        actions = {a: (ok, why) for a, ok, why in row["detail"]["actions"]}
        assert actions["ANALYSIS"] == (True, "")
        assert {why for a, (ok, why) in actions.items() if a not in ("ANALYSIS",) and ok} == set()
        assert actions["PAUSE"] == (False, "read-only mode")
        before = viewer.get_raw("shop/cs")["metadata"]["resourceVersion"]
        for op, args in [("action", {"key": key("cs"), "action": "PAUSE"}),
                         ("set_image", {"key": key("cs"), "container": "app",
                                        "image": "repo/cs:9"}),
                         ("rollback", {"key": key("cs"), "revision": None})]:
            answer = wire.request(op, args)
            assert (answer["ok"], answer["code"]) == (False, "READ_ONLY")
        assert viewer.audit_log() == []
        assert viewer.get_raw("shop/cs")["metadata"]["resourceVersion"] == before
    finally:
        viewer.close()


def test_switching_rollouts_swaps_the_row(panel):
    widget, wire = panel("shop/cs")
    wire.wait_row(lambda r: r["name"] == "cs")
    widget.rollout = key("api")
    row = wire.wait_row(lambda r: r["name"] == "api")
    assert set(wire.rows()) == {key("api")} and row["provider"] == "argo"
    widget.show(None)
    with wire._cond:
        assert wire._cond.wait_for(lambda: wire.rows() == {}, 20)
    assert widget.current() is None


def test_an_empty_panel_and_a_bad_ref(cluster, panel):
    widget, wire = panel(None, namespace=NS)
    assert widget.rollout == "" and wire.rows() == {}
    with pytest.raises(rw.RolloutsError) as err:
        RolloutDetail(cluster, "not a ref")
    assert err.value.code == "INVALID_INPUT"


# -- pure helpers -----------------------------------------------------------------------------

def test_containers_and_traffic_routing_of_raw_objects():
    assert containers(None) == []
    assert containers({"spec": {"template": {"spec": {"containers": [{"name": "a",
                                                                       "image": XSS}]}}}}) == [
        {"name": "a", "image": XSS, "init": False}]
    bg = {"spec": {"strategy": {"blueGreen": {"activeService": "a", "previewService": "p"}}}}
    assert traffic_routing(bg) == "active a; preview p"
    routing = {"nginx": {}, "istio": {}}
    argo_routing = {"spec": {"strategy": {"canary": {"trafficRouting": routing}}}}
    assert traffic_routing(argo_routing) == "istio; nginx"
    assert traffic_routing({}) == ""


def test_timeline_keeps_changes_only():
    from datetime import datetime, timezone

    from rollouts_widgets.model.events import RolloutWatchEvent
    from rollouts_widgets.model.view import RolloutView

    def view(step: int, weight: int, name: str = "r") -> RolloutView:
        return RolloutView("c", "ns", name, "argo", "argoproj.io/v1alpha1", "Canary",
                           "Progressing", "Progressing", "", step_index=step, step_count=3,
                           set_weight=weight)

    t = [datetime(2026, 1, 1, 12, 0, s, tzinfo=timezone.utc) for s in range(4)]
    events = [RolloutWatchEvent("upsert", t[0], "c", "ns", "r", "1", view(1, 10)),
              RolloutWatchEvent("upsert", t[1], "c", "ns", "r", "2", view(1, 10)),
              RolloutWatchEvent("upsert", t[2], "c", "ns", "other", "3", view(2, 50, "other")),
              RolloutWatchEvent("upsert", t[3], "c", "ns", "r", "4", view(2, 50))]
    points = timeline(events, "c/ns/r")
    assert [(p["ts"], p["step"], p["weight"]) for p in points] == [
        ("2026-01-01T12:00:00Z", 1, 10), ("2026-01-01T12:00:03Z", 2, 50)]


def test_a_failing_detail_still_streams_the_row_and_answers(panel, monkeypatch):
    import rollouts_widgets.widgets.detail as detail_module

    def broken(*_args: Any) -> list[Any]:
        raise ValueError("boom <b>")

    monkeypatch.setattr(detail_module, "related_revisions", broken)
    _widget, wire = panel("shop/cs")
    row = wire.wait_row(lambda r: r["name"] == "cs")
    assert row["detail"]["error"] == "ValueError: boom <b>"
    assert row["detail"]["revisions"] == [] and row["steps"]
    answer = wire.request("analysis", {"key": key("cs")})
    assert answer["ok"] is True
