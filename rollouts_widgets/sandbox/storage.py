"""The sandbox's in-memory object store, with the semantics of a real API server.

Resources are named kubectl-style (see ``resources.py``): ``"pods"``, ``"events"``,
``"services"``, ``"namespaces"``, ``"deployments.apps"``, ``"replicasets.apps"``,
``"statefulsets.apps"``, ``"daemonsets.apps"``, ``"clonesets.apps.kruise.io"``,
``"rollouts.argoproj.io"``, ``"analysisruns.argoproj.io"``, ``"analysistemplates.argoproj.io"``,
``"experiments.argoproj.io"``, ``"rollouts.rollouts.kruise.io"``,
``"batchreleases.rollouts.kruise.io"``. Objects are plain dicts in the resource's *storage*
version (Kruise rollouts: ``rollouts.kruise.io/v1beta1``; the HTTP layer converts v1alpha1).

Contract (``ObjectStore``, thread-safe, one RLock):

- ``get(resource, namespace, name) -> dict`` - a deep copy; NOT_FOUND if absent.
  Cluster-scoped resources (namespaces) take ``namespace=None``.
- ``list(resource, namespace=None, label_selector=None, field_selector=None)
  -> (items, resourceVersion)`` - deep copies sorted by (namespace, name).
- ``create(resource, obj, *, drop_status=False, restore=False) -> dict`` - assigns uid,
  creationTimestamp (from ``now()``), resourceVersion and generation 1;
  ``metadata.generateName`` is honoured; a missing namespace defaults to ``"default"``. The
  namespace must exist (NOT_FOUND, as on a real server); the store starts with the
  ``default`` namespace. ``restore=True`` keeps a given uid, creationTimestamp and generation
  (loading a saved store). Names (and label keys/values) are validated with the Kubernetes
  rules (INVALID_INPUT, HTTP 422); an existing name is CONFLICT (409 AlreadyExists).
  Python callers (controllers, scenarios) may create objects with a ``status``; the HTTP
  layer passes ``drop_status=True`` for kinds with a status subresource.
- ``update(resource, obj, subresource=None) -> dict`` - CONFLICT on a stale
  ``metadata.resourceVersion`` (a missing one means an unconditional update). For kinds with a
  status subresource the main resource keeps the stored status, and ``subresource="status"``
  changes only the status (on kinds without one it is a plain update). An update that changes
  nothing is a no-op: same resourceVersion, no event (as on a real server, so controllers do
  not loop). ``generation`` is bumped only when something outside ``metadata`` and
  ``status`` changes.
- ``patch(resource, namespace, name, patch, patch_type="merge"|"json"|"strategic",
  subresource=None) -> dict`` - applied atomically under the lock, then the update rules
  above. Strategic merge on a custom resource is refused (415) as the real server does.
- ``dry_run=True`` on create/update/patch/delete validates and answers without storing.
- ``delete(resource, namespace, name) -> dict`` - immediate (no finalizers); returns the
  deleted object. Dependents (``ownerReferences`` naming its uid) are deleted too, as the
  garbage collector does, and deleting a namespace deletes what it contains (``default``
  may not be deleted: FORBIDDEN).
- ``add_listener(fn)`` / ``remove_listener(fn)`` - ``fn(event_type, resource, obj)`` with
  ``event_type`` in ADDED/MODIFIED/DELETED, called after each committed change, outside the
  lock, in commit order, with a private copy of the object.
- ``open_watch(resource, namespace=None, resource_version=None, label_selector=None,
  field_selector=None) -> Watch`` - replays the bounded event history after
  ``resource_version`` (all current objects as ADDED when it is None, "" or "0"), then
  streams live events. A resourceVersion older than the history raises a RolloutsError whose
  ``status`` is a 410 Gone (``reason: Expired``). ``compact()`` drops the history;
  ``close_watches()`` ends every open watch; ``watch_count`` / ``wait_for_watches(n)``.
- ``resource_version`` - the current global resourceVersion (a string; one counter for all).
- For the HTTP layer: ``get_ref`` / ``page`` (shared, never-mutated objects; pagination in
  (namespace, name) order) and ``dump()`` (every object, for saving).
- ``now`` - the clock function (aware UTC datetime); the sandbox points it at its clock.

Every RolloutsError raised here has ``.status``: the Kubernetes Status body (with ``code``)
that the HTTP layer sends back unchanged. Stored dicts are never mutated after commit (every
change stores a new dict), which lets the HTTP layer serialise them without copying.
"""

from __future__ import annotations

import bisect
import json
import logging
import queue
import re
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.patch import apply_patch, clone
from rollouts_widgets.sandbox.resources import (
    BY_KEY,
    STORED_KEYS,
    ResourceType,
    api_error,
    not_found_error,
    resource_type,
)
from rollouts_widgets.sandbox.selectors import Predicate, combined

log = logging.getLogger(__name__)
Listener = Callable[[str, str, dict[str, Any]], None]
Key = tuple[str, str]  # (namespace or "", name)

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN_RE = re.compile(rf"^{_DNS_LABEL}(\.{_DNS_LABEL})*$")
_LABEL_RE = re.compile(rf"^{_DNS_LABEL}$")
_LABEL_VALUE_RE = re.compile(r"^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
# Kinds whose objects carry no metadata.generation on a real server.
_NO_GENERATION = frozenset({"events", "namespaces", "services"})
_SERVER_FIELDS = ("uid", "creationTimestamp", "resourceVersion", "generation")
DEFAULT_HISTORY = 10_000
PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
MAX_QUEUED_EVENTS = 100_000  # per watch; a slower consumer is disconnected
CLOSED = object()  # sentinel a Watch yields when the store closed it


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Change:
    """One committed change, as kept in the event history."""

    rv: int
    type: str
    resource: str
    obj: dict[str, Any]
    old: dict[str, Any] | None


class Watch:
    """A live subscription: ``next(timeout)`` returns ``(type, obj)``, None on timeout, or
    ``CLOSED`` once the store dropped it. Objects are shared: serialise, do not mutate."""

    def __init__(
        self, store: ObjectStore, resource: str, namespace: str | None, predicate: Predicate
    ) -> None:
        self.store = store
        self.resource = resource
        self.namespace = namespace
        self.predicate = predicate
        self.closed = False
        self.initial_events = 0  # how many synthetic ADDED events (the initial state) lead
        self.opened_at_rv = store.resource_version
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def _offer(self, change: Change) -> None:
        event = self._translate(change)
        if event is None or self.closed:
            return
        if self._queue.qsize() >= MAX_QUEUED_EVENTS:
            # A consumer this far behind is cut off, as the real server does; it re-lists.
            self.close()
            return
        self._queue.put(event)

    def _translate(self, change: Change) -> tuple[str, dict[str, Any]] | None:
        if change.resource != self.resource:
            return None
        ns = change.obj["metadata"].get("namespace", "")
        if self.namespace and ns != self.namespace:
            return None
        now_in = self.predicate(change.obj)
        if change.type != "MODIFIED" or change.old is None:
            return (change.type, change.obj) if now_in else None
        was_in = self.predicate(change.old)
        if now_in and was_in:
            return ("MODIFIED", change.obj)
        if now_in:
            return ("ADDED", change.obj)
        if was_in:
            return ("DELETED", change.obj)
        return None

    def next(self, timeout: float | None = None) -> Any:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.store._forget_watch(self)
            self._queue.put(CLOSED)


class ObjectStore:
    """Thread-safe in-memory objects, global resourceVersions and an event history."""

    def __init__(
        self,
        now: Callable[[], datetime] | None = None,
        *,
        history_limit: int = DEFAULT_HISTORY,
        namespaces: Iterable[str] = ("default",),
    ) -> None:
        self.now: Callable[[], datetime] = now or _utcnow
        self._lock = threading.RLock()
        self._dispatch_lock = threading.RLock()
        self._objects: dict[str, dict[Key, dict[str, Any]]] = {k: {} for k in STORED_KEYS}
        self._sorted: dict[str, list[Key] | None] = {}
        self._rv = 0
        self._history: deque[Change] = deque()
        self._history_limit = history_limit
        self._expired_rv = 0  # changes with rv <= this are no longer replayable
        self._watches: set[Watch] = set()
        self._watch_opened = threading.Condition(self._lock)
        self._listeners: list[Listener] = []
        self._pending: deque[Change] = deque()
        for name in namespaces:
            self.create("namespaces", {"metadata": {"name": name}})

    # --- reading ---------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def _table(self, resource: str) -> dict[Key, dict[str, Any]]:
        try:
            return self._objects[resource]
        except KeyError:
            raise not_found_error(resource, None) from None

    def _key(self, rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (namespace or "default", name) if rt.namespaced else ("", name)

    def get_ref(self, resource: str, namespace: str | None, name: str) -> dict[str, Any]:
        """The stored object itself (shared; never mutate it)."""
        rt = resource_type(resource)
        with self._lock:
            obj = self._table(resource).get(self._key(rt, namespace, name))
        if obj is None:
            raise not_found_error(resource, name)
        return obj

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any]:
        return clone(self.get_ref(resource, namespace, name))

    def page(
        self,
        resource: str,
        namespace: str | None = None,
        predicate: Predicate | None = None,
        *,
        limit: int | None = None,
        after: Key | None = None,
    ) -> tuple[list[dict[str, Any]], str, Key | None]:
        """Shared refs of one page sorted by (namespace, name): (items, rv, last key or None
        when this page is the last)."""
        with self._lock:
            table = self._table(resource)
            rv = str(self._rv)
            keys = self._sorted_keys(resource)
            start, stop = 0, len(keys)
            if namespace:
                start = bisect.bisect_left(keys, (namespace, ""))
                stop = bisect.bisect_left(keys, (namespace + "\0", ""))
            if after is not None:
                start = max(start, bisect.bisect_right(keys, after))
            items: list[dict[str, Any]] = []
            for n in range(start, stop):
                obj = table[keys[n]]
                if predicate is None or predicate(obj):
                    if limit and len(items) == limit:
                        return items, rv, keys[n - 1]
                    items.append(obj)
            return items, rv, None

    def _sorted_keys(self, resource: str) -> list[Key]:
        """The keys of a resource in (namespace, name) order, cached until one is added or
        removed (the lock is held)."""
        keys = self._sorted.get(resource)
        if keys is None:
            keys = self._sorted[resource] = sorted(self._objects[resource])
        return keys

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict[str, Any]], str]:
        items, rv, _ = self.page(resource, namespace, combined(label_selector, field_selector))
        return clone(items), rv

    def dump(self) -> list[tuple[str, dict[str, Any]]]:
        """Every stored object as (resource, copy), namespaces first."""
        with self._lock:
            return [
                (resource, clone(obj))
                for resource in STORED_KEYS
                for _, obj in sorted(self._objects[resource].items())
            ]

    # --- writing ---------------------------------------------------------------------------

    def create(
        self,
        resource: str,
        obj: dict[str, Any],
        *,
        drop_status: bool = False,
        restore: bool = False,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        rt = resource_type(resource)
        obj = _checked_object(obj)
        with self._lock:
            table = self._table(resource)
            meta = obj["metadata"]
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = _generated_name(table, rt, meta)
            _validate_name(rt, meta.get("name"))
            if rt.namespaced:
                meta["namespace"] = meta.get("namespace") or "default"
                _validate_namespace_name(meta["namespace"])
                if ("", meta["namespace"]) not in self._objects["namespaces"]:
                    raise not_found_error("namespaces", meta["namespace"])
            else:
                meta.pop("namespace", None)
            key = self._key(rt, meta.get("namespace"), meta["name"])
            if key in table:
                raise api_error(
                    errors.CONFLICT, f'{resource} "{meta["name"]}" already exists',
                    reason="AlreadyExists",
                    details={"name": meta["name"], "group": rt.group, "kind": rt.plural},
                )
            for server_field in ("resourceVersion", "selfLink", "managedFields",
                                 "deletionTimestamp"):
                meta.pop(server_field, None)
            if not (restore and meta.get("uid")):
                meta["uid"] = str(uuid.uuid4())
            if not (restore and meta.get("creationTimestamp")):
                meta["creationTimestamp"] = rfc3339(self.now())
            if resource not in _NO_GENERATION:
                meta["generation"] = meta.get("generation") if restore and isinstance(
                    meta.get("generation"), int) else 1
            if drop_status and rt.status_subresource:
                obj.pop("status", None)
            if resource == "namespaces":
                obj["status"] = {"phase": "Active"}
            obj = _normalised(rt, obj)
            if not dry_run:
                self._commit("ADDED", resource, key, obj, None)
        self._flush()
        return clone(obj)

    def update(
        self,
        resource: str,
        obj: dict[str, Any],
        subresource: str | None = None,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        rt = resource_type(resource)
        obj = _checked_object(obj)
        with self._lock:
            meta = obj["metadata"]
            current = self.get_ref(resource, meta.get("namespace"), str(meta.get("name") or ""))
            result = self._update_locked(rt, current, obj, subresource, dry_run)
        self._flush()
        return clone(result)

    def patch(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        patch: Any,
        patch_type: str = "merge",
        subresource: str | None = None,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        rt = resource_type(resource)
        if patch_type == "strategic" and not rt.builtin:
            raise api_error(
                errors.INVALID_INPUT,
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json-patch+json, application/merge-patch+json, "
                "application/apply-patch+yaml",
                http=415, reason="UnsupportedMediaType",
            )
        with self._lock:
            current = self.get_ref(resource, namespace, name)
            patched = apply_patch(current, patch, patch_type)
            patched = _checked_object(patched)
            meta = patched["metadata"]
            if meta.get("name") != name or (
                rt.namespaced and meta.get("namespace") != current["metadata"]["namespace"]
            ):
                raise api_error(
                    errors.INVALID_INPUT, "metadata.name and metadata.namespace cannot be "
                    "changed by a patch", http=400, reason="BadRequest",
                )
            result = self._update_locked(rt, current, patched, subresource, dry_run)
        self._flush()
        return clone(result)

    def delete(
        self, resource: str, namespace: str | None, name: str, *, dry_run: bool = False
    ) -> dict[str, Any]:
        rt = resource_type(resource)
        if resource == "namespaces" and name in PROTECTED_NAMESPACES:
            raise api_error(errors.FORBIDDEN, f'namespaces "{name}" is forbidden: this '
                            "namespace may not be deleted",
                            details={"name": name, "group": "", "kind": "namespaces"})
        with self._lock:
            current = self.get_ref(resource, namespace, name)
            deleted = current if dry_run else self._delete_locked(rt, current)
        self._flush()
        return clone(deleted)

    def _update_locked(
        self,
        rt: ResourceType,
        current: dict[str, Any],
        obj: dict[str, Any],
        subresource: str | None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        cur_meta = current["metadata"]
        meta = obj["metadata"]
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv not in (None, "") and str(wanted_rv) != cur_meta["resourceVersion"]:
            raise api_error(
                errors.CONFLICT,
                f'Operation cannot be fulfilled on {rt.key} "{cur_meta["name"]}": the object '
                "has been modified; please apply your changes to the latest version and try "
                "again",
                details={"name": cur_meta["name"], "group": rt.group, "kind": rt.plural},
            )
        if subresource not in (None, "status"):
            raise not_found_error(rt.key, cur_meta["name"])
        # ``obj`` is the caller's private copy (from _checked_object): no further copies.
        if subresource == "status" and rt.status_subresource:
            new = {k: v for k, v in current.items() if k != "status"}
            new["metadata"] = dict(cur_meta)
            if "status" in obj:
                new["status"] = obj["status"]
        else:
            new = obj
            new_meta = new["metadata"]
            for server_field in _SERVER_FIELDS:
                if server_field in cur_meta:
                    new_meta[server_field] = cur_meta[server_field]
                else:
                    new_meta.pop(server_field, None)
            new_meta["name"] = cur_meta["name"]
            if "namespace" in cur_meta:
                new_meta["namespace"] = cur_meta["namespace"]
            for dropped in ("selfLink", "managedFields", "deletionTimestamp"):
                new_meta.pop(dropped, None)
            if rt.status_subresource:
                new.pop("status", None)
                if "status" in current:
                    new["status"] = current["status"]
        new = _normalised(rt, new)
        if new == current:
            return current  # a no-op write: no new resourceVersion, no event
        if "generation" in cur_meta and _spec_part(new) != _spec_part(current):
            new["metadata"]["generation"] = int(cur_meta["generation"]) + 1
        if not dry_run:
            key = self._key(rt, cur_meta.get("namespace"), cur_meta["name"])
            self._commit("MODIFIED", rt.key, key, new, current)
        return new

    def _delete_locked(self, rt: ResourceType, current: dict[str, Any]) -> dict[str, Any]:
        meta = current["metadata"]
        key = self._key(rt, meta.get("namespace"), meta["name"])
        deleted = dict(current)
        deleted["metadata"] = dict(meta)
        self._commit("DELETED", rt.key, key, deleted, None)
        # The garbage collector's job, done at once: dependents and namespace contents.
        uid = meta.get("uid")
        for resource in STORED_KEYS:
            for obj in list(self._objects[resource].values()):
                owned = any(ref.get("uid") == uid
                            for ref in obj["metadata"].get("ownerReferences") or [])
                contained = rt.key == "namespaces" and obj["metadata"].get("namespace") == \
                    meta["name"]
                if owned or contained:
                    self._delete_locked(BY_KEY[resource], obj)
        return deleted

    def _commit(
        self,
        event_type: str,
        resource: str,
        key: Key,
        obj: dict[str, Any],
        old: dict[str, Any] | None,
    ) -> None:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        table = self._objects[resource]
        if event_type == "DELETED":
            table.pop(key, None)
        else:
            table[key] = obj
        if event_type != "MODIFIED":
            self._sorted[resource] = None
        change = Change(self._rv, event_type, resource, obj, old)
        self._history.append(change)
        while len(self._history) > self._history_limit:
            self._expired_rv = self._history.popleft().rv
        for watch in list(self._watches):
            watch._offer(change)
        if self._listeners:
            self._pending.append(change)

    def _flush(self) -> None:
        """Call the listeners with the committed changes, outside the store lock."""
        if not self._pending:
            return
        with self._dispatch_lock:
            while True:
                with self._lock:
                    if not self._pending:
                        return
                    change = self._pending.popleft()
                    listeners = list(self._listeners)
                for listener in listeners:
                    try:
                        listener(change.type, change.resource, clone(change.obj))
                    except Exception:  # a broken listener must not fail the committed write
                        log.exception("sandbox store: listener %r failed", listener)

    # --- listeners and watches -------------------------------------------------------------

    def add_listener(self, fn: Listener) -> None:
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def open_watch(
        self,
        resource: str,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> Watch:
        predicate = combined(label_selector, field_selector)
        with self._lock:
            table = self._table(resource)
            watch = Watch(self, resource, namespace, predicate)
            if resource_version in (None, "", "0"):
                for key in sorted(table):
                    if not namespace or key[0] == namespace:
                        watch._offer(Change(self._rv, "ADDED", resource, table[key], None))
                watch.initial_events = watch._queue.qsize()
            else:
                since = _parse_rv(resource_version)
                if since < self._expired_rv:
                    raise gone_error(since, self._expired_rv)
                for change in self._history:
                    if change.rv > since:
                        watch._offer(change)
            self._watches.add(watch)
            self._watch_opened.notify_all()
        return watch

    @property
    def watch_count(self) -> int:
        return len(self._watches)

    def wait_for_watches(self, count: int = 1, timeout: float | None = None) -> bool:
        """Block until at least ``count`` watches are open (tests: a client is listening)."""
        with self._watch_opened:
            return self._watch_opened.wait_for(lambda: len(self._watches) >= count, timeout)

    def _forget_watch(self, watch: Watch) -> None:
        with self._lock:
            self._watches.discard(watch)

    def close_watches(self) -> int:
        """End every open watch (their streams close); returns how many were open."""
        with self._lock:
            watches = list(self._watches)
        for watch in watches:
            watch.close()
        return len(watches)

    def compact(self) -> None:
        """Drop the event history: every resourceVersion before now expires (410 Gone)."""
        with self._lock:
            self._history.clear()
            self._expired_rv = self._rv

    def check_resource_version(self, resource_version: str | None) -> None:
        """Raise 410 Gone if ``resource_version`` (of a list or continue token) expired."""
        if resource_version in (None, "", "0"):
            return
        since = _parse_rv(resource_version)
        with self._lock:
            if since < self._expired_rv:
                raise gone_error(since, self._expired_rv)


def gone_error(since: int, oldest: int) -> RolloutsError:
    return api_error(
        errors.API_ERROR, f"too old resource version: {since} ({oldest})", http=410,
        reason="Expired",
    )


def _parse_rv(value: str) -> int:
    try:
        rv = int(value)
    except (TypeError, ValueError):
        rv = -1
    if rv < 0:
        raise api_error(
            errors.INVALID_INPUT, f"invalid resource version: {value!r}", http=400,
            reason="BadRequest",
        )
    return rv


def _checked_object(obj: Any) -> dict[str, Any]:
    """A deep copy of ``obj`` that is a JSON object with a metadata object."""
    if not isinstance(obj, dict):
        raise api_error(errors.INVALID_INPUT, "the object must be a JSON object", http=400,
                        reason="BadRequest")
    try:
        obj = json.loads(json.dumps(obj))  # a deep copy that also refuses non-JSON values
    except (TypeError, ValueError) as exc:
        raise api_error(errors.INVALID_INPUT, f"the object is not valid JSON: {exc}", http=400,
                        reason="BadRequest") from None
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise api_error(errors.INVALID_INPUT, "metadata must be an object", http=400,
                        reason="BadRequest")
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if values is None:
            continue
        if not isinstance(values, dict) or not all(
            isinstance(v, str) for v in values.values()
        ):
            raise api_error(
                errors.INVALID_INPUT, f"metadata.{field} must map strings to strings",
                http=400, reason="BadRequest",
            )
    for key, value in (meta.get("labels") or {}).items():
        if not _valid_label_key(key) or not (value == "" or _LABEL_VALUE_RE.match(value)):
            message = (f'metadata.labels: Invalid value: "{key}={value}": label keys and '
                       "values must be 63 characters or less, alphanumeric, '-', '_' or '.', "
                       "beginning and ending with an alphanumeric character")
            raise api_error(errors.INVALID_INPUT, message, details={"causes": [
                {"reason": "FieldValueInvalid", "message": message, "field": "metadata.labels"}]})
    return obj


def _valid_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN_RE.match(prefix)):
        return False
    return bool(_LABEL_VALUE_RE.match(name))


def _invalid_name(rt: ResourceType, name: Any, message: str) -> RolloutsError:
    kind = rt.kind if not rt.group else f"{rt.kind}.{rt.group}"
    text = f'{kind} "{name}" is invalid: metadata.name: Invalid value: "{name}": {message}'
    cause = {"reason": "FieldValueInvalid", "message": f'Invalid value: "{name}": {message}',
             "field": "metadata.name"}
    return api_error(
        errors.INVALID_INPUT, text,
        details={"name": str(name), "group": rt.group, "kind": rt.kind, "causes": [cause]},
    )


def _validate_name(rt: ResourceType, name: Any) -> None:
    if not name:
        kind = rt.kind if not rt.group else f"{rt.kind}.{rt.group}"
        cause = {"reason": "FieldValueRequired", "message": "Required value: name or "
                 "generateName is required", "field": "metadata.name"}
        raise api_error(
            errors.INVALID_INPUT, f'{kind} "" is invalid: metadata.name: Required value: name '
            "or generateName is required",
            details={"group": rt.group, "kind": rt.kind, "causes": [cause]},
        )
    if not isinstance(name, str):
        raise _invalid_name(rt, name, "must be a string")
    if rt.dns_label_names:
        if len(name) > 63:
            raise _invalid_name(rt, name, "must be no more than 63 characters")
        if not _LABEL_RE.match(name):
            raise _invalid_name(rt, name, _LABEL_MSG)
    else:
        if len(name) > 253:
            raise _invalid_name(rt, name, "must be no more than 253 characters")
        if not _SUBDOMAIN_RE.match(name):
            raise _invalid_name(rt, name, _SUBDOMAIN_MSG)


def _validate_namespace_name(namespace: Any) -> None:
    if not isinstance(namespace, str) or len(namespace) > 63 or not _LABEL_RE.match(namespace):
        raise _invalid_name(BY_KEY["namespaces"], namespace, _LABEL_MSG)


def _generated_name(table: dict[Key, Any], rt: ResourceType, meta: dict[str, Any]) -> str:
    prefix = str(meta["generateName"])[:58]
    namespace = (meta.get("namespace") or "default") if rt.namespaced else ""
    while True:
        name = prefix + "".join(secrets.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        if (namespace, name) not in table:
            return name


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _normalised(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """Stamp the storage apiVersion and kind, and prune what the schema does not know."""
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    obj = {"apiVersion": rt.api_version(), "kind": rt.kind, **rest}
    prune(obj, rt, rt.storage_version)
    return obj


def prune(obj: dict[str, Any], rt: ResourceType, version: str) -> list[str]:
    """Drop, in place, the fields the CRD schema of ``version`` does not declare; returns
    their paths (``spec.paused``)."""
    dropped: list[str] = []
    for path, allowed in rt.prune.get(version, {}).items():
        node: Any = obj
        for part in path.split(".") if path else []:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            for unknown in [k for k in node if k not in allowed]:
                del node[unknown]
                dropped.append(f"{path}.{unknown}" if path else unknown)
    return dropped
