"""The widget protocol shared by every rollouts widget (Python side).

Synced traits carry small state only; rows travel as custom messages:

browser -> Python
    ``{"type": "ready", "view": "<view id>"}``
        sent by every rendered view (a re-render, a second view, a page reload); answered
        with a fresh snapshot addressed to that view.
    ``{"type": "request", "id": "<id>", "op": "<name>", "args": {...}}``
        validated, run off the comm thread, answered with a response.

Python -> browser (all from one sender thread per widget, so they arrive in order)
    ``{"type": "snapshot", "view", "seq", "chunk", "chunks", "rows"}``
        every row, split in chunks of at most ``CHUNK_BYTES`` of JSON.
    ``{"type": "patch", "seq", "upserts": [row...], "deletes": [key...]}``
        what changed since the previous patch, coalesced over ``FLUSH_INTERVAL``; a view
        applies patches whose ``seq`` is above its snapshot's.
    ``{"type": "response", "id", "ok", "code", "message", "result"}``
        ``code`` is a ``rollouts_widgets.errors`` code (``INVALID_INPUT`` for anything
        malformed or unknown; ``id`` is null when the message had no usable id).

In Voila the browser is untrusted: every custom message and every trait the browser sets is
validated; only ``BROWSER_TRAITS`` may be set from the browser at all.
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import anywidget
import traitlets

from rollouts_widgets.errors import API_ERROR, INVALID_INPUT, RolloutsError
from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.view import RolloutView

log = logging.getLogger("rollouts_widgets.widgets")

STATIC = Path(__file__).parent / "static"
FLUSH_INTERVAL = 0.1  # seconds: patches are coalesced over this window
CHUNK_BYTES = 1_000_000  # JSON bytes per snapshot chunk; the websocket limit is 10 MB
MAX_MESSAGE_BYTES = 64_000  # larger browser messages are refused
_VIEW_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

_requests = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rw-request")


def bundle(name: str) -> Path:
    """The built front-end file ``static/<name>``; a clear error when it was never built."""
    path = STATIC / name
    if not path.exists():
        raise FileNotFoundError(
            f"front-end bundle {path} is missing: build it with `bash scripts/setup.sh` "
            "(npm ci && npm run build in frontend/)"
        )
    return path


class RowSource(Protocol):
    """What a widget reads rows from: the live store (``cluster.store(...)``)."""

    def subscribe(self, callback: Callable[[RolloutWatchEvent], None]) -> Callable[[], None]: ...


def _iso(value: Any) -> str:
    """A timestamp as ISO-8601 UTC at second resolution ("" when unknown)."""
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc).replace(microsecond=0)
    return value.isoformat().replace("+00:00", "Z")


def chunk_rows(rows: list[dict[str, Any]], limit: int | None = None) -> list[list[dict[str, Any]]]:
    """Split rows so that each chunk's JSON stays under ``limit`` (default ``CHUNK_BYTES``)."""
    limit = limit or CHUNK_BYTES
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for row in rows:
        # Measured as Jupyter's session packs it (default separators, UTF-8).
        n = len(json.dumps(row, default=str, ensure_ascii=False).encode()) + 2
        if chunks[-1] and size + n > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += n
    return chunks


def refuse(message: str) -> RolloutsError:
    return RolloutsError(INVALID_INPUT, message)


class RowStreamWidget(anywidget.AnyWidget):
    """Base of the rollouts widgets: streams rows of a store to every view of the widget.

    Subclasses set ``_esm``/``_css``, and may override ``wants`` (which views to show),
    ``row`` (the payload of one view), ``request_handlers`` (ops the browser may call) and
    ``BROWSER_TRAITS`` (traits the browser may set, each checked by a ``@validate``).
    """

    read_only = traitlets.Bool(False).tag(sync=True)
    mode = traitlets.Unicode("connecting").tag(sync=True)  # connecting | watch | polling | stopped
    mode_reason = traitlets.Unicode("").tag(sync=True)
    last_contact = traitlets.Unicode("").tag(sync=True)  # ISO-8601 UTC, "" before any contact
    last_error = traitlets.Unicode("").tag(sync=True)  # "CODE: message" of the store's last error
    loaded = traitlets.Bool(False).tag(sync=True)  # the source has listed; all its rows sent

    BROWSER_TRAITS: frozenset[str] = frozenset()

    def __init__(self, source: RowSource, *, _start_sender: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._source = source
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._views: dict[str, RolloutView] = {}  # what every view has after the last flush
        self._rows: dict[str, dict[str, Any]] = {}
        self._pending_upserts: dict[str, RolloutView] = {}
        self._pending_deletes: set[str] = set()
        self._snapshot_seen = False
        self._ready: list[str] = []
        self._outbox: list[dict[str, Any]] = []
        self._status_dirty = True
        self._last_error = ""
        self._seq = 0
        self._last_flush = 0.0
        self._closed = False
        self._inflight: set[Future] = set()
        self._loaded_event = threading.Event()
        self.on_msg(self._on_custom_msg)
        self._unsubscribe = source.subscribe(self._on_event)
        self._sender: threading.Thread | None = None
        if _start_sender:
            self._sender = threading.Thread(
                target=self._run_sender, name=f"rw-sender-{type(self).__name__}", daemon=True
            )
            self._sender.start()

    # -- hooks for subclasses -----------------------------------------------------------------

    def wants(self, view: RolloutView) -> bool:
        """Whether this widget shows ``view`` (all by default)."""
        return True

    def row(self, view: RolloutView) -> dict[str, Any]:
        """The JSON row of one view (``to_row()`` without the step list by default)."""
        row = view.to_row()
        row.pop("steps", None)
        return row

    def request_handlers(self) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
        """Ops the browser may request: name -> handler(args) returning a JSON-able result."""
        return {}

    def status(self) -> dict[str, Any]:
        """Connection traits read from the source (mode, mode_reason, last_contact)."""
        src = self._source
        return {
            "mode": str(getattr(src, "mode", "connecting") or "connecting"),
            "mode_reason": str(getattr(src, "mode_reason", "") or ""),
            "last_contact": _iso(getattr(src, "last_contact", None)),
        }

    # -- the store's events (watcher threads) ---------------------------------------------------

    def _on_event(self, event: RolloutWatchEvent) -> None:
        with self._wake:
            if event.type == "snapshot":
                fresh = {v.key: v for v in event.rollouts if self.wants(v)}
                self._pending_upserts = fresh
                self._pending_deletes = set(self._views) - set(fresh)
                self._snapshot_seen = True
            elif event.type == "upsert" and event.rollout is not None:
                if self.wants(event.rollout):
                    self._pending_upserts[event.rollout.key] = event.rollout
                    self._pending_deletes.discard(event.rollout.key)
                elif event.rollout.key in self._views or event.rollout.key in self._pending_upserts:
                    self._mark_deleted(event.rollout.key)
            elif event.type == "delete":
                self._mark_deleted(event.rollout.key if event.rollout else event.key)
            elif event.type == "error":
                self._last_error = f"{event.code or API_ERROR}: {event.message or ''}"
            self._status_dirty = True
            self._wake.notify_all()

    def _mark_deleted(self, key: str) -> None:
        self._pending_upserts.pop(key, None)
        self._pending_deletes.add(key)

    # -- messages from the browser (comm thread) -------------------------------------------------

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        request_id = None
        try:
            if buffers:
                raise refuse("binary buffers are not accepted")
            if not isinstance(content, dict):
                raise refuse("a message must be a JSON object")
            raw_id = content.get("id")
            if isinstance(raw_id, str) and _REQUEST_ID.match(raw_id):
                request_id = raw_id
            if len(json.dumps(content, default=str)) > MAX_MESSAGE_BYTES:
                raise refuse("message too large")
            kind = content.get("type")
            if kind == "ready":
                self._on_ready(content)
            elif kind == "request":
                self._on_request(content, request_id)
            else:
                raise refuse(f"unknown message type {str(kind)[:40]!r}")
        except RolloutsError as err:
            log.warning("refused a browser message: %s", err)
            self._respond(request_id, error=err)

    def _on_ready(self, content: dict[str, Any]) -> None:
        if set(content) != {"type", "view"}:
            raise refuse("ready takes exactly: type, view")
        view = content["view"]
        if not isinstance(view, str) or not _VIEW_ID.match(view):
            raise refuse("ready: view must be a short id of letters, digits, - and _")
        with self._wake:
            if view not in self._ready:
                self._ready.append(view)
            self._wake.notify_all()

    def _on_request(self, content: dict[str, Any], request_id: str | None) -> None:
        if request_id is None:
            raise refuse("request: id must be a short string of letters, digits and .:_-")
        if set(content) - {"type", "id", "op", "args"}:
            raise refuse("request takes only: type, id, op, args")
        op, args = content.get("op"), content.get("args", {})
        handlers = self.request_handlers()
        if not isinstance(op, str) or op not in handlers:
            raise refuse(f"unknown request {str(op)[:40]!r}; expected one of {sorted(handlers)}")
        if not isinstance(args, dict):
            raise refuse("request: args must be an object")
        future = _requests.submit(self._run_request, request_id, handlers[op], args)
        with self._lock:
            self._inflight.add(future)
        future.add_done_callback(self._request_done)

    def _request_done(self, future: Future) -> None:
        with self._lock:
            self._inflight.discard(future)

    def wait_requests(self, timeout: float | None = None) -> bool:
        """Wait for the browser's requests in flight; True when none is left."""
        with self._lock:
            futures = list(self._inflight)
        _, not_done = wait(futures, timeout=timeout)
        return not not_done

    def _run_request(self, request_id: str, handler: Callable, args: dict[str, Any]) -> None:
        try:
            result = handler(args)
        except RolloutsError as err:
            self._respond(request_id, error=err)
        except Exception as exc:  # a bug must still answer the browser, not hang it
            log.exception("request %s failed", request_id)
            self._respond(request_id, error=RolloutsError(API_ERROR, str(exc)))
        else:
            self._respond(request_id, result=result)

    def _respond(
        self, request_id: str | None, *, result: Any = None, error: RolloutsError | None = None
    ) -> None:
        msg = {
            "type": "response",
            "id": request_id,
            "ok": error is None,
            "code": error.code if error else None,
            "message": error.message if error else "",
            "result": result,
        }
        with self._wake:
            self._outbox.append(msg)
            self._wake.notify_all()

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Trait updates from the browser: only ``BROWSER_TRAITS``, each validated."""
        allowed, refused = {}, []
        for name, value in sync_data.items():
            if name not in self.BROWSER_TRAITS:
                refused.append(name)
                continue
            try:
                self._validate_browser_value(name, value)
            except (traitlets.TraitError, RolloutsError) as err:
                log.warning("refused %s from the browser: %s", name, err)
                refused.append(name)
                continue
            allowed[name] = value
        if allowed:
            with self._lock:
                super().set_state(allowed)
        if refused:
            names = ", ".join(sorted(refused))
            log.warning("%s: refused browser update of %s", INVALID_INPUT, names)
            self.send_state([n for n in refused if n in self.keys])  # put the browser right

    def _validate_browser_value(self, name: str, value: Any) -> None:
        """Run the trait's own validation on a copy, so a bad value never lands."""
        trait = self.traits()[name]
        trait._validate(self, value)  # the trait type check plus any @validate

    # -- the sender thread ------------------------------------------------------------------------

    def _has_work(self) -> bool:
        return bool(
            self._ready
            or self._outbox
            or self._pending_upserts
            or self._pending_deletes
            or self._status_dirty
        )

    def _run_sender(self) -> None:
        while True:
            with self._wake:
                while not self._closed and not self._has_work():
                    self._wake.wait()
                if self._closed:
                    return
                # Coalesce row changes; answer ready/requests at once.
                deadline = self._last_flush + FLUSH_INTERVAL
                while not self._closed and not (self._ready or self._outbox):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._wake.wait(left)
                if self._closed:
                    return
            try:
                self.flush()
            except Exception:  # keep streaming; a bad row must not stop the widget
                log.exception("widget sender failed to flush")

    def flush(self) -> list[dict[str, Any]]:
        """Send pending patches, snapshots, responses and status now; returns the messages.

        Called by the sender thread (so messages keep their order); unit tests call it
        directly with the sender thread off.
        """
        with self._lock:
            status_dirty, self._status_dirty = self._status_dirty, False
        # Read the source outside our lock (its properties take locks of their own); an
        # event arriving meanwhile marks the status dirty again for the next flush.
        status = self.status() if status_dirty else None
        listed = None if self.loaded else self._source_listing()
        with self._lock:
            self._last_flush = time.monotonic()
            messages = self._patch_messages()
            loaded = self.loaded or self._is_loaded(listed)
            for view in self._ready:
                messages.extend(self._snapshot_messages(view))
            self._ready.clear()
            messages.extend(self._outbox)
            self._outbox.clear()
            error = self._last_error
        for msg in messages:
            self.send(msg)
        traits: dict[str, Any] = dict(status or {})
        if loaded and not self.loaded:
            traits["loaded"] = True
        if status is not None:
            traits["last_error"] = error
        changed = {k: v for k, v in traits.items() if getattr(self, k) != v}
        if changed:
            with self.hold_sync():
                for name, value in changed.items():
                    setattr(self, name, value)
        if loaded:
            self._loaded_event.set()
        return messages

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Wait until the source's first full listing has been sent (``loaded``)."""
        return self._loaded_event.wait(timeout)

    def _source_listing(self) -> tuple[bool, set[str] | None]:
        """Whether the source has listed (``synced``; a source without it: once it sent a
        snapshot), and the keys it holds (None for a source that cannot list them)."""
        synced = bool(getattr(self._source, "synced", self._snapshot_seen))
        views = getattr(self._source, "views", None)
        keys = {v.key for v in views() if self.wants(v)} if synced and callable(views) else None
        return synced, keys

    def _is_loaded(self, listed: tuple[bool, set[str] | None] | None) -> bool:
        """Loaded = the source has listed and every row it had then is sent (call locked)."""
        if listed is None:
            return False
        synced, keys = listed
        return synced and (keys is None or keys <= set(self._views))

    def _patch_messages(self) -> list[dict[str, Any]]:
        upserts = []
        for key, view in self._pending_upserts.items():
            row = self.row(view)
            if self._rows.get(key) != row:
                upserts.append(row)
                self._rows[key] = row
            self._views[key] = view
        deletes = sorted(k for k in self._pending_deletes if k in self._rows)
        for key in deletes:
            del self._rows[key], self._views[key]
        self._pending_upserts = {}
        self._pending_deletes = set()
        messages = []
        for chunk in chunk_rows(upserts) if upserts else []:
            self._seq += 1
            messages.append({"type": "patch", "seq": self._seq, "upserts": chunk, "deletes": []})
        if deletes:
            if messages:
                messages[-1]["deletes"] = deletes
            else:
                self._seq += 1
                messages.append(
                    {"type": "patch", "seq": self._seq, "upserts": [], "deletes": deletes}
                )
        return messages

    def _snapshot_messages(self, view: str) -> list[dict[str, Any]]:
        chunks = chunk_rows(sorted(self._rows.values(), key=lambda r: r["key"]))
        return [
            {"type": "snapshot", "view": view, "seq": self._seq, "chunk": i,
             "chunks": len(chunks), "rows": rows}
            for i, rows in enumerate(chunks)
        ]

    # -- Python-side reading ---------------------------------------------------------------------

    def current_views(self) -> list[RolloutView]:
        """The views every browser view has now (as of the last flush), ordered by key."""
        with self._lock:
            return [self._views[k] for k in sorted(self._views)]

    def close(self) -> None:
        """Stop streaming: unsubscribe from the store and end the sender thread."""
        with self._wake:
            if self._closed:
                return
            self._closed = True
            self._wake.notify_all()
        try:
            self._unsubscribe()
        finally:
            super().close()


def static_table(headers: Iterable[str], rows: Iterable[Iterable[Any]], caption: str) -> str:
    """An escaped HTML table: the fallback where no widget front end runs (nbconvert, GitHub)."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc('' if c is None else str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return (
        f'<table class="rollouts-widgets-static"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
