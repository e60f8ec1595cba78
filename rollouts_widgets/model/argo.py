"""Argo Rollouts (argoproj.io/v1alpha1, canary and blue-green, workloadRef) -> RolloutView.

The status follows the rule order of ``kubectl argo rollouts get`` (reference/argo.md); its
Degraded phase is shown as Failed with the Degraded message kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rollouts_widgets.model.parse import (
    MAX_TEXT,
    Malformed,
    bound,
    condition_times,
    find_workload,
    flag,
    get,
    identity,
    integer,
    items,
    mapping,
    related_of,
    require,
    require_fields,
    template_images,
    text,
    timestamp,
)
from rollouts_widgets.model.steps import MAX_STEPS, Plan, StepSpec, argo_plan, current_label
from rollouts_widgets.model.view import RolloutView, Status, StepState

API_GROUP = "argoproj.io"
WORKLOAD_GENERATION_ANNOTATION = "rollout.argoproj.io/workload-generation"
POD_HASH_LABEL = "rollouts-pod-template-hash"
# Pause reasons that are part of the plan; every other pause needs a person.
PLANNED_PAUSE = "CanaryPauseStep"
_STATUS = {"Healthy": "Healthy", "Progressing": "Progressing", "Paused": "Paused",
           "Degraded": "Failed"}
_COMPLETED_ANALYSIS = ("Successful", "Failed", "Error", "Inconclusive")
# The typed fields of status, in the order they are checked, with their error names.
_STATUS_TYPES = tuple(
    (key, kind, f"status.{key}")
    for key, kind in (("currentStepIndex", int), ("conditions", list), ("pauseConditions", list),
                      ("phase", str), ("replicas", int), ("updatedReplicas", int),
                      ("readyReplicas", int), ("availableReplicas", int))
)


def build_view(obj: dict[str, Any], related: list[dict[str, Any]], cluster: str) -> RolloutView:
    ident = identity(obj)
    spec = require(obj, ("spec",), dict, "spec") or {}
    strategy = require(spec, ("strategy",), dict, "spec.strategy") or {}
    canary = require(strategy, ("canary",), dict, "spec.strategy.canary")
    blue_green = require(strategy, ("blueGreen",), dict, "spec.strategy.blueGreen")
    raw_steps = require(canary, ("steps",), list, "spec.strategy.canary.steps") or []
    if len(raw_steps) > MAX_STEPS:
        raise Malformed(f"spec.strategy.canary.steps has {len(raw_steps)} steps "
                        f"(at most {MAX_STEPS} are supported)")
    steps_plan = argo_plan(raw_steps)
    specs = steps_plan.specs
    ref = require(spec, ("workloadRef",), dict, "spec.workloadRef")
    require(spec, ("template",), dict, "spec.template")
    require(spec, ("replicas",), int, "spec.replicas")

    status = require(obj, ("status",), dict, "status") or {}
    require_fields(status, _STATUS_TYPES)

    count = len(specs)
    # Argo reads a missing currentStepIndex as 0; an index past the last step = all done.
    position = max(0, integer(status, "currentStepIndex") or 0)
    complete = count > 0 and position >= count
    index = None if not count or not status else min(position + 1, count)
    current = specs[index - 1] if index is not None and not complete else None

    if not status:
        phase, message = "", "no status reported by the controller yet"
        view_status: Status = "Unknown"
    else:
        phase, message = _phase(obj, spec, status)
        view_status = _STATUS.get(phase, "Unknown")
        if view_status == "Unknown":
            message = f"unrecognised phase {bound(phase, 64)!r}"
    attention = ""
    if view_status == "Failed":
        attention = message
    elif view_status == "Paused" and message != PLANNED_PAUSE:
        attention = message or "paused"

    state, note, paused_until = _step_state(spec, status, current, blue_green)
    steps = steps_plan.views(index, complete=complete, state=state)
    workload = find_workload(related, ref, ident["namespace"]) if ref else None
    template = get(workload, "spec", "template") if ref else spec.get("template")
    desired = integer(spec, "replicas")
    set_weight, actual_weight = (
        _weights(canary, status, steps_plan, index, complete, related, ident)
        if canary is not None and status else (None, None)
    )
    return RolloutView(
        cluster=cluster,
        provider="argo",
        api_version=text(obj, "apiVersion"),
        strategy="Canary" if canary is not None else "BlueGreen" if blue_green is not None else "",
        status=view_status,
        native_phase=bound(phase, 64),
        message=bound(message, MAX_TEXT),
        needs_attention=bool(attention),
        attention_reason=bound(attention, MAX_TEXT),
        step_index=index,
        step_count=count,
        step_label=current_label(steps, index, note),
        steps=steps,
        set_weight=set_weight,
        actual_weight=actual_weight,
        replicas=1 if desired is None else desired,  # Argo's default
        ready_replicas=integer(status, "readyReplicas"),
        updated_replicas=integer(status, "updatedReplicas"),
        available_replicas=integer(status, "availableReplicas"),
        stable_revision=text(status, "stableRS"),
        canary_revision=text(status, "currentPodHash"),
        images=template_images(template),
        workload_kind=text(ref, "kind"),
        workload_name=text(ref, "name"),
        paused_until=paused_until,
        updated=condition_times(items(status, "conditions")),
        **ident,
    )


def _generation_observed(observed: Any, generation: int) -> bool:
    """Argo's rule: a non-numeric observed generation (old controllers) counts as observed."""
    if isinstance(observed, int) and not isinstance(observed, bool):
        number = observed
    elif isinstance(observed, str) and observed.isascii() and observed.isdigit() \
            and len(observed) < 20:
        number = int(observed)
    else:
        return True
    return number >= generation


def _phase(obj: dict[str, Any], spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, str]:
    """(Argo phase, message), first matching rule wins (reference/argo.md)."""
    generation = integer(obj, "metadata", "generation") or 0
    if not _generation_observed(status.get("observedGeneration"), generation):
        return "Progressing", "waiting for rollout spec update to be observed"
    if flag(status, "controllerPause") and not items(status, "pauseConditions"):
        return "Progressing", "waiting for rollout to unpause"
    if spec.get("workloadRef") is not None:
        wanted = text(obj, "metadata", "annotations", WORKLOAD_GENERATION_ANNOTATION)
        seen = status.get("workloadObservedGeneration")
        if wanted.isdigit() and isinstance(seen, str) and seen.isdigit() and seen != wanted:
            return ("Progressing",
                    "waiting for rollout spec update to be observed for the reference workload")
    phase = text(status, "phase", limit=64)
    if phase:
        return phase, text(status, "message", limit=MAX_TEXT)
    return _computed_phase(spec, status)


def _computed_phase(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str, str]:
    """The client-side rules for controllers that do not write status.phase."""
    for cond in items(status, "conditions"):
        if cond.get("type") == "InvalidSpec":
            return "Degraded", f"InvalidSpec: {text(cond, 'message', limit=MAX_TEXT)}"
        if cond.get("reason") in ("RolloutAborted", "ProgressDeadlineExceeded"):
            return "Degraded", f"{cond['reason']}: {text(cond, 'message', limit=MAX_TEXT)}"
    if flag(spec, "paused"):
        return "Paused", "manually paused"
    pauses = items(status, "pauseConditions")
    if pauses:
        return "Paused", text(pauses[0], "reason")
    restart_at = timestamp(spec.get("restartAt"))
    if restart_at and restart_at != timestamp(status.get("restartedAt")):
        return "Progressing", "rollout is restarting"
    desired = integer(spec, "replicas")
    desired = 1 if desired is None else desired
    updated = integer(status, "updatedReplicas") or 0
    if updated < desired:
        return "Progressing", "more replicas need to be updated"
    if (integer(status, "availableReplicas") or 0) < updated:
        return "Progressing", "updated replicas are still becoming available"
    stable, current = text(status, "stableRS"), text(status, "currentPodHash")
    strategy = mapping(spec, "strategy")
    if strategy.get("blueGreen") is not None:
        active = text(status, "blueGreen", "activeSelector")
        if not active or active != current:
            return "Progressing", "active service cutover pending"
        if not stable or stable != current:
            post = get(strategy, "blueGreen", "postPromotionAnalysis") is not None
            run = text(status, "blueGreen", "postPromotionAnalysisRunStatus", "status")
            if post and run not in _COMPLETED_ANALYSIS:
                return "Progressing", "waiting for analysis to complete"
            return "Progressing", "waiting for post-promotion verification to complete"
    elif strategy.get("canary") is not None:
        no_routing = get(strategy, "canary", "trafficRouting") is None
        if no_routing and (integer(status, "replicas") or 0) > updated:
            return "Progressing", "old replicas are pending termination"
        if not stable or stable != current:
            return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""


def _step_state(spec: dict[str, Any], status: dict[str, Any], current: StepSpec | None,
                blue_green: dict[str, Any] | None) -> tuple[StepState, str, datetime | None]:
    """(state of the current step, note for step_label, end of a timed pause)."""
    pauses = items(status, "pauseConditions")
    reason = text(pauses[0], "reason") if pauses else ""
    started = timestamp(pauses[0].get("startTime")) if pauses else None
    if reason == "BlueGreenPause" and blue_green is not None and started:
        seconds = integer(blue_green, "autoPromotionSeconds")
        auto = blue_green.get("autoPromotionEnabled") is not False
        until = started + timedelta(seconds=seconds) if seconds and auto else None
        return "paused", "", until
    if flag(spec, "paused"):
        return "paused", "manually paused", None
    if reason == PLANNED_PAUSE and current is not None and current.kind == "pause":
        if current.pause_seconds is None:
            return "awaiting-approval", "", None
        until = started + timedelta(seconds=current.pause_seconds) if started else None
        return "paused", "", until
    if reason:
        return "paused", reason, None
    return "current", "", None


def _weights(canary: dict[str, Any], status: dict[str, Any], steps_plan: Plan,
             index: int | None, complete: bool, related: list[dict[str, Any]],
             ident: dict[str, Any]) -> tuple[int, int | None]:
    """Set and actual canary weight, as ``kubectl argo rollouts get`` computes them: with no
    current step (no steps, or all done) both are the maximum weight; an abort sets 0."""
    max_weight = integer(canary, "trafficRouting", "maxTrafficWeight") or 100
    if index is None or complete:
        return (0 if flag(status, "abort") else max_weight), max_weight
    set_weight = 0
    if not flag(status, "abort"):
        weight = steps_plan.weight_at(index)
        set_weight = 0 if weight is None else weight
    if canary.get("trafficRouting") is not None:
        weight = integer(status, "canary", "weights", "canary", "weight")
        return set_weight, set_weight if weight is None else weight
    available = integer(status, "availableReplicas") or 0
    if available <= 0:
        return set_weight, 0
    canary_hash = text(status, "currentPodHash")
    seen_sets = False
    for rs in related_of(related, "ReplicaSet", ident["namespace"]):
        if not _owned_by(rs, ident["name"]):
            continue
        seen_sets = True
        if canary_hash and text(rs, "metadata", "labels", POD_HASH_LABEL) == canary_hash:
            canary_available = integer(rs, "status", "availableReplicas") or 0
            return set_weight, min(max_weight, canary_available * max_weight // available)
    if seen_sets:
        return set_weight, None
    # No ReplicaSets at hand (a list row): the rollout's own status counts the pods of the
    # current revision (updatedReplicas); at most that many of the available ones are canary.
    canary_available = min(integer(status, "updatedReplicas") or 0, available)
    return set_weight, min(max_weight, canary_available * max_weight // available)


def _owned_by(obj: dict[str, Any], rollout_name: str) -> bool:
    """True unless the object names owners and the rollout is not one of them."""
    owners = items(obj, "metadata", "ownerReferences")
    if not owners:
        return True
    return any(o.get("kind") == "Rollout" and o.get("name") == rollout_name for o in owners)
