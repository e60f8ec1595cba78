"""``ClusterActions``: the write half of ``Cluster`` (and the analysis reads).

Every action: validate the inputs (allow-listed name, well-formed ref, image, container) ->
refuse in read-only mode before any request -> read the rollout fresh -> ``plan`` the exact
writes -> send them -> on 409 re-read and plan again (bounded), unless what the action was
about changed meanwhile (then CONFLICT: we never overwrite a concurrent change) -> audit.

The mixin relies on these attributes of the class it is mixed into: ``name``, ``context``,
``user``, ``flags``, ``read_only``, ``resources``, ``store(namespace)``, ``get_raw(ref)``,
``resolve(ref)`` and ``related(ref)``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as planner
from rollouts_widgets.actions.audit import ActionRecord, AuditLog, safe_args
from rollouts_widgets.actions.images import parse_image, validate_container_name
from rollouts_widgets.actions.plan import (
    ANALYSIS,
    PROMOTE,
    PROMOTE_FULL,
    RETRY,
    ROLLBACK,
    SET_IMAGE,
    Write,
)
from rollouts_widgets.actions.rollback import RolloutRollbackResponse, plan_rollback
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import (
    ARGO_ANALYSISRUNS,
    ARGO_EXPERIMENTS,
    ARGO_ROLLOUTS,
    GVR,
    workload_gvr,
)
from rollouts_widgets.model.analysis import RolloutAnalysisSummary, argo_analysis, not_configured
from rollouts_widgets.model.view import STATUSES, RolloutView

MAX_ATTEMPTS = 5  # reads+plans per action when the server answers 409
ACCESS_CACHE_SECONDS = 30.0
SSAR = GVR("authorization.k8s.io", "v1", "selfsubjectaccessreviews", namespaced=False)
READ_ONLY_REASON = "read-only mode"

# Arguments each action accepts (from Python or from the browser), nothing else.
_ARGS: dict[str, frozenset[str]] = {name: frozenset() for name in planner.ACTIONS}
_ARGS[PROMOTE] = frozenset({"full"})
_ARGS[ROLLBACK] = frozenset({"revision"})
_ARGS[SET_IMAGE] = frozenset({"container", "image", "init"})

AnalysisSource = Callable[[Any, Any], "RolloutAnalysisSummary | None"]


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its message and the exact requests it sent (empty: no change)."""

    action: str
    namespace: str
    rollout: str
    message: str
    writes: tuple[Write, ...] = ()
    ok: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "code": None, "message": self.message}


class _State:
    def __init__(self) -> None:
        self.audit = AuditLog()
        self.lock = threading.Lock()
        self.access: dict[tuple[str, ...], tuple[float, bool]] = {}
        self.analysis_source: Any = None


_STATE_LOCK = threading.Lock()


def _read_fields(action: str, obj: Mapping[str, Any]) -> Any:
    """What a step action was about: if it changes between retries, the action is stale."""
    if action not in (PROMOTE, PROMOTE_FULL, RETRY):
        return None
    provider, _ = planner.provider_of(obj)
    status = obj.get("status") or {}
    if provider == "kruise":
        block = status.get(planner.kruise_status_key(obj)) or {}
        return block.get("currentStepIndex"), block.get("currentStepState")
    reasons = tuple(str(c.get("reason")) for c in status.get("pauseConditions") or [])
    spec = obj.get("spec") or {}
    return status.get("currentStepIndex"), reasons, bool(spec.get("paused")), status.get("abort")


def _template_fields(action: str, workload: Mapping[str, Any] | None) -> Any:
    """For SET-IMAGE and ROLLBACK: the pod template the change was computed from."""
    if action not in (SET_IMAGE, ROLLBACK) or workload is None:
        return None
    return (workload.get("spec") or {}).get("template")


class ClusterActions:
    """Mixin that gives ``Cluster`` its actions, analysis and audit log.

    Runbook use::

        cluster.promote("shop/checkout")              # one step
        cluster.promote("shop/checkout", full=True)   # all the way
        cluster.wait_for("shop/checkout", status="Paused", step=3, timeout=600)
        cluster.rollback("shop/checkout")             # back to the stable revision
        cluster.set_image("shop/checkout", container="app", image="repo/app:1.2")
        cluster.available_actions("shop/checkout")    # {"PROMOTE": (True, ""), ...}
        rw.actions_frame(cluster)                     # the audit log as a DataFrame

    Analysis from your own source (e.g. a Prometheus query you own), for every rollout of the
    cluster; return None to fall back to the built-in answer (Argo AnalysisRuns, or "not
    configured" for Kruise)::

        from rollouts_widgets.model.analysis import RolloutAnalysisSummary

        def error_rate(cluster, ref):
            value = my_prometheus.query(f'error_rate{{rollout="{ref}"}}')
            status = "Successful" if value < 0.01 else "Failed"
            return RolloutAnalysisSummary(source="prometheus", status=status,
                                          summary=f"error rate {value:.2%}")

        cluster.set_analysis_source(error_rate)   # or any object with .analysis(cluster, ref)
    """

    #: Where the time written into patches (Argo ``restartAt``) comes from. A sandbox cluster
    #: reads its sandbox's clock, so a restart under a manual clock is not in its future.
    time_source: Callable[[], datetime] = staticmethod(lambda: datetime.now(timezone.utc))

    # -- state (the mixin has no __init__; created on first use) --------------------------
    def _actions_state(self) -> _State:
        state = self.__dict__.get("_rw_actions_state")
        if state is None:
            with _STATE_LOCK:
                state = self.__dict__.setdefault("_rw_actions_state", _State())
        return state

    # -- the actions ------------------------------------------------------------------------
    def promote(self, ref: Any, full: bool = False) -> ActionResult:
        """One step (Kruise: approve the paused step; Argo: ``kubectl argo rollouts promote``),
        or with ``full=True`` all remaining steps (Kruise: jump to the last step and approve
        the current pause in one status patch - a last step that pauses again waits for one
        more PROMOTE; Argo: ``promoteFull``). Not promotable -> ROLLOUT_NOT_PROMOTABLE with the
        reason."""
        if not isinstance(full, bool):
            raise RolloutsError(errors.INVALID_INPUT, "full must be true or false")
        return self._act(PROMOTE_FULL if full else PROMOTE, ref, {})

    def pause(self, ref: Any) -> ActionResult:
        return self._act(planner.PAUSE, ref, {})

    def resume(self, ref: Any) -> ActionResult:
        """Un-pause only (it does not approve a paused step: that is PROMOTE)."""
        return self._act(planner.RESUME, ref, {})

    def abort(self, ref: Any) -> ActionResult:
        """Argo: abort (back to stable). Kruise: the alias of DISABLE, which completes the
        release to the new version rather than rolling back (the result message says so)."""
        return self._act(planner.ABORT, ref, {})

    def retry(self, ref: Any) -> ActionResult:
        return self._act(planner.RETRY, ref, {})

    def restart(self, ref: Any) -> ActionResult:
        return self._act(planner.RESTART, ref, {})

    def enable(self, ref: Any) -> ActionResult:
        return self._act(planner.ENABLE, ref, {})

    def disable(self, ref: Any) -> ActionResult:
        return self._act(planner.DISABLE, ref, {})

    def rollback(self, ref: Any, revision: Any = None) -> RolloutRollbackResponse:
        """Put ``revision`` (default: the stable one) back into the workload."""
        return self._act(ROLLBACK, ref, {"revision": revision})

    def set_image(self, ref: Any, container: str, image: str, init: bool = False) -> ActionResult:
        """Change ``image`` of ``container`` (``*``: all) in the workload's containers, or
        initContainers with ``init=True`` (an Argo rollout's own template without workloadRef)."""
        return self._act(SET_IMAGE, ref, {"container": container, "image": image, "init": init})

    def act(self, action: str, ref: Any, **args: Any) -> Any:
        """Run an allow-listed action by name (what the widgets call)."""
        name = planner.normalize_action(action)
        unknown = sorted(set(args) - _ARGS[name])
        if unknown:
            raise RolloutsError(
                errors.INVALID_INPUT, f"{name} takes no argument {', '.join(unknown)[:80]}"
            )
        if name == ANALYSIS:
            return self.analysis(ref)
        if name == PROMOTE:
            return self.promote(ref, full=args.get("full", False))
        if name == ROLLBACK:
            return self.rollback(ref, args.get("revision"))
        if name == SET_IMAGE:
            missing = {"container", "image"} - set(args)
            if missing:
                raise RolloutsError(
                    errors.INVALID_INPUT, f"SET-IMAGE needs {', '.join(sorted(missing))}"
                )
        return self._act(name, ref, dict(args))

    def audit_log(self) -> list[ActionRecord]:
        """Every action attempted through this cluster object, oldest first."""
        return self._actions_state().audit.records()

    # -- the write path --------------------------------------------------------------------
    def _act(self, action: str, ref: Any, args: dict[str, Any]) -> Any:
        namespace, name = _ref_names(ref)
        try:
            result = self._perform(action, ref, args)
        except RolloutsError as exc:
            self._record(action, namespace, name, args, False, exc.code, exc.message)
            raise
        self._record(action, namespace, name, args, True, "", result.message)
        return result

    def _record(
        self,
        action: str,
        namespace: str,
        name: str,
        args: Mapping[str, Any],
        ok: bool,
        code: str,
        message: str,
    ) -> None:
        record = ActionRecord(
            ts=datetime.now(timezone.utc),
            cluster=str(self.name),
            context=str(self.context or ""),
            user=str(self.user or ""),
            namespace=namespace,
            name=name,
            action=action,
            args=safe_args(args),
            ok=ok,
            code=code,
            message=message,
        )
        self._actions_state().audit.add(record)

    def _check_writable(self, action: str, args: Mapping[str, Any]) -> None:
        """Everything that can be refused without a request, refused before any."""
        if self.read_only or self.flags.read_only:
            raise RolloutsError(errors.READ_ONLY, f"{action}: the connection is read-only")
        if action == ROLLBACK and not self.flags.rollback:
            raise RolloutsError(
                errors.FEATURE_DISABLED,
                "rollback is switched off (ROLLOUTS_WIDGETS_ROLLBACK_ENABLED=false)",
            )
        if action == SET_IMAGE:
            parse_image(args.get("image"))
            validate_container_name(args.get("container"))
            if not isinstance(args.get("init", False), bool):
                raise RolloutsError(errors.INVALID_INPUT, "init must be true or false")

    def _perform(self, action: str, ref: Any, args: dict[str, Any]) -> Any:
        self._check_writable(action, args)
        namespace, name, _, gvr = self.resolve(ref)
        first: tuple[Any, Any] | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            obj = self._read(gvr, namespace, name)
            related = self._fresh_related(action, obj, ref)
            workload = _workload_in(obj, related) if action in (SET_IMAGE, ROLLBACK) else None
            seen = (_read_fields(action, obj), _template_fields(action, workload))
            if first is None:
                first = seen
            elif seen != first:
                what = "its pod template" if action in (SET_IMAGE, ROLLBACK) else "its step"
                raise RolloutsError(
                    errors.CONFLICT,
                    f"{action}: {what} changed concurrently ({namespace}/{name}); not applied, "
                    "check the rollout and try again",
                )
            writes, response = self._plan(action, obj, related, args)
            sent = 0
            try:
                for write in writes:
                    self._send(write)
                    sent += 1
            except RolloutsError as exc:
                # Only the first write carries a precondition: a 409 there changed nothing,
                # so read again and plan again.
                if exc.code == errors.CONFLICT and sent == 0 and attempt < MAX_ATTEMPTS:
                    continue
                raise
            if response is not None:
                return response
            return ActionResult(
                action, namespace, name, _message(action, obj, writes), tuple(writes)
            )
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _plan(
        self, action: str, obj: dict[str, Any], related: list[dict[str, Any]], args: dict
    ) -> tuple[list[Write], RolloutRollbackResponse | None]:
        now = self.time_source()
        if action == ROLLBACK:
            planner.ensure_applicable(action, obj, flags=self.flags)
            rollback = plan_rollback(obj, related, revision=args.get("revision"))
            return rollback.writes, rollback.response
        writes = planner.plan(action, obj, related, now=now, args=args, flags=self.flags)
        return writes, None

    def _read(self, gvr: GVR, namespace: str, name: str) -> dict[str, Any]:
        try:
            return self.resources.get(gvr, namespace, name)
        except RolloutsError as exc:
            raise _named(exc, "get", gvr, None, namespace, name, self.user) from None

    def _send(self, write: Write) -> dict[str, Any]:
        try:
            return self.resources.patch(
                write.gvr,
                write.namespace,
                write.name,
                write.body,
                patch_type=write.patch_type,
                subresource=write.subresource,
            )
        except RolloutsError as exc:
            raise _named(
                exc,
                "patch",
                write.gvr,
                write.subresource,
                write.namespace,
                write.name,
                self.user,
            ) from None

    def _fresh_related(self, action: str, obj: dict[str, Any], ref: Any) -> list[dict[str, Any]]:
        """What the plan needs besides the rollout, read fresh: the workload (SET-IMAGE), or
        the workload and its ReplicaSets (ROLLBACK)."""
        if action not in (SET_IMAGE, ROLLBACK):
            return []
        related = [obj]
        if action == ROLLBACK:
            if planner.check(ROLLBACK, obj, flags=self.flags):
                return related  # unsupported: plan() says why, without listing anything
            related += self.related(ref)
        target = planner.workload_ref(obj)
        if target is not None:
            gvr = workload_gvr(target["apiVersion"], target["kind"])
            namespace = str(obj["metadata"]["namespace"])
            fresh = self._read(gvr, namespace, target["name"])
            fresh.setdefault("apiVersion", target["apiVersion"])
            fresh.setdefault("kind", target["kind"])
            related = [
                o
                for o in related
                if (o.get("kind"), (o.get("metadata") or {}).get("name"))
                != (target["kind"], target["name"])
            ]
            related.insert(0, fresh)
        return related

    # -- what the UI may offer -------------------------------------------------------------
    def available_actions(self, ref: Any) -> dict[str, tuple[bool, str]]:
        """``{action: (enabled, reason)}``: the rollout's state, read-only mode, and RBAC
        (SelfSubjectAccessReview for each request an enabled action would make)."""
        obj = self.get_raw(ref)
        result = planner.availability(obj, flags=self.flags)
        read_only = self.read_only or self.flags.read_only
        for action, (enabled, _) in result.items():
            if not enabled:
                continue
            if read_only and action != ANALYSIS:
                result[action] = (False, READ_ONLY_REASON)
                continue
            for verb, gvr, subresource, name in _permissions(action, obj):
                if not self._allowed(verb, gvr, subresource, obj, name):
                    what = f"{gvr.plural}/{subresource}" if subresource else gvr.plural
                    group = f" ({gvr.group})" if gvr.group else ""
                    result[action] = (False, f"not allowed to {verb} {what}{group}")
                    break
        return result

    def _allowed(
        self, verb: str, gvr: GVR, subresource: str | None, obj: Mapping[str, Any], name: str
    ) -> bool:
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
        key = (namespace, verb, gvr.group, gvr.plural, subresource or "", name)
        state = self._actions_state()
        with state.lock:
            cached = state.access.get(key)
        if cached is not None and time.monotonic() - cached[0] < ACCESS_CACHE_SECONDS:
            return cached[1]
        attributes = {
            "namespace": namespace,
            "verb": verb,
            "group": gvr.group,
            "resource": gvr.plural,
        }
        if subresource:
            attributes["subresource"] = subresource
        if name:
            attributes["name"] = name
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes},
        }
        try:
            answer = self.resources.create(SSAR, None, body)
        except RolloutsError:
            return True  # cannot ask: do not hide the button; the write itself is checked
        allowed = bool((answer.get("status") or {}).get("allowed"))
        with state.lock:
            state.access[key] = (time.monotonic(), allowed)
        return allowed

    # -- waiting on the live store ---------------------------------------------------------
    def wait_for(
        self,
        ref: Any,
        status: str | None = None,
        step: int | None = None,
        timeout: float = 300,
    ) -> RolloutView:
        """Block until the rollout has ``status`` and/or is at ``step`` (1-based), driven by
        the live store's events. Returns the view; also returns early with a ``Failed`` view
        when waiting for anything else (check ``view.status``). TIMEOUT after ``timeout``
        seconds; NOT_FOUND when the rollout is deleted meanwhile."""
        if status is not None:
            wanted = "Failed" if str(status).lower() == "degraded" else str(status).capitalize()
            if wanted not in STATUSES:
                raise RolloutsError(
                    errors.INVALID_INPUT, f"status must be one of {', '.join(STATUSES)}"
                )
            status = wanted
        if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 1):
            raise RolloutsError(errors.INVALID_INPUT, "step must be a positive integer (1-based)")
        if not isinstance(timeout, (int, float)) or timeout < 0:
            raise RolloutsError(errors.INVALID_INPUT, "timeout must be a number of seconds")
        namespace, name, _, _ = self.resolve(ref)
        done = threading.Event()
        seen: dict[str, Any] = {}

        def reached(view: RolloutView) -> bool:
            if status is not None and status != "Failed" and view.status == "Failed":
                return True
            return (status is None or view.status == status) and (
                step is None or view.step_index == step
            )

        def on_event(event: Any) -> None:
            views = event.rollouts if event.type == "snapshot" else (event.rollout,)
            for view in views:
                if view is None or (view.namespace, view.name) != (namespace, name):
                    continue
                seen["view"] = view
                if event.type == "delete":
                    seen["deleted"] = True
                    done.set()
                elif reached(view):
                    done.set()

        store = self.store(namespace)
        try:
            unsubscribe = store.subscribe(on_event)
            try:
                finished = done.wait(timeout)
            finally:
                unsubscribe()
        finally:
            store.close()
        if seen.get("deleted"):
            raise RolloutsError(errors.NOT_FOUND, f"rollout {namespace}/{name} was deleted")
        if not finished:
            last = seen.get("view")
            where = f"status {last.status}, step {last.step_index}" if last else "not seen"
            raise RolloutsError(
                errors.TIMEOUT,
                f"{namespace}/{name} did not reach status={status} step={step} within "
                f"{timeout:g}s ({where})",
            )
        return seen["view"]

    # -- analysis --------------------------------------------------------------------------
    def set_analysis_source(self, source: Any) -> None:
        """Use ``source(cluster, ref)`` (or ``source.analysis(cluster, ref)``) for analysis; it
        returns a RolloutAnalysisSummary, or None for the built-in answer. None unsets."""
        if source is not None and not (
            callable(source) or callable(getattr(source, "analysis", None))
        ):
            raise RolloutsError(
                errors.INVALID_INPUT,
                "an analysis source is a callable (cluster, ref) or has .analysis(cluster, ref)",
            )
        self._actions_state().analysis_source = source

    def analysis(self, ref: Any) -> RolloutAnalysisSummary:
        """The rollout's analysis: the user's source if set, else Argo's AnalysisRuns, else
        (Kruise) the ``not_configured`` summary with ANALYSIS_SOURCE_NOT_CONFIGURED."""
        if not self.flags.analysis:
            raise RolloutsError(
                errors.FEATURE_DISABLED,
                "analysis is switched off (ROLLOUTS_WIDGETS_ANALYSIS_ENABLED=false)",
            )
        namespace, name, provider, _ = self.resolve(ref)
        source = self._actions_state().analysis_source
        if source is not None:
            summary = _ask_source(source, self, f"{namespace}/{name}")
            if summary is not None:
                return summary
        if provider != "argo":
            return not_configured(provider)
        rollout = self.get_raw(ref)
        objects: list[dict[str, Any]] = []
        for gvr, kind in ((ARGO_ANALYSISRUNS, "AnalysisRun"), (ARGO_EXPERIMENTS, "Experiment")):
            try:
                items, _ = self.resources.list_all(gvr, namespace)
            except RolloutsError as exc:
                raise _named(exc, "list", gvr, None, namespace, "", self.user) from None
            objects += [{"kind": kind, **item} for item in items]
        return argo_analysis(rollout, objects)


# -- helpers ----------------------------------------------------------------------------------


def _ref_names(ref: Any) -> tuple[str, str]:
    """(namespace, name) for the audit log, without validating (resolve() does that)."""
    if isinstance(ref, RolloutView):
        return ref.namespace, ref.name
    parts = str(ref)[:300].rsplit("/", 2)
    return (parts[-2], parts[-1]) if len(parts) >= 2 else ("", parts[-1])


def _workload_in(obj: Mapping[str, Any], related: list[dict[str, Any]]) -> Mapping[str, Any] | None:
    target = planner.workload_ref(obj)
    if target is None:
        return obj
    return planner.find_object(related, target["apiVersion"], target["kind"], target["name"])


def _named(
    exc: RolloutsError,
    verb: str,
    gvr: GVR,
    subresource: str | None,
    namespace: str,
    name: str,
    user: Any,
) -> RolloutsError:
    """FORBIDDEN/UNAUTHORIZED re-worded to name the verb and the resource that was refused."""
    if exc.code not in (errors.FORBIDDEN, errors.UNAUTHORIZED):
        return exc
    resource = f"{gvr.plural}/{subresource}" if subresource else gvr.plural
    group = f".{gvr.group}" if gvr.group else ""
    target = f"{namespace}/{name}" if name else f"in namespace {namespace}"
    who = f"user {user}" if user else "this user"
    return RolloutsError(
        exc.code,
        f"{who} may not {verb} {resource}{group} ({target}): {exc.message}",
        exc.status,
    )


def _permissions(action: str, obj: Mapping[str, Any]) -> list[tuple[str, GVR, str | None, str]]:
    """(verb, gvr, subresource, name) of each request ``action`` makes on this rollout."""
    provider, _ = planner.provider_of(obj)
    rollout = planner.rollout_gvr(obj)
    name = str((obj.get("metadata") or {}).get("name") or "")
    if action == ANALYSIS:
        return [("list", ARGO_ANALYSISRUNS, None, "")] if provider == "argo" else []
    if action in (planner.RESTART, SET_IMAGE, ROLLBACK):
        target = planner.workload_ref(obj)
        if target is None or (provider == "argo" and action == planner.RESTART):
            return [("patch", ARGO_ROLLOUTS, None, name)]
        return [("patch", workload_gvr(target["apiVersion"], target["kind"]), None, target["name"])]
    status_actions = (PROMOTE, PROMOTE_FULL, RETRY)
    if provider == "argo":
        status_actions += (planner.ABORT,)
    if action in status_actions:
        needed = [("patch", rollout, "status", name)]
        if (
            provider == "argo"
            and action in (PROMOTE, PROMOTE_FULL)
            and ((obj.get("spec") or {}).get("paused"))
        ):
            needed.append(("patch", rollout, None, name))
        return needed
    return [("patch", rollout, None, name)]


def _ask_source(source: Any, cluster: Any, ref: str) -> RolloutAnalysisSummary | None:
    fn = source if callable(source) else source.analysis
    label = getattr(source, "__name__", type(source).__name__)
    try:
        summary = fn(cluster, ref)
    except RolloutsError:
        raise
    except Exception as exc:  # a user's source: report it, with its own words
        raise RolloutsError(
            errors.API_ERROR, f"analysis source {label} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if summary is not None and not isinstance(summary, RolloutAnalysisSummary):
        raise RolloutsError(
            errors.INVALID_INPUT,
            f"analysis source {label} returned {type(summary).__name__}, "
            "not a RolloutAnalysisSummary",
        )
    return summary


def _message(action: str, obj: Mapping[str, Any], writes: list[Write]) -> str:
    provider, _ = planner.provider_of(obj)
    meta = obj.get("metadata") or {}
    target = f"{meta.get('namespace')}/{meta.get('name')}"
    if not writes:
        return f"{action} {target}: nothing to change"
    if action == planner.ABORT and provider == "kruise":
        return f"{action} {target}: {planner.KRUISE_ABORT_MESSAGE}"
    sent = "; ".join(f"patch {w.resource} {w.name}" for w in writes)
    return f"{action} {target}: {sent}"
