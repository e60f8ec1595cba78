"""OpenKruise Rollouts (rollouts.kruise.io v1beta1 and v1alpha1) -> RolloutView.

Kruise has no Paused or Failed phase: pauses are read from the Progressing condition and the
step state, failures from the workload and the new revision's pods (see reference/kruise.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rollouts_widgets.model.parse import (
    MAX_TEXT,
    Malformed,
    bound,
    condition_times,
    find_workload,
    flag,
    format_seconds,
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
from rollouts_widgets.model.steps import MAX_STEPS, Plan, StepSpec, current_label, kruise_plan
from rollouts_widgets.model.view import RolloutView, Status, StepState

API_GROUP = "rollouts.kruise.io"
STYLE_ANNOTATION = "rollouts.kruise.io/rolling-style"
CANARY_DEPLOYMENT_LABEL = "rollouts.kruise.io/canary-deployment"
# Waiting reasons of a new-revision container that mean the release cannot succeed by itself.
FAILING_POD_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull")
_REVISION_LABELS = ("pod-template-hash", "controller-revision-hash")
# The integer fields of status.canaryStatus / status.blueGreenStatus, with their error names.
_RELEASE_COUNTS = {
    release: tuple((key, int, f"status.{release}.{key}")
                   for key in ("currentStepIndex", "canaryReplicas", "canaryReadyReplicas",
                               "updatedReplicas", "updatedReadyReplicas"))
    for release in ("canaryStatus", "blueGreenStatus")
}
_STATUS_TYPES = (("conditions", list, "status.conditions"), ("phase", str, "status.phase"))


@dataclass(frozen=True, slots=True)
class _Verdict:
    """The outcome of the status rules, before the view is assembled."""

    status: Status
    message: str
    attention: str = ""  # needs-attention reason; "" = no attention needed
    step_state: StepState = "current"
    note: str = ""  # why the current step waits, shown in step_label
    paused_until: datetime | None = None


def build_view(obj: dict[str, Any], related: list[dict[str, Any]], cluster: str) -> RolloutView:
    ident = identity(obj)
    namespace = ident["namespace"]
    api_version = text(obj, "apiVersion")
    v1alpha1 = api_version.endswith("/v1alpha1")
    spec = require(obj, ("spec",), dict, "spec") or {}
    strategy = require(spec, ("strategy",), dict, "spec.strategy") or {}
    blue_green = not v1alpha1 and strategy.get("blueGreen") is not None
    plan_key = "blueGreen" if blue_green else "canary"
    plan = require(strategy, (plan_key,), dict, f"spec.strategy.{plan_key}") or {}
    raw_steps = require(plan, ("steps",), list, f"spec.strategy.{plan_key}.steps") or []
    if len(raw_steps) > MAX_STEPS:
        raise Malformed(f"spec.strategy.{plan_key}.steps has {len(raw_steps)} steps "
                        f"(at most {MAX_STEPS} are supported)")
    steps_plan = kruise_plan(raw_steps, v1alpha1=v1alpha1)
    specs = steps_plan.specs

    ref_path = ("objectRef", "workloadRef") if v1alpha1 else ("workloadRef",)
    ref = require(spec, ref_path, dict, "spec." + ".".join(ref_path)) or {}
    workload = find_workload(related, ref, namespace)
    style = _rolling_style(obj, plan, text(ref, "kind"), blue_green, v1alpha1)

    status = require(obj, ("status",), dict, "status") or {}
    release_key = "blueGreenStatus" if blue_green else "canaryStatus"
    release = require(status, (release_key,), dict, f"status.{release_key}") or {}
    require_fields(release, _RELEASE_COUNTS[release_key])
    require_fields(status, _STATUS_TYPES)
    conditions = items(status, "conditions")

    phase = text(status, "phase")
    step_state = text(release, "currentStepState") or text(status, "currentStepState")
    index = integer(release, "currentStepIndex") or integer(status, "currentStepIndex")
    count = len(specs)
    complete = count > 0 and (step_state == "Completed" or phase == "Healthy")
    if phase in ("Disabled", "Disabling") or not count:
        index = None  # a disabled rollout manages no steps
    elif complete:
        index = count
    elif index is not None:
        index = index if 1 <= index <= count else None
    current = specs[index - 1] if index is not None else None

    verdict = _verdict(obj, status, release, conditions, current, index, count, related, workload)
    steps = steps_plan.views(index, complete=complete, state=verdict.step_state)
    in_release = index is not None and not complete

    desired = integer(workload, "spec", "replicas")
    if in_release:
        updated = integer(release, "updatedReplicas" if blue_green else "canaryReplicas")
    else:
        updated = integer(workload, "status", "updatedReplicas")
    set_weight, actual_weight = _weights(steps_plan, index, complete, in_release, updated,
                                         desired)
    return RolloutView(
        cluster=cluster,
        provider="kruise",
        api_version=api_version,
        strategy=style,
        status=verdict.status,
        native_phase=bound(phase, 64),
        message=bound(verdict.message, MAX_TEXT),
        needs_attention=bool(verdict.attention),
        attention_reason=bound(verdict.attention, MAX_TEXT),
        step_index=index,
        step_count=count,
        step_label=current_label(steps, index, verdict.note),
        steps=steps,
        set_weight=set_weight,
        actual_weight=actual_weight,
        replicas=desired,
        ready_replicas=integer(workload, "status", "readyReplicas"),
        updated_replicas=updated,
        available_replicas=integer(workload, "status", "availableReplicas"),
        stable_revision=text(release, "stableRevision"),
        canary_revision=(text(release, "podTemplateHash") or text(release, "canaryRevision")
                         or text(release, "updatedRevision")),
        images=template_images(get(workload, "spec", "template")),
        workload_kind=text(ref, "kind"),
        workload_name=text(ref, "name"),
        paused_until=verdict.paused_until,
        updated=condition_times(conditions),
        **ident,
    )


def _rolling_style(obj: dict[str, Any], plan: dict[str, Any], workload_kind: str,
                   blue_green: bool, v1alpha1: bool) -> str:
    """BlueGreen if blueGreen is set; else Canary if an extra canary workload is enabled
    (v1alpha1: unless the rolling-style annotation says partition); else Partition.
    Only Deployments get an extra canary workload; other kinds always roll by partition."""
    if blue_green:
        return "BlueGreen"
    if v1alpha1:
        style = text(obj, "metadata", "annotations", STYLE_ANNOTATION).lower()
        extra = style != "partition"
    else:
        extra = flag(plan, "enableExtraWorkloadForCanary")
    return "Canary" if extra and workload_kind in ("Deployment", "") else "Partition"


def _verdict(obj: dict[str, Any], status: dict[str, Any], release: dict[str, Any],
             conditions: list[dict[str, Any]], current: StepSpec | None, index: int | None,
             count: int, related: list[dict[str, Any]],
             workload: dict[str, Any] | None) -> _Verdict:
    """Status, message and attention from the rules in reference/kruise.md, first match wins."""
    if not status:
        return _Verdict("Unknown", "no status reported by the controller yet")
    phase = text(status, "phase")
    message = text(status, "message", limit=MAX_TEXT)
    if phase in ("Disabled", "Disabling"):
        return _Verdict("Disabled", message or f"rollout is {phase.lower()}")
    if phase == "Initial" and "workload not found" in message.lower():
        return _Verdict("Failed", message, attention=message)
    if phase == "Progressing":
        failure = _failure(text(obj, "metadata", "namespace"), release, related, workload)
        if failure:
            return _Verdict("Failed", failure, attention=failure)
        progressing = next((c for c in conditions if c.get("type") == "Progressing"), {})
        if text(progressing, "reason") == "Paused" or flag(obj, "spec", "strategy", "paused"):
            return _Verdict("Paused", "manually paused", attention="manually paused",
                            step_state="paused", note="manually paused")
        state = text(release, "currentStepState") or text(status, "currentStepState")
        if state == "StepPaused" and current is not None:
            where = f"step {index}/{count}"
            if current.pauses and current.pause_seconds is None:
                return _Verdict("Paused", f"{where} awaiting approval",
                                attention="awaiting approval", step_state="awaiting-approval")
            seconds = current.pause_seconds or 0.0
            since = timestamp(get(release, "lastUpdateTime"))
            until = since + timedelta(seconds=seconds) if since else None
            return _Verdict("Paused", f"{where} paused for {format_seconds(seconds)}",
                            step_state="paused", paused_until=until)
        return _Verdict("Progressing", message or text(progressing, "message", limit=MAX_TEXT)
                        or "progressing")
    if phase == "Healthy":
        return _Verdict("Healthy", message or "healthy")
    if phase in ("Initial", "Terminating"):
        return _Verdict("Progressing", message or phase.lower())
    if not phase:
        return _Verdict("Unknown", "the controller has not reported a phase yet")
    return _Verdict("Unknown", f"unrecognised phase {bound(phase, 64)!r}")


def _failure(namespace: str, release: dict[str, Any], related: list[dict[str, Any]],
             workload: dict[str, Any] | None) -> str:
    """Why a release cannot progress: a new-revision pod stuck pulling or crashing, or a
    Deployment past its progress deadline. "" when nothing is wrong."""
    if not related:
        return ""  # no pods and no workload to look at (the workload is one of ``related``)
    revision = text(release, "podTemplateHash")
    if revision:
        for pod in sorted(related_of(related, "Pod", namespace),
                          key=lambda p: text(p, "metadata", "name")):
            labels = mapping(pod, "metadata", "labels")
            if not any(labels.get(label) == revision for label in _REVISION_LABELS):
                continue
            for container in (items(pod, "status", "initContainerStatuses")
                              + items(pod, "status", "containerStatuses")):
                reason = text(container, "state", "waiting", "reason")
                if reason in FAILING_POD_REASONS:
                    detail = text(container, "state", "waiting", "message", limit=MAX_TEXT)
                    name = text(pod, "metadata", "name")
                    return f"{reason}: pod {name}" + (f": {detail}" if detail else "")
    deployments = [workload] if text(workload, "kind") == "Deployment" else []
    workload_name = text(workload, "metadata", "name")
    deployments += [d for d in related_of(related, "Deployment", namespace) if workload_name
                    and text(d, "metadata", "labels", CANARY_DEPLOYMENT_LABEL) == workload_name]
    for deployment in deployments:
        for cond in items(deployment, "status", "conditions"):
            if cond.get("type") == "Progressing" and cond.get("reason") == \
                    "ProgressDeadlineExceeded":
                detail = text(cond, "message", limit=MAX_TEXT)
                name = text(deployment, "metadata", "name")
                return "ProgressDeadlineExceeded: " + (detail or f"deployment {name}")
    return ""


def _weights(steps_plan: Plan, index: int | None, complete: bool, in_release: bool,
             canary: int | None, desired: int | None) -> tuple[int | None, int | None]:
    """Set weight: the traffic of the current step (the last one set at or before it); 100 once
    complete; None without traffic steps. Actual: new-revision replicas (canaryReplicas, or
    blue-green updatedReplicas) over the workload's desired replicas."""
    has_traffic = steps_plan.has_traffic
    if complete:
        return (100 if has_traffic else None), 100
    if not in_release or index is None:
        return None, None
    set_weight = steps_plan.weight_at(index)
    if set_weight is None:
        set_weight = 0 if has_traffic else None
    actual = None
    if canary is not None and desired:
        actual = max(0, min(100, canary * 100 // desired))
    return set_weight, actual
