"""Protocol unit tests of the widget base (rollouts_widgets/widgets/base.py).

These drive the chunking, coalescing, ordering and validation logic with a small in-test
event source that speaks the store's subscribe interface (RolloutWatchEvent), and call
``flush()`` by hand instead of running the sender thread, so nothing depends on timing.
The end-to-end behaviour against the real store and sandbox is in test_list_live.py.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import Any

import pytest
import traitlets

from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.view import RolloutView
from rollouts_widgets.widgets import base
from rollouts_widgets.widgets.base import RowStreamWidget, chunk_rows

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def view(name: str, namespace: str = "shop", status: str = "Healthy", **kw: Any) -> RolloutView:
    return RolloutView(
        cluster="c1", namespace=namespace, name=name, provider="kruise",
        api_version="rollouts.kruise.io/v1beta1", strategy="Canary", status=status,
        native_phase=status, message=kw.pop("message", ""), images=("repo/app:1",), **kw,
    )


class EventSource:
    """The store's subscribe interface, fed by the test (protocol unit tests only)."""

    def __init__(self) -> None:
        self.callbacks: list = []
        self.mode = "watch"
        self.mode_reason = ""
        self.last_contact = NOW
        self.lock = threading.Lock()
        self.state: dict[str, RolloutView] = {}  # what a real store would hold now

    def subscribe(self, callback):
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    def emit(self, type_: str, **kw: Any) -> None:
        event = RolloutWatchEvent(type=type_, ts=NOW, **kw)
        with self.lock:  # like a store: state change and delivery in one order
            if type_ == "snapshot":
                self.state = {v.key: v for v in event.rollouts}
            elif type_ == "upsert":
                self.state[event.rollout.key] = event.rollout
            elif type_ == "delete":
                self.state.pop(event.rollout.key, None)
            for cb in list(self.callbacks):
                cb(event)

    def snapshot(self, views: list[RolloutView]) -> None:
        self.emit("snapshot", rollouts=tuple(views))

    def upsert(self, v: RolloutView) -> None:
        self.emit("upsert", cluster=v.cluster, namespace=v.namespace, name=v.name, rollout=v)

    def delete(self, v: RolloutView) -> None:
        self.emit("delete", cluster=v.cluster, namespace=v.namespace, name=v.name, rollout=v)


class Probe(RowStreamWidget):
    """A minimal widget on the shared machinery, with one request op and one browser trait."""

    _esm = "export default { render() {} }"
    note = traitlets.Unicode("").tag(sync=True)
    BROWSER_TRAITS = frozenset({"note"})

    @traitlets.validate("note")
    def _valid_note(self, proposal):
        if len(proposal["value"]) > 5:
            raise base.refuse("note too long")
        return proposal["value"]

    def request_handlers(self):
        return {"echo": lambda args: {"echo": args.get("text")}, "boom": self._boom}

    def _boom(self, args):
        raise RuntimeError("bug")


@pytest.fixture
def source():
    return EventSource()


@pytest.fixture
def widget(source):
    w = Probe(source, _start_sender=False)
    w.sent = []
    w.send = lambda content, buffers=None: w.sent.append(json.loads(json.dumps(content)))
    yield w
    w.close()


def browser(messages: list[dict], view_id: str) -> dict[str, dict]:
    """Replay messages the way frontend/src/common/protocol.ts does; returns the rows."""
    rows: dict[str, dict] = {}
    seq, chunks = -1, []
    for m in messages:
        if m["type"] == "snapshot" and m["view"] == view_id:
            chunks = [] if m["chunk"] == 0 else chunks
            chunks.append(m["rows"])
            if m["chunk"] == m["chunks"] - 1:
                rows = {r["key"]: r for c in chunks for r in c}
                seq = m["seq"]
        elif m["type"] == "patch" and seq >= 0 and m["seq"] > seq:
            seq = m["seq"]
            rows.update({r["key"]: r for r in m["upserts"]})
            for k in m["deletes"]:
                rows.pop(k, None)
    return rows


def of_type(messages, type_):
    return [m for m in messages if m["type"] == type_]


def test_protocol_unit_ready_gets_a_snapshot_of_every_row(widget, source):
    source.snapshot([view("b"), view("a")])
    widget._handle_custom_msg({"type": "ready", "view": "v1"}, [])
    sent = widget.flush()
    (snap,) = of_type(sent, "snapshot")
    assert (snap["view"], snap["chunk"], snap["chunks"]) == ("v1", 0, 1)
    assert [r["key"] for r in snap["rows"]] == ["c1/shop/a", "c1/shop/b"]
    assert "steps" not in snap["rows"][0]
    assert snap["rows"][0] == {k: v for k, v in view("a").to_row().items() if k != "steps"}
    assert widget.loaded is True
    assert (widget.mode, widget.last_contact) == ("watch", "2026-01-02T03:04:05Z")


def test_protocol_unit_snapshot_is_chunked_under_the_limit(widget, source, monkeypatch):
    views = [view(f"app-{i:05d}", message="x" * 200) for i in range(10_000)]
    source.snapshot(views)
    widget.flush()
    widget._handle_custom_msg({"type": "ready", "view": "v1"}, [])
    snaps = of_type(widget.flush(), "snapshot")
    sizes = [len(json.dumps(s, ensure_ascii=False).encode()) for s in snaps]
    assert len(snaps) == len(sizes) > 1
    assert max(sizes) < base.CHUNK_BYTES + 2_000  # rows plus the envelope
    assert [s["chunk"] for s in snaps] == list(range(len(snaps)))
    assert {s["chunks"] for s in snaps} == {len(snaps)}
    assert len(browser(snaps, "v1")) == 10_000

    monkeypatch.setattr(base, "CHUNK_BYTES", 5_000)
    widget._handle_custom_msg({"type": "ready", "view": "v2"}, [])
    small = of_type(widget.flush(), "snapshot")
    assert all(len(json.dumps(s["rows"])) <= 5_000 for s in small)
    assert sorted(browser(small, "v2")) == sorted(v.key for v in views)


def test_chunk_rows_keeps_an_oversized_row_alone():
    rows = [{"key": "a", "x": "y" * 50}, {"key": "b"}, {"key": "c"}]
    assert chunk_rows(rows, limit=30) == [[rows[0]], [rows[1], rows[2]]]


def test_protocol_unit_patches_coalesce_and_carry_only_changes(widget, source):
    views = [view(f"r{i}") for i in range(1000)]
    source.snapshot(views)
    widget.flush()
    widget.sent.clear()

    source.upsert(view("r1", status="Progressing"))
    source.upsert(view("r1", status="Paused"))  # same key twice: the last one wins
    source.delete(views[2])
    source.upsert(view("new"))
    source.delete(view("new"))  # never sent: nothing to delete either
    (patch,) = widget.flush()
    assert patch["type"] == "patch"
    assert [(r["key"], r["status"]) for r in patch["upserts"]] == [("c1/shop/r1", "Paused")]
    assert patch["deletes"] == ["c1/shop/r2"]
    assert len(json.dumps(patch)) < 1_500  # one row's worth, not the list

    source.upsert(view("r1", status="Paused"))  # no change at all: no message
    assert of_type(widget.flush(), "patch") == []


def test_protocol_unit_relist_snapshot_becomes_a_diff(widget, source):
    source.snapshot([view("a"), view("b"), view("c")])
    widget.flush()
    source.snapshot([view("a"), view("b", status="Failed"), view("d")])
    (patch,) = widget.flush()
    assert sorted(r["key"] for r in patch["upserts"]) == ["c1/shop/b", "c1/shop/d"]
    assert patch["deletes"] == ["c1/shop/c"]


def test_protocol_unit_each_view_and_reload_gets_its_own_fresh_snapshot(widget, source):
    source.snapshot([view("a")])
    widget._handle_custom_msg({"type": "ready", "view": "first"}, [])
    log = widget.flush()
    source.upsert(view("b"))
    log += widget.flush()
    widget._handle_custom_msg({"type": "ready", "view": "second"}, [])  # a reload
    source.upsert(view("a", status="Failed"))
    log += widget.flush()
    source.delete(view("b"))
    log += widget.flush()

    expected = {"c1/shop/a": "Failed"}
    for view_id in ("first", "second"):
        assert {k: r["status"] for k, r in browser(log, view_id).items()} == expected
    seqs = [m["seq"] for m in of_type(log, "patch")]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    second = of_type(log, "snapshot")[1]
    # the patch flushed with it comes first, and the snapshot already holds it
    assert second["view"] == "second" and second["seq"] == seqs[2]


@pytest.mark.parametrize(
    ("message", "buffers", "expected_id"),
    [
        ("not a dict", [], None),
        ({"type": "drop_tables"}, [], None),
        ({"type": "ready"}, [], None),
        ({"type": "ready", "view": "<script>"}, [], None),
        ({"type": "ready", "view": "v", "extra": 1}, [], None),
        ({"type": "request", "op": "echo", "args": {}}, [], None),
        ({"type": "request", "id": "bad id!", "op": "echo"}, [], None),
        ({"type": "request", "id": "r1", "op": "__class__", "args": {}}, [], "r1"),
        ({"type": "request", "id": "r2", "op": "echo", "args": []}, [], "r2"),
        ({"type": "request", "id": "r3", "op": "echo", "args": {}, "code": "x"}, [], "r3"),
        ({"type": "ready", "view": "v"}, [b"\x00"], None),
        ({"type": "request", "id": "r4", "op": "echo", "args": {"t": "x" * 70_000}}, [], "r4"),
    ],
)
def test_protocol_unit_malformed_messages_are_refused(widget, message, buffers, expected_id):
    widget._handle_custom_msg(message, buffers)
    sent = widget.flush()
    assert of_type(sent, "snapshot") == []
    (resp,) = of_type(sent, "response")
    assert resp["id"] == expected_id
    assert (resp["ok"], resp["code"]) == (False, "INVALID_INPUT")
    assert resp["message"]


def test_protocol_unit_request_response_with_ids(widget):
    widget._handle_custom_msg(
        {"type": "request", "id": "r-1", "op": "echo", "args": {"text": "<b>hi</b>"}}, []
    )
    widget._handle_custom_msg({"type": "request", "id": "r-2", "op": "boom", "args": {}}, [])
    assert widget.wait_requests(timeout=30)
    responses = {m["id"]: m for m in of_type(widget.flush(), "response")}
    assert responses["r-1"] == {
        "type": "response", "id": "r-1", "ok": True, "code": None, "message": "",
        "result": {"echo": "<b>hi</b>"},
    }
    assert (responses["r-2"]["ok"], responses["r-2"]["code"]) == (False, "API_ERROR")


def test_protocol_unit_browser_may_set_only_allowed_valid_traits(widget):
    widget.set_state({"note": "ok"})
    assert widget.note == "ok"
    widget.set_state({"note": "far too long", "read_only": False, "mode": "watch"})
    assert widget.note == "ok"
    assert widget.read_only is False and widget.mode == "connecting"
    widget.read_only = True
    widget.set_state({"read_only": False})
    assert widget.read_only is True


def test_protocol_unit_store_errors_and_modes_reach_the_traits(widget, source):
    source.mode, source.mode_reason = "polling", "watch stream failed 5 times"
    source.emit("error", code="WATCH_STREAM_UNAVAILABLE", message="connection refused")
    widget.flush()
    assert (widget.mode, widget.mode_reason) == ("polling", "watch stream failed 5 times")
    assert widget.last_error == "WATCH_STREAM_UNAVAILABLE: connection refused"


def test_protocol_unit_concurrent_events_and_views_converge(widget, source):
    """Watcher threads, a comm thread and the sender run at once; every view ends exact."""
    source.snapshot([view(f"r{i}") for i in range(50)])
    stop = threading.Event()
    log: list[dict] = []

    def sender():
        while not stop.is_set():
            log.extend(widget.flush())

    def writer(offset: int):
        for i in range(300):
            n = (i * 7 + offset) % 60
            if i % 5 == 0:
                source.delete(view(f"r{n}"))
            else:
                source.upsert(view(f"r{n}", status="Progressing", step_index=i))

    def comm():
        for i in range(20):
            widget._handle_custom_msg({"type": "ready", "view": f"v{i}"}, [])

    t_send = threading.Thread(target=sender)
    t_send.start()
    workers = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    workers.append(threading.Thread(target=comm))
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    t_send.join()
    log.extend(widget.flush())

    truth = {k: widget.row(v) for k, v in source.state.items()}
    assert {v.key for v in widget.current_views()} == set(truth)
    views_seen = {m["view"] for m in of_type(log, "snapshot")}
    assert views_seen == {f"v{i}" for i in range(20)}
    for view_id in views_seen:
        assert browser(log, view_id) == truth
