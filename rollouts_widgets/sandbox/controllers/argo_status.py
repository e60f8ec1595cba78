"""Argo Rollout status: counts, conditions (Available, Progressing incl. RolloutAborted and
ProgressDeadlineExceeded, Paused, Completed, Healthy, InvalidSpec) and the phase/message rules
of reference/argo.md, which the controller writes as ``status.phase`` / ``status.message``."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from rollouts_widgets.sandbox.controllers.helpers import (
    Obj,
    as_int,
    fmt_time,
    get_condition,
    parse_time,
    scaled_value,
    seconds_since,
)

if TYPE_CHECKING:
    from rollouts_widgets.sandbox.controllers.argo_rollout import ArgoContext

DEFAULT_PROGRESS_DEADLINE = 600


def finish_status(ctx: ArgoContext, workload: Obj | None) -> None:
    status = ctx.status
    new_rs = ctx.new_rs
    rs_status = [rs.get("status") or {} for rs in ctx.rss]
    before = copy.deepcopy(ctx.rollout.get("status") or {})
    status["observedGeneration"] = str(ctx.rollout["metadata"].get("generation", 1))
    status["replicas"] = sum(as_int(s.get("replicas")) for s in rs_status)
    status["updatedReplicas"] = as_int(((new_rs or {}).get("status") or {}).get("replicas"))
    status["readyReplicas"] = sum(as_int(s.get("readyReplicas")) for s in rs_status)
    status["availableReplicas"] = sum(as_int(s.get("availableReplicas")) for s in rs_status)
    status["HPAReplicas"] = status["replicas"]
    labels = (ctx.spec.get("selector") or {}).get("matchLabels") or {
        k: v for k, v in ((ctx.template.get("metadata") or {}).get("labels") or {}).items()
    }
    status["selector"] = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    if ctx.abort_message or status.get("abort"):
        status.setdefault("abortedAt", fmt_time(ctx.now))
    _conditions(ctx, before)
    phase, message = compute_phase(ctx.rollout, status)
    if phase != before.get("phase") and phase in ("Degraded", "Healthy"):
        ctx.event("Warning" if phase == "Degraded" else "Normal",
                  "RolloutAborted" if status.get("abort") else f"Rollout{phase}",
                  message or f"Rollout is {phase.lower()}")
    status["phase"], status["message"] = phase, message
    if workload is None:
        status.pop("workloadObservedGeneration", None)


def _conditions(ctx: ArgoContext, before: Obj) -> None:
    status, now = ctx.status, ctx.now
    replicas = ctx.replicas
    rs_name = (ctx.new_rs or {}).get("metadata", {}).get("name", "")
    revision = ctx.revision()
    paused = bool(ctx.spec.get("paused") or status.get("pauseConditions"))
    complete = (
        status.get("stableRS") == ctx.pod_hash
        and status["updatedReplicas"] == replicas
        and status["availableReplicas"] == replicas
        and status["replicas"] == replicas
    )
    max_unavailable = scaled_value(
        (((ctx.spec.get("strategy") or {}).get("canary") or {}).get("maxUnavailable", "25%")),
        replicas, round_up=False,
    )
    if status["availableReplicas"] >= replicas - max_unavailable:
        ctx.cond("Available", "True", "AvailableReason", "Rollout has minimum availability")
    else:
        ctx.cond("Available", "False", "AvailableReason", "Rollout does not have minimum "
                 "availability")
    progressing = get_condition(status.get("conditions"), "Progressing") or {}
    moved = any(as_int(before.get(k)) != status[k]
                for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"))
    moved = moved or before.get("currentStepIndex") != status.get("currentStepIndex")
    if status.get("abort"):
        message = f"Rollout aborted update to revision {revision}"
        if ctx.abort_message:
            message += f": {ctx.abort_message}"
        elif progressing.get("reason") == "RolloutAborted":
            message = progressing.get("message", message)
        ctx.cond("Progressing", "False", "RolloutAborted", message)
    elif paused:
        ctx.cond("Progressing", "Unknown", "RolloutPaused", "Rollout is paused")
    elif complete:
        ctx.cond("Progressing", "True", "NewReplicaSetAvailable",
                 f'ReplicaSet "{rs_name}" has successfully progressed.')
    elif progressing.get("reason") == "ProgressDeadlineExceeded" and not moved:
        pass
    else:
        ctx.cond("Progressing", "True", "ReplicaSetUpdated",
                 f'ReplicaSet "{rs_name}" is progressing.')
        cond = get_condition(status["conditions"], "Progressing")
        if moved:
            cond["lastUpdateTime"] = fmt_time(now)
        deadline = as_int(ctx.spec.get("progressDeadlineSeconds"), DEFAULT_PROGRESS_DEADLINE)
        if seconds_since(ctx.api, cond.get("lastUpdateTime")) > deadline:
            ctx.cond("Progressing", "False", "ProgressDeadlineExceeded",
                     f'ReplicaSet "{rs_name}" has timed out progressing.')
            if ctx.spec.get("progressDeadlineAbort"):
                status["abort"] = True
    if paused:
        ctx.cond("Paused", "True", "RolloutPaused", "Rollout is paused")
    elif get_condition(status.get("conditions"), "Paused"):
        ctx.cond("Paused", "False", "RolloutResumed", "Rollout is resumed")
    if complete:
        ctx.cond("Completed", "True", "RolloutCompleted",
                 f"Rollout completed update to revision {revision} ({ctx.pod_hash})")
    else:
        ctx.cond("Completed", "False", "RolloutCompleted", "Rollout not completed, started "
                 f"update to revision {revision} ({ctx.pod_hash})")
    phase, _ = compute_phase(ctx.rollout, status)
    if phase == "Healthy":
        ctx.cond("Healthy", "True", "RolloutHealthy", "Rollout is healthy")
    else:
        ctx.cond("Healthy", "False", "RolloutHealthy", "Rollout is not healthy")


def compute_phase(rollout: Obj, status: Obj) -> tuple[str, str]:
    """The controller's phase and message (reference/argo.md rule 5)."""
    spec = rollout["spec"]
    strategy = spec.get("strategy") or {}
    conditions = status.get("conditions") or []
    invalid = get_condition(conditions, "InvalidSpec")
    if invalid and invalid.get("status") == "True":
        return "Degraded", f"InvalidSpec: {invalid.get('message', '')}"
    for cond in conditions:
        if cond.get("reason") in ("RolloutAborted", "ProgressDeadlineExceeded"):
            return "Degraded", f"{cond['reason']}: {cond.get('message', '')}"
    if spec.get("paused"):
        return "Paused", "manually paused"
    pauses = status.get("pauseConditions") or []
    if pauses:
        return "Paused", pauses[0].get("reason", "")
    if spec.get("restartAt") and spec.get("restartAt") != status.get("restartedAt") and (
        parse_time(spec["restartAt"]) is not None
    ):
        return "Progressing", "rollout is restarting"
    desired = as_int(spec.get("replicas"), 1)
    updated = as_int(status.get("updatedReplicas"))
    if updated < desired:
        return "Progressing", "more replicas need to be updated"
    if as_int(status.get("availableReplicas")) < updated:
        return "Progressing", "updated replicas are still becoming available"
    current = status.get("currentPodHash")
    if strategy.get("blueGreen") is not None:
        if (status.get("blueGreen") or {}).get("activeSelector") != current:
            return "Progressing", "active service cutover pending"
        if status.get("stableRS") != current:
            if (status.get("blueGreen") or {}).get("postPromotionAnalysisRunStatus"):
                return "Progressing", "waiting for post-promotion verification to complete"
            return "Progressing", "waiting for analysis to complete"
    else:
        routed = bool((strategy.get("canary") or {}).get("trafficRouting"))
        if not routed and as_int(status.get("replicas")) > updated:
            return "Progressing", "old replicas are pending termination"
        if status.get("stableRS") != current:
            return "Progressing", "waiting for all steps to complete"
    return "Healthy", ""
