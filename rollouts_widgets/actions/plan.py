"""Pure planning: which actions apply to a rollout, and the exact writes each one makes.

No I/O here. ``plan`` turns (action, raw rollout, related objects) into the list of writes
that ``reference/kruise.md`` and ``reference/argo.md`` prescribe, per provider, API version
and strategy; ``availability`` says, for every action, whether it applies and why not.

Writes that depend on what was read (approve this step, jump from this index, replace this
template) carry the ``resourceVersion`` they were computed from: the API server answers 409
if the object changed meanwhile, and the caller re-reads instead of overwriting.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.flags import Flags
from rollouts_widgets.kube.resources import (
    ARGO_ROLLOUTS,
    DEPLOYMENTS,
    GVR,
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
    workload_gvr,
)

RESTART = "RESTART"
RETRY = "RETRY"
PAUSE = "PAUSE"
RESUME = "RESUME"
DISABLE = "DISABLE"
ENABLE = "ENABLE"
PROMOTE = "PROMOTE"
PROMOTE_FULL = "PROMOTE-FULL"
ABORT = "ABORT"
ROLLBACK = "ROLLBACK"
SET_IMAGE = "SET-IMAGE"
ANALYSIS = "ANALYSIS"

# The allow-list, in the order of the action bar.
ACTIONS: tuple[str, ...] = (
    RESTART, RETRY, PAUSE, RESUME, DISABLE, ENABLE, PROMOTE, PROMOTE_FULL, ABORT,
    ROLLBACK, SET_IMAGE, ANALYSIS,
)  # fmt: skip

ROLLBACK_KIND_MESSAGE = "rollback currently supports Deployment only"
KRUISE_ABORT_MESSAGE = (
    "ABORT on an OpenKruise rollout is DISABLE: disabling releases the workload, which "
    "completes the release to the new version rather than rolling back "
    "(use ROLLBACK to return to the stable version)"
)
KRUISE_POD_HASH_LABEL = "pod-template-hash"
ARGO_POD_HASH_LABEL = "rollouts-pod-template-hash"


def normalize_action(action: Any) -> str:
    """``promote_full`` / ``Promote-Full`` -> ``PROMOTE-FULL``; anything off the list is refused."""
    name = action.strip().upper().replace("_", "-") if isinstance(action, str) else ""
    if name not in ACTIONS:
        shown = str(action)[:40]
        raise RolloutsError(
            errors.INVALID_INPUT, f"unknown action {shown!r}; actions: {', '.join(ACTIONS)}"
        )
    return name


@dataclass(frozen=True)
class Write:
    """One PATCH request (a JSON merge patch or a JSON patch) of one object."""

    gvr: GVR
    namespace: str
    name: str
    patch_type: str  # "merge" | "json"
    body: Any
    subresource: str | None = None

    @property
    def resource(self) -> str:
        """``rollouts.argoproj.io/status``-style name, as RBAC rules spell it."""
        res = f"{self.gvr.plural}.{self.gvr.group}" if self.gvr.group else self.gvr.plural
        return f"{res}/{self.subresource}" if self.subresource else res


# --- reading raw rollouts ------------------------------------------------------------------


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def provider_of(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``("kruise" | "argo", version)`` from the rollout's apiVersion."""
    group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
    if obj.get("kind") == "Rollout":
        if group == "rollouts.kruise.io" and version in ("v1beta1", "v1alpha1"):
            return "kruise", version
        if group == "argoproj.io" and version == "v1alpha1":
            return "argo", version
    raise RolloutsError(
        errors.INVALID_INPUT,
        f"not a Kruise or Argo Rollout: {obj.get('kind')!r} {obj.get('apiVersion')!r}",
    )


def rollout_gvr(obj: Mapping[str, Any]) -> GVR:
    provider, version = provider_of(obj)
    if provider == "argo":
        return ARGO_ROLLOUTS
    return KRUISE_ROLLOUTS_V1BETA1 if version == "v1beta1" else KRUISE_ROLLOUTS_V1ALPHA1


def object_meta(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    namespace = str(_get(obj, "metadata", "namespace") or "")
    name = str(_get(obj, "metadata", "name") or "")
    if not namespace or not name:
        raise RolloutsError(errors.INVALID_INPUT, "the object has no metadata.namespace/name")
    return namespace, name, str(_get(obj, "metadata", "resourceVersion") or "")


def _with_precondition(body: dict[str, Any], resource_version: str) -> dict[str, Any]:
    """A merge patch that the API server applies only at this resourceVersion (else 409)."""
    if resource_version:
        return {"metadata": {"resourceVersion": resource_version}, **body}
    return body


def json_precondition(resource_version: str) -> list[dict[str, Any]]:
    if not resource_version:
        return []
    return [{"op": "replace", "path": "/metadata/resourceVersion", "value": resource_version}]


def kruise_status_key(obj: Mapping[str, Any]) -> str:
    """``blueGreenStatus`` for a v1beta1 blue-green rollout, else ``canaryStatus``."""
    _, version = provider_of(obj)
    if version == "v1beta1" and _get(obj, "spec", "strategy", "blueGreen") is not None:
        return "blueGreenStatus"
    return "canaryStatus"


def _kruise_steps(obj: Mapping[str, Any]) -> list[Any]:
    strategy = _get(obj, "spec", "strategy") or {}
    for key in ("canary", "blueGreen"):
        steps = _get(strategy, key, "steps")
        if isinstance(steps, list):
            return steps
    return []


def kruise_workload_ref(obj: Mapping[str, Any]) -> dict[str, str]:
    """``{apiVersion, kind, name}`` of a Kruise rollout's workload (v1beta1 or v1alpha1)."""
    _, version = provider_of(obj)
    ref = (
        _get(obj, "spec", "workloadRef")
        if version == "v1beta1"
        else _get(obj, "spec", "objectRef", "workloadRef")
    )
    if not isinstance(ref, Mapping) or not ref.get("kind") or not ref.get("name"):
        raise RolloutsError(errors.NOT_FOUND, "the rollout names no workload (workloadRef)")
    return {k: str(ref.get(k) or "") for k in ("apiVersion", "kind", "name")}


def argo_workload_ref(obj: Mapping[str, Any]) -> dict[str, str] | None:
    ref = _get(obj, "spec", "workloadRef")
    if not isinstance(ref, Mapping) or not ref.get("name"):
        return None
    return {
        "apiVersion": str(ref.get("apiVersion") or "apps/v1"),
        "kind": str(ref.get("kind") or "Deployment"),
        "name": str(ref["name"]),
    }


def _argo_steps(obj: Mapping[str, Any]) -> list[Any]:
    steps = _get(obj, "spec", "strategy", "canary", "steps")
    return steps if isinstance(steps, list) else []


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- applicability: "" when the action applies, else the reason it does not ---------------


def _switch_check(action: str, paused: bool) -> str:
    """PAUSE, RESUME and RESTART, the same for both providers (given the user pause flag)."""
    if action == PAUSE:
        return "the rollout is already paused" if paused else ""
    if action == RESUME:
        return "" if paused else "the rollout is not paused"
    return ""


def _kruise_check(action: str, obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    disabled = bool(spec.get("disabled"))
    paused = bool(_get(spec, "strategy", "paused"))
    phase = str(_get(obj, "status", "phase") or "")
    block = _get(obj, "status", kruise_status_key(obj)) or {}
    index = _int(block.get("currentStepIndex"))
    state = str(block.get("currentStepState") or "")
    steps = len(_kruise_steps(obj))
    releasing = phase == "Progressing" and index >= 1 and state != "Completed"

    if action == ENABLE:
        return "" if disabled else "the rollout is not disabled"
    if action in (DISABLE, ABORT):
        return "the rollout is already disabled" if disabled else ""
    if disabled:
        return "the rollout is disabled; ENABLE it first"
    if action in (PAUSE, RESUME, RESTART):
        return _switch_check(action, paused)
    if action in (PROMOTE, PROMOTE_FULL, RETRY):
        if paused and action != RETRY:
            return "the rollout is paused; RESUME it first"
        if not releasing:
            return f"no release in progress (phase {phase or 'unknown'})"
    if action == PROMOTE and state != "StepPaused":
        return f"step {index} is in state {state or 'unknown'}, not waiting for approval"
    if action == PROMOTE_FULL and index >= steps and state != "StepPaused":
        return "already at the last step"
    return ""


def _argo_check(action: str, obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    paused = bool(spec.get("paused"))
    aborted = bool(status.get("abort"))
    pause_conditions = status.get("pauseConditions") or []
    updating = bool(status.get("currentPodHash")) and status.get("currentPodHash") != status.get(
        "stableRS"
    )

    if action in (ENABLE, DISABLE):
        return "Argo Rollouts has no disabled flag"
    if action in (PAUSE, RESUME, RESTART):
        return _switch_check(action, paused)
    if action == RETRY:
        return "" if aborted else "the rollout is not aborted"
    if action == ABORT:
        if aborted:
            return "the rollout is already aborted"
        return "" if updating else "no update in progress"
    if action in (PROMOTE, PROMOTE_FULL) and aborted:
        return "the rollout was aborted; RETRY it first"
    if action == PROMOTE_FULL:
        return "" if updating or paused else "the rollout is fully promoted"
    if action == PROMOTE:
        if paused or pause_conditions:
            return ""
        steps = _argo_steps(obj)
        if _get(spec, "strategy", "blueGreen") is not None:
            return "the blue-green rollout is not paused"
        if steps and updating and _int(status.get("currentStepIndex")) < len(steps):
            return ""
        return "the rollout is not paused and has no step left to promote"
    return ""


def _rollback_workload(obj: Mapping[str, Any]) -> tuple[GVR, str, str] | str:
    """(gvr, kind, name) of what a rollback rewrites, or the reason it is unsupported."""
    provider, _ = provider_of(obj)
    _, name, _ = object_meta(obj)
    if provider == "argo":
        ref = argo_workload_ref(obj)
        if ref is None:
            return ARGO_ROLLOUTS, "Rollout", name
    else:
        ref = kruise_workload_ref(obj)
    if (ref["apiVersion"], ref["kind"]) != ("apps/v1", "Deployment"):
        return ROLLBACK_KIND_MESSAGE
    return DEPLOYMENTS, "Deployment", ref["name"]


def check(action: str, obj: Mapping[str, Any], *, flags: Flags | None = None) -> str:
    """Why ``action`` does not apply to this rollout right now ("" when it does)."""
    flags = flags or Flags()
    provider, _ = provider_of(obj)
    if action == ROLLBACK:
        if not flags.rollback:
            return "rollback is switched off (ROLLOUTS_WIDGETS_ROLLBACK_ENABLED=false)"
        target = _rollback_workload(obj)
        return target if isinstance(target, str) else ""
    if action == ANALYSIS:
        return "" if flags.analysis else "analysis is switched off"
    if action == SET_IMAGE:
        return ""
    return _kruise_check(action, obj) if provider == "kruise" else _argo_check(action, obj)


def availability(
    obj: Mapping[str, Any], *, flags: Flags | None = None
) -> dict[str, tuple[bool, str]]:
    """``{action: (enabled, reason)}`` for every action, from the rollout's own state."""
    result = {}
    for action in ACTIONS:
        reason = check(action, obj, flags=flags)
        result[action] = (not reason, reason)
    return result


# --- the writes ------------------------------------------------------------------------------


def rfc3339(now: datetime) -> str:
    if now.tzinfo is None:
        raise RolloutsError(errors.INVALID_INPUT, "now must be timezone-aware")
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kruise_writes(action: str, obj: Mapping[str, Any], now: datetime) -> list[Write]:
    namespace, name, rv = object_meta(obj)
    gvr = rollout_gvr(obj)
    key = kruise_status_key(obj)
    block = _get(obj, "status", key) or {}

    def status(fields: dict[str, Any]) -> Write:
        body = _with_precondition({"status": {key: fields}}, rv)
        return Write(gvr, namespace, name, "merge", body, "status")

    def spec(fields: dict[str, Any]) -> Write:
        return Write(gvr, namespace, name, "merge", {"spec": fields})

    if action == PROMOTE:
        return [status({"currentStepState": "StepReady"})]
    if action == PROMOTE_FULL:
        last = len(_kruise_steps(obj))
        if _int(block.get("currentStepIndex")) >= last:
            return [status({"currentStepState": "StepReady"})]
        fields: dict[str, Any] = {"nextStepIndex": last}
        if block.get("currentStepState") == "StepPaused":
            fields["currentStepState"] = "StepReady"
        return [status(fields)]
    if action == RETRY:
        return [status({"nextStepIndex": _int(block.get("currentStepIndex"))})]
    if action in (PAUSE, RESUME):
        return [spec({"strategy": {"paused": action == PAUSE}})]
    if action in (DISABLE, ABORT, ENABLE):
        return [spec({"disabled": action != ENABLE})]
    if action == RESTART:
        ref = kruise_workload_ref(obj)
        workload = workload_gvr(ref["apiVersion"], ref["kind"])
        annotation = (
            "kubectl.kruise.io/restartedAt"
            if workload.group == "apps.kruise.io"
            else "kubectl.kubernetes.io/restartedAt"
        )
        body = {"spec": {"template": {"metadata": {"annotations": {annotation: rfc3339(now)}}}}}
        return [Write(workload, namespace, ref["name"], "merge", body)]
    raise AssertionError(action)


def _argo_writes(action: str, obj: Mapping[str, Any], now: datetime) -> list[Write]:
    namespace, name, rv = object_meta(obj)
    spec_obj = obj.get("spec") or {}
    status_obj = obj.get("status") or {}

    def status(fields: dict[str, Any], precondition: bool = True) -> Write:
        body = {"status": fields}
        if precondition:
            body = _with_precondition(body, rv)
        return Write(ARGO_ROLLOUTS, namespace, name, "merge", body, "status")

    def spec(fields: dict[str, Any]) -> Write:
        return Write(ARGO_ROLLOUTS, namespace, name, "merge", {"spec": fields})

    unpause = [spec({"paused": False})] if spec_obj.get("paused") else []
    if action == PROMOTE:
        # As `kubectl argo rollouts promote`: status first, then un-pause the spec; clear pause
        # conditions or move one step on, never both.
        pause_conditions = status_obj.get("pauseConditions") or []
        writes = []
        if pause_conditions:
            fields: dict[str, Any] = {"pauseConditions": None}
            if any(c.get("reason") == "InconclusiveAnalysisRun" for c in pause_conditions):
                fields["controllerPause"] = False
            writes.append(status(fields))
        elif _argo_steps(obj):
            steps = len(_argo_steps(obj))
            index = min(_int(status_obj.get("currentStepIndex")) + 1, steps)
            writes.append(status({"currentStepIndex": index}))
        return writes + unpause
    if action == PROMOTE_FULL:
        updating = status_obj.get("currentPodHash") != status_obj.get("stableRS")
        return ([status({"promoteFull": True}, False)] if updating else []) + unpause
    if action in (ABORT, RETRY):
        return [status({"abort": action == ABORT}, False)]
    if action in (PAUSE, RESUME):
        return [spec({"paused": action == PAUSE})]
    if action == RESTART:
        return [spec({"restartAt": rfc3339(now)})]
    raise AssertionError(action)


def ensure_applicable(action: str, obj: Mapping[str, Any], *, flags: Flags | None = None) -> None:
    """Raise the RolloutsError that says why ``action`` does not apply (see ``check``)."""
    reason = check(action, obj, flags=flags)
    if not reason:
        return
    code = errors.ACTION_NOT_APPLICABLE
    message = f"{action}: {reason}"
    if action in (PROMOTE, PROMOTE_FULL):
        code = errors.ROLLOUT_NOT_PROMOTABLE
    elif action == ROLLBACK and reason == ROLLBACK_KIND_MESSAGE:
        # The unsupported-kind text is shown as is (the disabled button's tooltip).
        code, message = errors.UNSUPPORTED_ROLLBACK_KIND, reason
    elif action in (ROLLBACK, ANALYSIS):
        code = errors.FEATURE_DISABLED
    raise RolloutsError(code, message)


def plan(
    action: str,
    obj: Mapping[str, Any],
    related: Iterable[Mapping[str, Any]] = (),
    *,
    now: datetime,
    args: Mapping[str, Any] | None = None,
    flags: Flags | None = None,
) -> list[Write]:
    """The exact writes of ``action`` on this rollout, or a RolloutsError saying why not.

    ``related`` must hold a fresh copy of the workload for SET-IMAGE and ROLLBACK (their
    patches carry its resourceVersion), and the ReplicaSets for ROLLBACK; ``args`` holds
    ``container``/``image``/``init`` (SET-IMAGE) and ``revision``/``revisions`` (ROLLBACK).
    """
    action = normalize_action(action)
    args = dict(args or {})
    ensure_applicable(action, obj, flags=flags)
    if action == ANALYSIS:
        return []
    if action == SET_IMAGE:
        from rollouts_widgets.actions.set_image import plan_set_image

        return plan_set_image(obj, list(related), **args)
    if action == ROLLBACK:
        from rollouts_widgets.actions.rollback import plan_rollback

        return plan_rollback(obj, list(related), **args).writes
    provider, _ = provider_of(obj)
    if provider == "kruise":
        return _kruise_writes(action, obj, now)
    return _argo_writes(action, obj, now)


def find_object(
    related: Iterable[Mapping[str, Any]], api_version: str, kind: str, name: str
) -> Mapping[str, Any] | None:
    """The related object with this apiVersion, kind and name (never by kind alone)."""
    for item in related:
        if (
            item.get("apiVersion") == api_version
            and item.get("kind") == kind
            and _get(item, "metadata", "name") == name
        ):
            return item
    return None


def workload_ref(obj: Mapping[str, Any]) -> dict[str, str] | None:
    """The workload whose pod template a rollout releases; None when it is the rollout's own
    template (an Argo rollout without workloadRef)."""
    provider, _ = provider_of(obj)
    return kruise_workload_ref(obj) if provider == "kruise" else argo_workload_ref(obj)


def workload_target(
    obj: Mapping[str, Any], related: Iterable[Mapping[str, Any]]
) -> tuple[GVR, Mapping[str, Any]]:
    """(gvr, object) holding the pod template: the workload from ``related`` (resolved by
    apiVersion and kind), or the Argo rollout itself."""
    ref = workload_ref(obj)
    if ref is None:
        return ARGO_ROLLOUTS, obj
    gvr = workload_gvr(ref["apiVersion"], ref["kind"])
    found = find_object(related, ref["apiVersion"], ref["kind"], ref["name"])
    if found is None:
        namespace, _, _ = object_meta(obj)
        raise RolloutsError(
            errors.NOT_FOUND, f"workload {ref['kind']} {namespace}/{ref['name']} not found"
        )
    return gvr, found
