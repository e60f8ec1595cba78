"""RolloutDetail: one rollout's live detail panel (steps, actions, revisions, containers,
analysis, events and a timeline).

It speaks the protocol of ``base.RowStreamWidget`` with a single row: the one rollout named
by the ``rollout`` trait (``cluster/namespace/name``; "" = nothing selected). The row is the
rollout's ``RolloutView`` plus a ``detail`` block built here from the store (raw object,
related objects watched with ``store.follow``, the event log) and from
``cluster.available_actions``. Pod-only changes reach the panel because the store re-emits
the rollout when a followed related object changes.

Requests from the browser (all validated; the browser is untrusted in Voila):

- ``action`` ``{key, action}``: an allow-listed action without arguments (PROMOTE,
  PROMOTE-FULL, PAUSE, ...);
- ``rollback`` ``{key, revision}``; ``set_image`` ``{key, container, image, init}``;
- ``analysis`` ``{key}``: the analysis summary with its runs.

Each one calls ``cluster.act(...)``: the same code path as a runbook's ``cluster.promote``.
``key`` must name a rollout in the store; writes are refused with READ_ONLY in read-only mode
before any request is made.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, is_dataclass, replace
from datetime import datetime
from typing import Any

import traitlets

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as planner
from rollouts_widgets.actions.images import parse_image, validate_container_name
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.model import parse
from rollouts_widgets.model.related import events as related_events
from rollouts_widgets.model.related import revisions as related_revisions
from rollouts_widgets.model.view import RolloutView
from rollouts_widgets.store import parse_ref
from rollouts_widgets.widgets.base import RowStreamWidget, _iso, bundle, refuse, static_table

log = logging.getLogger("rollouts_widgets.widgets")

# Actions the ``action`` op may run (the ones taking no argument); the order of the bar.
BAR_ACTIONS: tuple[str, ...] = (
    planner.RESTART, planner.RETRY, planner.PAUSE, planner.RESUME, planner.DISABLE,
    planner.ENABLE, planner.PROMOTE, planner.PROMOTE_FULL, planner.ABORT,
)  # fmt: skip
WRITES = frozenset({*BAR_ACTIONS, planner.ROLLBACK, planner.SET_IMAGE})
EMPTY_DETAIL: dict[str, Any] = {
    "error": "", "revisions": [], "containers": [], "events": [], "traffic_routing": "",
    "restarted_at": "", "progress": "", "actions": [], "timeline": [],
}
MAX_EVENTS = 50
MAX_TIMELINE = 500
MAX_RAW_STEP = 4000  # JSON characters of one step's raw spec shown in the panel


def _ts(value: datetime | None) -> str | None:
    return _iso(value) or None


def _jsonable(value: Any) -> Any:
    """Dataclasses (analysis results, ...) to JSON-ready dicts; datetimes as ISO-8601 UTC."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return _iso(value)
    return value


def _result(value: Any) -> Any:
    """The JSON result of an action (ActionResult, RolloutRollbackResponse, a summary)."""
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else _jsonable(value)


# -- the detail block (pure functions of raw objects) -------------------------------------------


def containers(template_holder: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """``[{name, image, init}]`` of a pod template holder (workload or Argo rollout)."""
    template = parse.get(template_holder, "spec", "template")
    found = []
    for key, init in (("containers", False), ("initContainers", True)):
        for container in parse.items(template, "spec", key):
            found.append({
                "name": parse.text(container, "name"),
                "image": parse.text(container, "image"),
                "init": init,
            })
    return found


def _template_holder(raw: Mapping[str, Any], related: list[dict[str, Any]]) -> Any:
    """The object whose pod template the rollout releases (None when it is not at hand)."""
    try:
        ref = planner.workload_ref(raw)
    except RolloutsError:
        return None
    if ref is None:
        return raw
    namespace = parse.text(raw, "metadata", "namespace")
    return parse.find_workload(related, ref, namespace)


def traffic_routing(raw: Mapping[str, Any]) -> str:
    """A one-line summary of how traffic is routed ("" without traffic routing)."""
    strategy = parse.mapping(raw, "spec", "strategy")
    parts: list[str] = []
    for block_name in ("canary", "blueGreen"):
        block = parse.mapping(strategy, block_name)
        for route in parse.items(block, "trafficRoutings"):  # Kruise
            what = [f"service {parse.text(route, 'service')}"] if route.get("service") else []
            ingress = parse.mapping(route, "ingress")
            if ingress:
                what.append(f"ingress {parse.text(ingress, 'classType') or 'nginx'}/"
                            f"{parse.text(ingress, 'name')}")
            gateway = parse.mapping(route, "gateway")
            if gateway:
                what.append(f"gateway {parse.text(gateway, 'httpRouteName')}")
            parts.append(", ".join(what) or "custom")
        routing = parse.mapping(block, "trafficRouting")  # Argo
        parts += sorted(k for k in routing if k not in ("managedRoutes", "maxTrafficWeight"))
        if block_name == "blueGreen" and block:
            for role in ("active", "preview"):
                service = parse.text(block, f"{role}Service")
                parts += [f"{role} {service}"] if service else []
    if parse.text(strategy, "canary", "trafficRoutingRef"):
        parts.append(f"ref {parse.text(strategy, 'canary', 'trafficRoutingRef')}")
    return "; ".join(p for p in parts if p)


def restarted_at(raw: Mapping[str, Any], holder: Any) -> str:
    """When the pods were last restarted (Argo ``status.restartedAt``; the workload's
    restartedAt annotation for Kruise), "" when never."""
    value = parse.text(raw, "status", "restartedAt")
    if not value and holder is not None and holder is not raw:
        notes = parse.string_map(parse.get(holder, "spec", "template", "metadata", "annotations"))
        value = notes.get("kubectl.kubernetes.io/restartedAt") or notes.get(
            "kubectl.kruise.io/restartedAt", "")
    return value


def step_progress(view: RolloutView, raw: Mapping[str, Any], revisions: list[Any]) -> str:
    """What the current step is waiting for, e.g. "canary 1/2 ready"."""
    if view.step_index is None or view.status in ("Healthy", "Disabled"):
        return ""
    status = parse.mapping(raw, "status")
    if view.provider == "kruise":
        block = parse.mapping(status, "canaryStatus") or parse.mapping(status, "blueGreenStatus")
        desired = parse.integer(block, "canaryReplicas")
        ready = parse.integer(block, "canaryReadyReplicas")
        if desired is None:
            desired = parse.integer(block, "updatedReplicas")
            ready = parse.integer(block, "updatedReadyReplicas")
        state = parse.text(block, "currentStepState")
        counts = f"canary {ready or 0}/{desired} ready" if desired is not None else ""
        return ", ".join(p for p in (counts, state) if p)
    for revision in revisions:
        if revision.role in ("canary", "preview"):
            return f"{revision.role} {revision.ready_replicas or 0}/{revision.replicas or 0} ready"
    return ""


def _revision(revision: Any) -> dict[str, Any]:
    """A revision for the panel: every field but the raw pod template (rollback reads it in
    Python, the browser never needs it)."""
    row = _jsonable(replace(revision, template={}))
    del row["template"]
    return row


def timeline(events: list[Any], key: str) -> list[dict[str, Any]]:
    """Step and weight over time for ``key``, from the store's event log (one point per
    change of step, weight or status)."""
    points: list[dict[str, Any]] = []
    for event in events:
        views = [event.rollout] if event.rollout is not None else list(event.rollouts)
        view = next((v for v in views if v is not None and v.key == key), None)
        if view is None:
            continue
        point = {"ts": _iso(event.ts), "step": view.step_index, "steps": view.step_count,
                 "weight": view.set_weight, "actual": view.actual_weight, "status": view.status}
        if points and all(points[-1][k] == point[k] for k in point if k != "ts"):
            continue
        points.append(point)
    return points[-MAX_TIMELINE:]


def _step(step: Any) -> dict[str, Any]:
    raw = json.dumps(step.raw, indent=2, sort_keys=True, default=str)
    if len(raw) > MAX_RAW_STEP:
        raw = raw[:MAX_RAW_STEP] + "\n..."
    return {"index": step.index, "kind": step.kind, "label": step.label, "state": step.state,
            "raw": raw}


def _check_key(value: Any, what: str = "key") -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 600 or value.count("/") < 2:
        raise refuse(f"{what} must be a rollout key cluster/namespace/name")
    parse_ref(value)  # namespace and name are DNS names
    return value


class RolloutDetail(RowStreamWidget):
    """The live detail panel of one rollout of ``cluster`` (a Cluster or a Fleet).

    ``ref`` is ``"namespace/name"`` (or ``"cluster/namespace/name"``), or None for an empty
    panel; set ``detail.rollout = "cluster/ns/name"`` to show another one. ``namespace``
    is the scope of the store behind the panel (default: the ref's namespace; None and no
    ref: all namespaces).
    """

    _esm = bundle("detail.js")
    _css = bundle("detail.css")

    rollout = traitlets.Unicode("").tag(sync=True)  # cluster/namespace/name, "" = none
    cluster_name = traitlets.Unicode("").tag(sync=True)
    analysis_enabled = traitlets.Bool(True).tag(sync=True)
    rollback_enabled = traitlets.Bool(True).tag(sync=True)

    def __init__(
        self,
        cluster: Any,
        ref: str | None = None,
        *,
        namespace: str | None = None,
        read_only: bool | None = None,
        store: Any = None,
        **kwargs: Any,
    ) -> None:
        self._cluster = cluster
        self._follow: Any = None
        self._follow_key = ""
        self._follow_lock = threading.Lock()
        self._follow_pending = False
        self._pending_lock = threading.Lock()
        self._own_store = False
        key = self._key_of(ref) if ref else ""
        if store is None and namespace is None and key:
            namespace = key.rsplit("/", 2)[1]
        self._namespace = namespace
        self._own_store = store is None
        flags: Flags = getattr(cluster, "flags", None) or Flags.from_env()
        self._read_only = bool(
            Flags.from_env(read_only=read_only).read_only or getattr(cluster, "read_only", False)
        )
        self._actions_cache: dict[str, tuple[str, list[list[Any]]]] = {}
        super().__init__(
            store if store is not None else cluster.store(namespace=namespace),
            rollout=key,
            read_only=self._read_only,
            cluster_name=str(getattr(cluster, "name", "")),
            analysis_enabled=flags.analysis,
            rollback_enabled=flags.rollback,
            **kwargs,
        )
        self.observe(self._on_rollout, names=["rollout"])
        self._start_follow()

    # -- which rollout --------------------------------------------------------------------------

    def _key_of(self, ref: str) -> str:
        cluster_part, namespace, name = parse_ref(ref)
        if cluster_part is None:
            clusters = getattr(self._cluster, "clusters", None)
            if isinstance(clusters, dict):
                if len(clusters) != 1:
                    raise RolloutsError(errors.INVALID_INPUT,
                                        "name the cluster: 'cluster/namespace/name'")
                cluster_part = next(iter(clusters))
            else:
                cluster_part = str(self._cluster.name)
        return f"{cluster_part}/{namespace}/{name}"

    @traitlets.validate("rollout")
    def _valid_rollout(self, proposal: Any) -> str:
        value = proposal["value"]
        return self._key_of(value) if value else ""

    def show(self, ref: str | None) -> None:
        """Show another rollout (``"ns/name"``, ``"cluster/ns/name"``, or None for none)."""
        self.rollout = self._key_of(ref) if ref else ""

    def _on_rollout(self, change: Any) -> None:
        """Swap the row every view shows: the old rollout leaves, the new one comes in."""
        key = change["new"]
        view = self._source.get(key) if key else None
        with self._wake:
            for old in list(self._views) + list(self._pending_upserts):
                if old != key:
                    self._mark_deleted(old)
            if view is not None:
                self._pending_upserts[key] = view
                self._pending_deletes.discard(key)
            self._status_dirty = True
            self._wake.notify_all()
        self._start_follow()

    def wants(self, view: RolloutView) -> bool:
        return bool(self.rollout) and view.key == self.rollout

    def _on_event(self, event: Any) -> None:
        super()._on_event(event)
        if self.rollout and self._follow_key != self.rollout:
            views = event.rollouts if event.type == "snapshot" else (event.rollout,)
            if any(v is not None and v.key == self.rollout for v in views):
                self._start_follow()

    def _start_follow(self) -> None:
        """Watch the shown rollout's related objects (off the caller's thread: it may be the
        store's delivery thread, and starting watchers lists objects); one thread at a time."""
        with self._pending_lock:  # not _follow_lock: follow() delivers events to _on_event
            if self._follow_pending:
                return
            self._follow_pending = True
        threading.Thread(target=self._follow_now, name="rw-detail-follow", daemon=True).start()

    def _follow_now(self) -> None:
        handled = ""
        try:
            handled = self._follow_current()
        finally:
            with self._pending_lock:
                self._follow_pending = False
        if self.rollout != handled:
            self._start_follow()  # the selection changed meanwhile

    def _follow_current(self) -> str:
        """Follow the selected rollout (closing the previous watch); returns its key."""
        with self._follow_lock:
            key = self.rollout
            if key == self._follow_key or self._closed:
                return key
            if self._follow is not None:
                self._follow.close()
                self._follow, self._follow_key = None, ""
            if not key or self._source.get(key) is None:
                return key  # followed when the store first shows it
            try:
                self._follow = self._source.follow(key)
                self._follow_key = key
            except RolloutsError as err:
                log.warning("cannot follow %s: %s", key, err)
            return key

    # -- the row --------------------------------------------------------------------------------

    def _cluster_for(self, key: str) -> Any:
        finder = getattr(self._cluster, "cluster_for", None)
        return finder(key) if callable(finder) else self._cluster

    def row(self, view: RolloutView) -> dict[str, Any]:
        row = view.to_row()
        row["steps"] = [_step(s) for s in view.steps]
        try:
            row["detail"] = self.detail(view)
        except Exception as exc:  # a bug must not stop the stream (or the answers behind it)
            log.exception("detail of %s failed", view.key)
            row["detail"] = {**EMPTY_DETAIL, "error": f"{type(exc).__name__}: {exc}"[:500]}
        return row

    def detail(self, view: RolloutView) -> dict[str, Any]:
        """The detail block of ``view``: everything the panel shows besides the row."""
        raw = self._source.raw(view.key) or {}
        out: dict[str, Any] = {"error": ""}
        try:
            related = self._source.related(view.key)
        except RolloutsError as err:
            related, out["error"] = [], f"{err.code}: {err.message}"
        revisions = related_revisions(raw, related) if raw else []
        holder = _template_holder(raw, related) if raw else None
        out.update(
            revisions=[_revision(r) for r in revisions],
            containers=containers(holder),
            events=[_jsonable(e) for e in related_events(raw, related)[:MAX_EVENTS]] if raw else [],
            traffic_routing=traffic_routing(raw),
            restarted_at=restarted_at(raw, holder),
            progress=step_progress(view, raw, revisions),
            actions=self._actions(view),
            timeline=timeline(self._source.events(), view.key),
        )
        return out

    def _actions(self, view: RolloutView) -> list[list[Any]]:
        """``[[action, enabled, reason], ...]`` from ``cluster.available_actions``, recomputed
        when the rollout changes (its resourceVersion)."""
        cached = self._actions_cache.get(view.key)
        if cached and cached[0] == view.resource_version:
            return cached[1]
        try:
            found = self._cluster_for(view.key).available_actions(view.ref)
        except RolloutsError as err:
            reason = f"{err.code}: {err.message}"
            found = {a: (a == planner.ANALYSIS, reason) for a in planner.ACTIONS}
        actions = [[a, bool(found[a][0]), str(found[a][1])] for a in planner.ACTIONS if a in found]
        self._actions_cache = {view.key: (view.resource_version, actions)}
        return actions

    # -- requests from the browser --------------------------------------------------------------

    def request_handlers(self) -> dict[str, Callable[[Mapping[str, Any]], Any]]:
        return {
            "action": self._on_action,
            "rollback": self._on_rollback,
            "set_image": self._on_set_image,
            "analysis": self._on_analysis,
        }

    def _target(self, args: Mapping[str, Any], allowed: set[str]) -> tuple[str, str]:
        """Validate the request's fields; (key, "ns/name") of a rollout in the store."""
        if set(args) - allowed or "key" not in args:
            raise refuse(f"expected exactly: {', '.join(sorted(allowed))}")
        key = _check_key(args["key"])
        if self._source.get(key) is None:
            raise RolloutsError(errors.NOT_FOUND, f"no rollout {key[:300]} in this panel's store")
        return key, "/".join(key.rsplit("/", 2)[-2:])

    def _run(self, action: str, key: str, ref: str, **args: Any) -> Any:
        if action in WRITES and (self.read_only or self._read_only):
            raise RolloutsError(errors.READ_ONLY, f"{action}: this panel is read-only")
        result = self._cluster_for(key).act(action, ref, **args)
        self._actions_cache.clear()
        return _result(result)

    def _on_action(self, args: Mapping[str, Any]) -> Any:
        key, ref = self._target(args, {"key", "action"})
        action = planner.normalize_action(args.get("action"))
        if action not in BAR_ACTIONS:
            raise refuse(f"action must be one of {', '.join(BAR_ACTIONS)}")
        return self._run(action, key, ref)

    def _on_rollback(self, args: Mapping[str, Any]) -> Any:
        key, ref = self._target(args, {"key", "revision"})
        revision = args.get("revision")
        if revision is not None and (
            isinstance(revision, bool) or not isinstance(revision, (int, str))
            or (isinstance(revision, str) and not (0 < len(revision) <= 253))
        ):
            raise refuse("revision must be a revision number or a ReplicaSet name")
        return self._run(planner.ROLLBACK, key, ref, revision=revision)

    def _on_set_image(self, args: Mapping[str, Any]) -> Any:
        key, ref = self._target(args, {"key", "container", "image", "init"})
        validate_container_name(args.get("container"))
        parse_image(args.get("image"))
        init = args.get("init", False)
        if not isinstance(init, bool):
            raise refuse("init must be true or false")
        return self._run(planner.SET_IMAGE, key, ref, container=args["container"],
                         image=args["image"], init=init)

    def _on_analysis(self, args: Mapping[str, Any]) -> Any:
        key, ref = self._target(args, {"key"})
        return _jsonable(self._cluster_for(key).analysis(ref))

    # -- Python side ------------------------------------------------------------------------------

    def current(self) -> RolloutView | None:
        """The view the panel shows now (as of the last flush), or None."""
        views = self.current_views()
        return views[0] if views else None

    def close(self) -> None:
        """Stop the panel: its related-object watch, its subscription (and its own store)."""
        if "_wake" not in self.__dict__:
            return  # the constructor failed before the widget started
        with self._follow_lock:
            if self._follow is not None:
                self._follow.close()
                self._follow, self._follow_key = None, ""
        super().close()
        if self._own_store and getattr(self, "_source", None) is not None:
            self._source.close()

    def __repr__(self) -> str:
        return f"RolloutDetail(cluster={getattr(self._cluster, 'name', '')!r}, " \
               f"rollout={self.rollout!r})"

    def _repr_html_(self) -> str:
        view = self._source.get(self.rollout) if self.rollout else None
        if view is None:
            return static_table(["Rollout"], [], f"{self!r}: nothing selected")
        rows = [[s.index, s.label, s.state] for s in view.steps]
        caption = f"{view.ref} ({view.provider}, {view.strategy}): {view.status} {view.message}"
        return static_table(["Step", "Label", "State"], rows, caption)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["text/plain"] = repr(self)
        data["text/html"] = self._repr_html_()
        return data
