"""The shared live cache behind every widget: raw rollouts, their views, and an event log.

A ``Store`` listens to the shared watchers of one or more clusters (one per rollout resource
and namespace) and keeps, keyed by (cluster, namespace, name), each rollout's raw object
(packed, as the watcher caches it; ``raw()`` unpacks a fresh copy) and its ``RolloutView``.
Subscribers get a snapshot, then upsert/delete/error/heartbeat events.

Threads and locks. Watcher threads call ``on_*`` under their own lock; the store then takes
its data lock only to update its maps and queue events (never user code). Queued events are
handed to subscribers by ``deliver()``, outside every watcher and data lock, by one thread at
a time and in order; a subscriber added later gets a snapshot and then exactly the events
queued after it. ``follow(ref)`` starts related-object watchers (ReplicaSets, pods, the
workload, AnalysisRuns, Experiments, Events) so pod-only changes recompute the view.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import CLONESETS, DEPLOYMENTS, GVR, STATEFULSETS
from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.rollout import rollout_view
from rollouts_widgets.model.view import RolloutView
from rollouts_widgets.watch.related import is_argo, related_gvrs, select_related, workload_ref
from rollouts_widgets.watch.settings import WatchSettings
from rollouts_widgets.watch.watcher import (
    Change,
    Mode,
    Watcher,
    object_key,
    resource_version,
    unpack,
)

if TYPE_CHECKING:
    from rollouts_widgets.cluster import Cluster

log = logging.getLogger(__name__)

Key = tuple[str, str, str]  # (cluster, namespace, name)
# A Kruise rollout names its workload but carries no replica counts or images of its own: the
# list's rows need the workload, so a store with Kruise rollouts watches these kinds too.
WORKLOAD_GVRS = (DEPLOYMENTS, CLONESETS, STATEFULSETS)
WorkloadKey = tuple[str, str, str, str]  # (cluster, namespace, kind, name)


def slim_workload(obj: dict[str, Any]) -> dict[str, Any]:
    """What a list row reads of a workload (replicas, images, conditions): a few hundred
    bytes instead of the whole object."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    pod_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
    return {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "generation") if k in meta},
        "spec": {
            "replicas": spec.get("replicas"),
            "template": {"spec": {k: pod_spec[k] for k in ("containers", "initContainers")
                                  if k in pod_spec}},
        },
        "status": obj.get("status") if isinstance(obj.get("status"), dict) else {},
    }
Callback = Callable[[RolloutWatchEvent], None]

_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_MALFORMED_PREFIXES = ("malformed rollout", "could not read rollout")


def _valid_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _DNS_NAME.match(value):
        shown = value[:80] if isinstance(value, str) else type(value).__name__
        raise RolloutsError(errors.INVALID_INPUT, f"invalid {what}: {shown!r}")
    return value


def parse_ref(ref: Any) -> tuple[str | None, str, str]:
    """``"ns/name"``, ``"cluster/ns/name"`` or a RolloutView -> (cluster or None, ns, name).

    Names are checked (DNS names) so that nothing hostile reaches a URL path.
    """
    if isinstance(ref, RolloutView):
        return ref.cluster or None, ref.namespace, ref.name
    if not isinstance(ref, str) or ref.count("/") < 1:
        raise RolloutsError(
            errors.INVALID_INPUT,
            f"a rollout is named 'namespace/name' or 'cluster/namespace/name', got {ref!r:.80}",
        )
    parts = ref.rsplit("/", 2)
    cluster = parts[0] if len(parts) == 3 else None
    if cluster is not None and not cluster:
        raise RolloutsError(errors.INVALID_INPUT, f"empty cluster name in {ref!r:.80}")
    return cluster, _valid_name(parts[-2], "namespace"), _valid_name(parts[-1], "name")


def namespace_scope(namespace: str | Iterable[str] | None) -> tuple[str | None, ...]:
    """None (all namespaces), "ns" or ["ns1", "ns2"] -> the namespaces to watch."""
    if namespace is None:
        return (None,)
    if isinstance(namespace, str):
        return (_valid_name(namespace, "namespace"),)
    names = tuple(dict.fromkeys(_valid_name(n, "namespace") for n in namespace))
    if not names:
        raise RolloutsError(errors.INVALID_INPUT, "an empty list of namespaces watches nothing")
    return names


def _is_malformed(view: RolloutView) -> bool:
    return view.status == "Unknown" and view.message.startswith(_MALFORMED_PREFIXES)


def _fingerprint(objects: list[dict[str, Any]]) -> tuple:
    return tuple(
        sorted((str(o.get("kind")), *(object_key(o) or ("", "")), resource_version(o))
               for o in objects)
    )


class FollowHandle:
    """Keeps one rollout's related objects watched until ``close()``."""

    def __init__(self, store: Store, key: Key, gvrs: list[GVR]) -> None:
        self.store = store
        self.key = key
        self.gvrs = gvrs
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.store._unfollow(self)

    def __enter__(self) -> FollowHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store:
    """Live rollouts of ``clusters`` in ``namespace`` (None = all, "ns", or a list)."""

    def __init__(
        self, clusters: Sequence[Cluster], namespace: str | Iterable[str] | None = None
    ) -> None:
        if not clusters:
            raise RolloutsError(errors.INVALID_INPUT, "a store needs at least one cluster")
        self.clusters: dict[str, Cluster] = {c.name: c for c in clusters}
        self.cluster = clusters[0].name if len(clusters) == 1 else ""
        self.namespaces = namespace_scope(namespace)
        self.settings: WatchSettings = clusters[0].watch_settings
        self._clock = self.settings.clock
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._raw: dict[Key, bytes] = {}  # packed (watch.watcher.pack), shared with the watcher
        self._views: dict[Key, RolloutView] = {}
        self._malformed_seen: dict[Key, str] = {}
        self._log: deque[RolloutWatchEvent] = deque(maxlen=self.settings.event_log_size)
        self._outbox: deque[tuple[int, RolloutWatchEvent]] = deque()
        self._seq = 0
        self._subs: dict[int, tuple[Callback, int]] = {}
        self._sub_ids = itertools.count(1)
        self._delivery = threading.Lock()
        self._delivering: int | None = None  # thread id inside deliver()
        # related objects, for followed rollouts
        self._followed: dict[Key, int] = {}
        self._selection: dict[Key, tuple] = {}
        self._related: dict[tuple[str, str], dict[tuple[GVR, str], dict[str, Any]]] = {}
        self._related_watchers: dict[tuple[str, str, GVR], list[Any]] = {}  # [watcher, users]
        self._follow_lock = threading.RLock()  # a subscriber may follow from a callback
        self._closed = False
        self._mode: Mode = "connecting"
        self._stop = threading.Event()
        self._rollout_watchers: list[Watcher] = []
        self._rollout_gvrs = {g for c in clusters for g in c.discovery.rollout_gvrs}
        # workloads of Kruise rollouts (slim copies) and which rollouts name each one
        # (kept apart from the rollout watchers: a user who may not list Deployments still gets
        # live rows, and the store's mode speaks of the rollouts only)
        self._workload_watchers: list[Watcher] = []
        self._workloads: dict[WorkloadKey, dict[str, Any]] = {}
        self._workload_users: dict[WorkloadKey, set[Key]] = {}
        self._workload_named: dict[Key, WorkloadKey] = {}
        for cluster in clusters:
            for gvr in cluster.discovery.rollout_gvrs:
                for ns in self.namespaces:
                    self._rollout_watchers.append(cluster.pool.acquire(gvr, ns, self))
            if cluster.discovery.kruise_version:
                for gvr in WORKLOAD_GVRS:
                    if cluster.discovery.serves(gvr):
                        for ns in self.namespaces:
                            self._workload_watchers.append(cluster.pool.acquire(gvr, ns, self))
            cluster._register_store(self)
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"rw-heartbeat {self.cluster or 'fleet'}", daemon=True
        )
        self._heartbeat.start()

    # -- what widgets and runbooks read ----------------------------------------------------
    @property
    def mode(self) -> Mode:
        """"connecting" | "watch" | "polling" | "stopped" over all of the store's watchers."""
        if self._closed or not self._rollout_watchers:
            return "stopped"
        modes = {w.mode for w in self._rollout_watchers}
        for mode in ("polling", "connecting", "stopped"):
            if mode in modes:
                return mode  # type: ignore[return-value]
        return "watch"

    @property
    def mode_reason(self) -> str:
        """Why the mode is what it is: the polling cause, or which clusters serve no rollout
        CRDs (with what to install); "" when all is well."""
        if self._closed:
            return "store closed"
        for watcher in self._rollout_watchers:
            if watcher.mode == "polling":
                return f"{watcher.description}: {watcher.mode_reason}"
        return " ".join(
            f"{c.name}: {c.discovery.message}" for c in self.clusters.values() if c.discovery.none
        )

    @property
    def last_contact(self) -> datetime | None:
        """When the API server was last known to answer, over all watchers (the oldest)."""
        contacts = [w.contact() for w in self._rollout_watchers]
        known = [c for c in contacts if c is not None]
        return min(known) if known else None

    @property
    def synced(self) -> bool:
        """True once every rollout watcher has listed at least once."""
        return all(w.synced for w in self._rollout_watchers)

    def views(self) -> list[RolloutView]:
        with self._lock:
            return [self._views[k] for k in sorted(self._views)]

    def get(self, ref: Any) -> RolloutView | None:
        with self._lock:
            key = self._find(ref)
            return self._views.get(key) if key else None

    def raw(self, ref: Any) -> dict[str, Any] | None:
        """A fresh copy of the cached raw object, as watched (without managedFields and
        kubectl's last-applied annotation); ``cluster.get_raw(ref)`` reads the server."""
        with self._lock:
            key = self._find(ref)
            packed = self._raw.get(key) if key else None
        return unpack(packed) if packed is not None else None

    def events(self) -> list[RolloutWatchEvent]:
        """The bounded event log (oldest first): upserts with ``previous``, deletes, errors,
        mode changes. Not logged: periodic heartbeats and the first load of each watcher."""
        with self._lock:
            return list(self._log)

    def wait_until(self, predicate: Callable[[Store], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate(store)`` holds (re-checked on every change) or timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def wait_synced(self, timeout: float = 30.0) -> bool:
        return self.wait_until(lambda s: s.synced, timeout)

    def __len__(self) -> int:
        return len(self._views)

    def __repr__(self) -> str:
        scope = ",".join(n or "*" for n in self.namespaces)
        return f"<Store {self.cluster or 'fleet'} ns={scope} mode={self.mode} rows={len(self)}>"

    # -- subscriptions ---------------------------------------------------------------------
    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call ``callback`` with a snapshot now, then with every event; returns unsubscribe."""
        if not callable(callback):
            raise RolloutsError(errors.INVALID_INPUT, "subscribe needs a callable")
        nested = self._delivering == threading.get_ident()
        if not nested:
            self._delivery.acquire()
        try:
            with self._lock:
                snapshot = RolloutWatchEvent(
                    "snapshot",
                    self._clock.now(),
                    cluster=self.cluster,
                    rollouts=tuple(self._views[k] for k in sorted(self._views)),
                    message=self.mode,
                )
                sid = next(self._sub_ids)
                self._subs[sid] = (callback, self._seq)
            self._call(callback, snapshot)
        finally:
            if not nested:
                self._delivery.release()
        self.deliver()

        def unsubscribe() -> None:
            with self._lock:
                self._subs.pop(sid, None)

        return unsubscribe

    def deliver(self) -> None:
        """Hand queued events to subscribers, in order, from whichever thread gets here."""
        while True:
            if not self._delivery.acquire(blocking=False):
                return  # another thread is delivering and will see our events
            self._delivering = threading.get_ident()
            try:
                while True:
                    with self._lock:
                        if not self._outbox:
                            break
                        batch = list(self._outbox)
                        self._outbox.clear()
                        subs = list(self._subs.items())
                    for seq, event in batch:
                        for sid, (callback, start) in subs:
                            if seq > start and sid in self._subs:
                                self._call(callback, event)
                    with self._lock:
                        self._changed.notify_all()  # wait_until() may watch subscribers
            finally:
                self._delivering = None
                self._delivery.release()
            with self._lock:
                if not self._outbox:
                    return

    @staticmethod
    def _call(callback: Callback, event: RolloutWatchEvent) -> None:
        try:
            callback(event)
        except Exception:  # a broken subscriber must not stop the others or the watcher
            log.exception("store subscriber failed on a %s event", event.type)

    def _emit(self, event: RolloutWatchEvent, *, logged: bool = True) -> None:
        """Queue an event (call with the data lock held)."""
        self._seq += 1
        if self._subs:
            self._outbox.append((self._seq, event))
        if logged:
            self._log.append(event)

    # -- watcher callbacks (under the watcher's lock) --------------------------------------
    def on_changes(self, watcher: Watcher, changes: list[Change], initial: bool) -> None:
        rollouts = watcher.gvr in self._rollout_gvrs
        # The model is pure and the slow part: build views before taking the data lock, so
        # readers (views(), get()) are not held up by a large first list.
        views = [
            None if change.type == "DELETED"
            else rollout_view(change.object, self._workload_of(watcher.cluster, change.object),
                              cluster=watcher.cluster)
            for change in (changes if rollouts else ())
        ]
        with self._lock:
            if self._closed:
                return
            if rollouts:
                for change, view in zip(changes, views):
                    self._apply_rollout(watcher.cluster, change, view, logged=not initial)
            else:
                if watcher in self._workload_watchers:
                    self._apply_workloads(watcher, changes)
                self._apply_related(watcher, changes)
            self._changed.notify_all()

    def _workload_key(self, cluster: str, rollout: dict[str, Any]) -> WorkloadKey | None:
        """The key of a Kruise rollout's workload (None for Argo: its row needs none)."""
        if is_argo(rollout):
            return None
        ref = workload_ref(rollout)
        meta = rollout.get("metadata") if isinstance(rollout.get("metadata"), dict) else {}
        kind, name = ref.get("kind"), ref.get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            return None
        return (cluster, str(meta.get("namespace") or ""), kind, name)

    def _workload_of(self, cluster: str, rollout: dict[str, Any]) -> list[dict[str, Any]] | None:
        key = self._workload_key(cluster, rollout)
        workload = self._workloads.get(key) if key else None
        return [workload] if workload is not None else None

    def _apply_workloads(self, watcher: Watcher, changes: list[Change]) -> None:
        """Keep the slim workloads; rebuild the rows of the Kruise rollouts that name them."""
        now = self._clock.now()
        for change in changes:
            obj = change.object
            ns, name = object_key(obj) or ("", "")
            key = (watcher.cluster, ns, str(obj.get("kind") or ""), name)
            if change.type == "DELETED":
                self._workloads.pop(key, None)
            else:
                self._workloads[key] = slim_workload(obj)
            for user in list(self._workload_users.get(key, ())):
                packed = self._raw.get(user)
                if packed is not None and user not in self._followed:
                    self._upsert(user, unpack(packed), now, message="workload changed")

    def on_mode(self, watcher: Watcher, previous: Mode, error: RolloutsError | None) -> None:
        with self._lock:
            if self._closed or watcher.gvr not in self._rollout_gvrs:
                return
            if watcher.mode == "polling" and error is not None:
                self._watch_error(watcher, f"{watcher.description}: {watcher.mode_reason}",
                                  errors.WATCH_STREAM_UNAVAILABLE)
            mode = self.mode
            if mode != self._mode:
                self._mode = mode
                reason = self.mode_reason
                text = f"mode: {mode}" + (f" ({reason})" if reason else "")
                self._emit(RolloutWatchEvent("heartbeat", self._clock.now(),
                                             cluster=self.cluster, message=text))
            self._changed.notify_all()

    def on_failure(self, watcher: Watcher, error: RolloutsError) -> None:
        """Refusals (RBAC, credentials) will not heal by retrying: say so at once."""
        if error.code in (errors.FORBIDDEN, errors.UNAUTHORIZED) and watcher.failures == 1:
            with self._lock:
                if not self._closed and watcher.gvr in self._rollout_gvrs:
                    self._watch_error(watcher, error.message, error.code)

    def on_malformed(self, watcher: Watcher, message: str) -> None:
        with self._lock:
            if not self._closed:
                self._watch_error(watcher, message, errors.INVALID_INPUT)

    def _watch_error(self, watcher: Watcher, message: str, code: str) -> None:
        """Queue an error event about a watcher's scope (data lock held)."""
        self._emit(
            RolloutWatchEvent(
                "error",
                self._clock.now(),
                cluster=watcher.cluster,
                namespace=watcher.namespace or "",
                message=message,
                code=code,
            )
        )

    # -- applying changes (data lock held) -------------------------------------------------
    def _apply_rollout(
        self,
        cluster: str,
        change: Change,
        view: RolloutView | None,
        logged: bool,
    ) -> None:
        obj = change.object
        ns, name = object_key(obj) or ("", "")
        key = (cluster, ns, name)
        now = self._clock.now()
        rv = resource_version(obj)
        workload = None if change.type == "DELETED" else self._workload_key(cluster, obj)
        named = self._workload_named.pop(key, None)
        if named is not None:  # the rollout may now name another workload, or be gone
            self._workload_users.get(named, set()).discard(key)
        if workload is not None:
            self._workload_named[key] = workload
            self._workload_users.setdefault(workload, set()).add(key)
        if change.type == "DELETED":
            self._raw.pop(key, None)
            self._malformed_seen.pop(key, None)
            previous = self._views.pop(key, None)
            if previous is not None:
                self._emit(RolloutWatchEvent("delete", now, cluster, ns, name, rv, previous))
            return
        self._raw[key] = change.packed
        self._upsert(key, obj, now, logged=logged, view=view)

    def _upsert(
        self,
        key: Key,
        obj: dict[str, Any],
        now: datetime,
        *,
        logged: bool = True,
        message: str | None = None,
        view: RolloutView | None = None,
    ) -> None:
        """Store the view of ``obj`` (``view`` if given and the rollout is not followed: a
        followed one is built with its related objects) and queue the upsert."""
        if key in self._followed:
            view = rollout_view(obj, self._related_of(key, obj), cluster=key[0])
        elif view is None:
            view = rollout_view(obj, self._workload_of(key[0], obj), cluster=key[0])
        previous = self._views.get(key)
        self._views[key] = view
        rv = resource_version(obj)
        if message is not None and view == previous:
            logged = False  # a related-only change: tell subscribers, keep the log clean
        self._emit(
            RolloutWatchEvent(
                "upsert", now, *key, rv, view, previous=previous, message=message
            ),
            logged=logged,
        )
        if _is_malformed(view) and self._malformed_seen.get(key) != rv:
            self._malformed_seen[key] = rv
            self._emit(
                RolloutWatchEvent(
                    "error", now, *key, rv, view, message=view.message, code=errors.INVALID_INPUT
                )
            )

    def _related_of(self, key: Key, obj: dict[str, Any]) -> list[dict[str, Any]]:
        cache = self._related.get((key[0], key[1]), {})
        selected = select_related(obj, cache.values())
        self._selection[key] = _fingerprint(selected)
        return selected

    def _apply_related(self, watcher: Watcher, changes: list[Change]) -> None:
        if (watcher.cluster, watcher.namespace or "", watcher.gvr) not in self._related_watchers:
            return  # released a moment ago: a late batch must not refill the cache
        cache = self._related.setdefault((watcher.cluster, watcher.namespace or ""), {})
        for change, obj, _ in changes:
            name = (object_key(obj) or ("", ""))[1]
            if change == "DELETED":
                cache.pop((watcher.gvr, name), None)
            else:
                cache[(watcher.gvr, name)] = obj
        self._refresh_followed(watcher.cluster, watcher.namespace or "")

    def _refresh_followed(self, cluster: str, namespace: str) -> None:
        """Recompute followed rollouts of a namespace whose related objects changed."""
        cache = self._related.get((cluster, namespace), {})
        now = self._clock.now()
        for key in [k for k in self._followed if k[0] == cluster and k[1] == namespace]:
            packed = self._raw.get(key)
            if packed is None:
                continue
            obj = unpack(packed)
            if _fingerprint(select_related(obj, cache.values())) != self._selection.get(key):
                self._upsert(key, obj, now, message="related objects changed")

    # -- keys ------------------------------------------------------------------------------
    def _find(self, ref: Any) -> Key | None:
        cluster, ns, name = parse_ref(ref)
        if cluster is not None:
            return (cluster, ns, name) if (cluster, ns, name) in self._views else None
        for c in self.clusters:
            if (c, ns, name) in self._views:
                return (c, ns, name)
        return None

    def key_of(self, ref: Any) -> Key:
        """The store key of a rollout the store knows; NOT_FOUND otherwise."""
        with self._lock:
            key = self._find(ref)
        if key is None:
            raise RolloutsError(errors.NOT_FOUND, f"rollout {ref!r:.120} is not in this store")
        return key

    # -- related objects -------------------------------------------------------------------
    def follow(self, ref: Any) -> FollowHandle:
        """Watch ``ref``'s related objects (until the handle is closed), so that pod-only or
        ReplicaSet-only changes recompute its view and reach subscribers as upserts."""
        key = self.key_of(ref)
        cluster = self.clusters[key[0]]
        with self._lock:
            obj = unpack(self._raw[key])
        gvrs = related_gvrs(obj, cluster.discovery)
        handle = FollowHandle(self, key, gvrs)
        with self._follow_lock:
            if self._closed:
                raise RolloutsError(errors.INVALID_INPUT, "the store is closed")
            with self._lock:
                self._followed[key] = self._followed.get(key, 0) + 1
                self._selection.pop(key, None)  # recompute with related objects
            for gvr in gvrs:
                slot = self._related_watchers.get((key[0], key[1], gvr))
                if slot is None:
                    slot = self._related_watchers[(key[0], key[1], gvr)] = [None, 0]
                    slot[0] = cluster.pool.acquire(gvr, key[1], self)
                slot[1] += 1
            with self._lock:
                self._refresh_followed(key[0], key[1])
        self.deliver()
        return handle

    def _unfollow(self, handle: FollowHandle) -> None:
        key = handle.key
        released = []
        with self._follow_lock:
            with self._lock:
                users = self._followed.get(key, 0) - 1
                if users > 0:
                    self._followed[key] = users
                else:
                    self._followed.pop(key, None)
                    self._selection.pop(key, None)
            for gvr in handle.gvrs:
                slot = self._related_watchers.get((key[0], key[1], gvr))
                if slot is None:
                    continue
                slot[1] -= 1
                if slot[1] <= 0:
                    del self._related_watchers[(key[0], key[1], gvr)]
                    released.append(slot[0])
            for watcher in released:
                self.clusters[key[0]].pool.release(watcher, self)
            with self._lock:
                cache = self._related.get((key[0], key[1]), {})
                for watcher in released:
                    for k in [k for k in cache if k[0] == watcher.gvr]:
                        del cache[k]

    def following(self, ref: Any) -> bool:
        with self._lock:
            key = self._find(ref)
            return key in self._followed

    def related(self, ref: Any) -> list[dict[str, Any]]:
        """Raw related objects: from the live cache when followed (and listed), else a
        fresh read from the API server."""
        key = self.key_of(ref)
        with self._lock:
            watchers = [
                slot[0] for (c, ns, _), slot in self._related_watchers.items()
                if (c, ns) == key[:2] and slot[0] is not None
            ]
            if key in self._followed and watchers and all(w.synced for w in watchers):
                cache = self._related.get(key[:2], {})
                return select_related(unpack(self._raw[key]), cache.values())
        return self.clusters[key[0]].related(f"{key[1]}/{key[2]}")

    def revisions(self, ref: Any) -> list[Any]:
        from rollouts_widgets.model.related import revisions

        return revisions(self._raw_or_fail(ref), self.related(ref))

    def pods(self, ref: Any) -> list[Any]:
        from rollouts_widgets.model.related import pods

        return pods(self._raw_or_fail(ref), self.related(ref))

    def _raw_or_fail(self, ref: Any) -> dict[str, Any]:
        key = self.key_of(ref)
        with self._lock:
            return unpack(self._raw[key])

    # -- heartbeats and closing ------------------------------------------------------------
    def _beat(self) -> None:
        while not self._clock.wait(self._stop, self.settings.heartbeat_interval):
            with self._lock:
                if self._closed:
                    return
                self._emit(
                    RolloutWatchEvent("heartbeat", self._clock.now(), cluster=self.cluster),
                    logged=False,
                )
            self.deliver()

    def close(self) -> None:
        """Stop this store's watchers (shared ones stop when their last user leaves)."""
        with self._follow_lock:
            with self._lock:
                if self._closed:
                    return
                self._closed = True
                self._subs.clear()
                self._outbox.clear()
                self._changed.notify_all()
            related = [(k, slot[0]) for k, slot in self._related_watchers.items()]
            self._related_watchers.clear()
        self._stop.set()
        for (cluster, _, _), watcher in related:
            self.clusters[cluster].pool.release(watcher, self)
        for watcher in self._rollout_watchers + self._workload_watchers:
            self.clusters[watcher.cluster].pool.release(watcher, self)
        for cluster in self.clusters.values():
            cluster._unregister_store(self)
        if threading.current_thread() is not self._heartbeat:
            self._heartbeat.join(10.0)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
