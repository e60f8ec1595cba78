"""RolloutList end to end in Python: the real sandbox API server over HTTP, the real store and
watchers, and the widget's own sender thread. Messages are captured where the widget hands
them to its comm (``send``); the browser half is in tests/browser."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import rollouts_widgets as rw
from rollouts_widgets.cluster import Cluster
from rollouts_widgets.kube.discovery import Discovery
from rollouts_widgets.widgets.list import RolloutList, sort_rows

XSS = "<img src=x onerror=alert(1)>"
ROLLOUTS = "rollouts.rollouts.kruise.io"


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def kruise_rollout(
    name: str, ns: str = "shop", phase: str = "Healthy", message: str = "", **labels: str
) -> dict[str, Any]:
    """A minimal OpenKruise v1beta1 Rollout with a controller-written status."""
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"steps": [{"replicas": 1, "pause": {}}, {"replicas": "100%"}]}},
        },
        "status": {"phase": phase, "observedGeneration": 1, "message": message},
    }


class Recorder:
    """Captures what the widget sends, and lets a test wait for a message by predicate."""

    def __init__(self, widget: RolloutList) -> None:
        self.messages: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self._cond = threading.Condition()
        widget.send = self.send

    def send(self, content: dict[str, Any], buffers: Any = None) -> None:
        wire = json.dumps(content, ensure_ascii=False)  # as Jupyter's session packs it
        with self._cond:
            self.messages.append(json.loads(wire))
            self.sizes.append(len(wire.encode()))
            self._cond.notify_all()

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict:
        with self._cond:
            found: list[dict[str, Any]] = []

            def seen() -> bool:
                found[:] = [m for m in self.messages if predicate(m)]
                return bool(found)

            assert self._cond.wait_for(seen, timeout), "message never sent"
            return found[0]


def wait_trait(widget: RolloutList, name: str, value: Any, timeout: float = 20) -> bool:
    """Wait (on trait change notifications, no polling) until ``widget.<name> == value``."""
    hit = threading.Event()

    def check(_change: Any = None) -> None:
        if getattr(widget, name) == value:
            hit.set()

    widget.observe(check, names=[name])
    try:
        check()
        return hit.wait(timeout)
    finally:
        widget.unobserve(check, names=[name])


@pytest.fixture(scope="module")
def sandbox() -> Iterator[rw.Sandbox]:
    sb = rw.Sandbox(controllers=False).start()
    sb.apply([namespace("shop"), namespace("web")])
    sb.apply([
        kruise_rollout("cart", team="basket"),
        kruise_rollout("checkout", phase="Progressing", team="payments"),
        kruise_rollout("frontend", ns="web", message=XSS, note="markup"),
    ])
    yield sb
    sb.stop()


@pytest.fixture
def cluster(sandbox):
    c = sandbox.connect()
    yield c
    c.close()


@pytest.fixture
def widget(cluster):
    w = RolloutList(cluster)
    yield w
    w.close()


def snapshot_of(rec: Recorder, view: str) -> list[dict[str, Any]]:
    last = rec.wait(lambda m: m["type"] == "snapshot" and m["view"] == view
                    and m["chunk"] == m["chunks"] - 1)
    chunks = [m for m in rec.messages if m["type"] == "snapshot" and m["view"] == view]
    assert [m["chunk"] for m in chunks] == list(range(last["chunks"]))
    return [r for m in chunks for r in m["rows"]]


def test_ready_gets_the_live_rows_and_status(widget, cluster):
    rec = Recorder(widget)
    assert widget.wait_loaded(20)
    widget._handle_custom_msg({"type": "ready", "view": "v1"}, [])
    rows = snapshot_of(rec, "v1")
    assert [r["key"] for r in rows] == [
        "sandbox/shop/cart", "sandbox/shop/checkout", "sandbox/web/frontend"]
    assert {r["key"]: r["status"] for r in rows}["sandbox/shop/checkout"] == "Progressing"
    assert rows[2]["message"] == XSS and rows[2]["labels"] == {"note": "markup"}
    assert widget.loaded is True
    assert wait_trait(widget, "mode", "watch")
    assert widget.last_contact.endswith("Z") and widget.mode_reason == ""
    assert widget.no_crds is False
    assert repr(widget) == "RolloutList(cluster='sandbox', namespace=None)"


def test_a_sandbox_change_becomes_a_one_row_patch(widget, sandbox):
    rec = Recorder(widget)
    assert widget.wait_loaded(20)
    widget._handle_custom_msg({"type": "ready", "view": "v1"}, [])
    snapshot_of(rec, "v1")
    sandbox.storage.patch(ROLLOUTS, "shop", "cart", {"metadata": {"labels": {"team": "tills"}}})
    patch = rec.wait(lambda m: m["type"] == "patch"
                     and any(r["labels"].get("team") == "tills" for r in m["upserts"]))
    assert [r["key"] for r in patch["upserts"]] == ["sandbox/shop/cart"] and patch["deletes"] == []
    size = rec.sizes[rec.messages.index(patch)]
    assert size < 2_000, size  # one row, not the list

    sandbox.apply([kruise_rollout("gone", ns="web")])
    rec.wait(lambda m: m["type"] == "patch" and [r["key"] for r in m["upserts"]]
             == ["sandbox/web/gone"])
    sandbox.storage.delete(ROLLOUTS, "web", "gone")
    gone = rec.wait(lambda m: m["type"] == "patch" and m["deletes"] == ["sandbox/web/gone"])
    assert gone["upserts"] == []
    sandbox.storage.patch(ROLLOUTS, "shop", "cart", {"metadata": {"labels": {"team": "basket"}}})
    rec.wait(lambda m: m["type"] == "patch"
             and any(r["labels"].get("team") == "basket" for r in m["upserts"]))


def test_a_second_view_and_a_reload_get_fresh_snapshots(widget):
    rec = Recorder(widget)
    assert widget.wait_loaded(20)
    widget._handle_custom_msg({"type": "ready", "view": "first"}, [])
    widget._handle_custom_msg({"type": "ready", "view": "second"}, [])
    assert len(snapshot_of(rec, "first")) == len(snapshot_of(rec, "second")) == 3
    widget._handle_custom_msg({"type": "ready", "view": "first"}, [])  # the page reloaded
    firsts = lambda: [m for m in rec.messages if m["type"] == "snapshot" and m["view"] == "first"]  # noqa: E731
    rec.wait(lambda m: len(firsts()) == 2)
    assert firsts()[0] == firsts()[1]  # nothing changed in between: the same rows again


def test_visible_frame_is_what_the_filters_show(widget):
    assert widget.wait_loaded(20)
    assert list(widget.visible_frame()["key"]) == [
        "sandbox/shop/cart", "sandbox/shop/checkout", "sandbox/web/frontend"]
    widget.query = "team:pay, front"
    assert list(widget.visible_frame()["key"]) == ["sandbox/shop/checkout", "sandbox/web/frontend"]
    widget.statuses = ["Healthy"]
    assert list(widget.visible_frame()["key"]) == ["sandbox/web/frontend"]
    widget.query, widget.statuses = "", []
    widget.sort = "-status"
    assert list(widget.visible_frame()["name"]) == ["frontend", "cart", "checkout"]
    widget.favorites, widget.favorites_only = ["sandbox/shop/cart"], True
    frame = widget.visible_frame()
    assert list(frame["key"]) == ["sandbox/shop/cart"]
    assert list(frame.columns[:3]) == ["key", "cluster", "namespace"]


def test_select_requests_are_validated(widget):
    rec = Recorder(widget)
    assert widget.wait_loaded(20)
    asks = {
        "ok": {"key": "sandbox/shop/cart"},
        "missing": {"key": "sandbox/shop/nope"},
        "bad": {"key": "<script>"},
        "extra": {"key": "sandbox/shop/cart", "then": "delete"},
    }
    for rid, args in asks.items():
        widget._handle_custom_msg({"type": "request", "id": rid, "op": "select", "args": args}, [])
    got = {rid: rec.wait(lambda m, rid=rid: m["type"] == "response" and m["id"] == rid)
           for rid in asks}
    assert got["ok"]["ok"] is True and got["ok"]["result"] == {"key": "sandbox/shop/cart"}
    assert (got["missing"]["ok"], got["missing"]["code"]) == (False, "NOT_FOUND")
    assert got["bad"]["code"] == got["extra"]["code"] == "INVALID_INPUT"
    assert widget.selected == "sandbox/shop/cart"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("statuses", ["Healthy", "<b>"]),
        ("statuses", "Healthy"),
        ("sort", "__class__"),
        ("favorites", ["no-slashes"]),
        ("query", "x" * 2000),
        ("needs_attention", "yes"),
        ("selected", "sandbox/shop/cart"),  # only through the select request
        ("read_only", False),
        ("mode", "watch"),
    ],
)
def test_browser_trait_updates_are_validated(widget, name, value):
    before = getattr(widget, name)
    widget.set_state({name: value})
    assert getattr(widget, name) == before


def test_browser_trait_updates_that_are_valid_apply(widget):
    widget.set_state({"query": "cart", "statuses": ["Failed", "Paused"], "sort": "-name",
                      "favorites": ["sandbox/shop/cart"], "favorites_only": True})
    assert (widget.query, widget.statuses, widget.sort) == ("cart", ["Failed", "Paused"], "-name")
    assert widget.favorites == ["sandbox/shop/cart"] and widget.favorites_only is True


def test_static_fallback_is_an_escaped_table(widget):
    widget._source.wait_until(lambda s: len(s) == 3, 20)
    html = widget._repr_html_()
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<tr>") == 4 and "RolloutList(cluster=&#x27;sandbox&#x27;" in html
    bundle = widget._repr_mimebundle_()
    assert bundle["text/plain"] == "RolloutList(cluster='sandbox', namespace=None)"
    assert bundle["text/html"] == html
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_namespace_scope_and_no_crds(sandbox):
    cluster = sandbox.connect()
    try:
        w = RolloutList(cluster, namespace="web")
        w._source.wait_until(lambda s: len(s) == 1, 20)
        assert [v.key for v in w._source.views()] == ["sandbox/web/frontend"]
        assert w.scope == "namespace web"
        assert repr(w) == "RolloutList(cluster='sandbox', namespace='web')"
        w.close()
    finally:
        cluster.close()
    bare = Cluster(sandbox.api_client(), name="bare", discovery=Discovery())
    try:
        w = RolloutList(bare)
        assert w.no_crds is True
        rec = Recorder(w)
        w._handle_custom_msg({"type": "ready", "view": "v"}, [])
        assert snapshot_of(rec, "v") == []
        assert w.wait_loaded(20)
        w.close()
    finally:
        bare.close()


SORT_VECTORS = Path(__file__).parents[2] / "frontend" / "test" / "sort_vectors.json"


@pytest.mark.parametrize("case", json.loads(SORT_VECTORS.read_text())["cases"],
                         ids=lambda c: c["sort"] or "by-key")
def test_sort_rows_runs_the_vectors_the_front_end_runs(case):
    rows = json.loads(SORT_VECTORS.read_text())["rows"]
    assert [r["key"] for r in sort_rows(rows, case["sort"])] == case["expected"]
