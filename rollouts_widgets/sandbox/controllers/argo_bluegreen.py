"""Argo blue-green strategy: the new ReplicaSet comes up behind the preview service; promotion
(automatic, after ``autoPromotionSeconds``, or by the user when ``autoPromotionEnabled`` is
false) points the active service at it; the old ReplicaSet is scaled down
``scaleDownDelaySeconds`` (default 30) later."""

from __future__ import annotations

import copy
from datetime import timedelta

from rollouts_widgets.sandbox.controllers.argo_rollout import (
    POD_HASH,
    SCALE_DOWN_DEADLINE,
    ArgoContext,
)
from rollouts_widgets.sandbox.controllers.helpers import (
    Obj,
    add_seconds,
    annotations_of,
    as_int,
    fmt_time,
    labels_of,
    parse_time,
)

MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"
DEFAULT_SCALE_DOWN_DELAY = 30
ANALYSIS_KEYS = ("prePromotionAnalysisRunStatus", "postPromotionAnalysisRunStatus")


def sync_blue_green(ctx: ArgoContext) -> None:
    bg = (ctx.spec.get("strategy") or {}).get("blueGreen") or {}
    status = ctx.status
    bg_status = status.setdefault("blueGreen", {})
    stable = status.get("stableRS", "")
    new_rs = ctx.new_rs
    _scale_down_expired(ctx)
    if stable == ctx.pod_hash:  # steady state, first deploy or fast rollback
        ctx.scale(new_rs, ctx.replicas)
        _point(ctx, bg.get("activeService"), ctx.pod_hash)
        _point(ctx, bg.get("previewService"), ctx.pod_hash)
        bg_status["activeSelector"] = ctx.pod_hash
        bg_status["previewSelector"] = ctx.pod_hash
        _retire(ctx, keep={ctx.pod_hash}, delayed=set())
        return
    if status.get("abort"):
        ctx.unpause()
        ctx.scale(new_rs, 0)
        for service, key in ((bg.get("activeService"), "activeSelector"),
                             (bg.get("previewService"), "previewSelector")):
            _point(ctx, service, stable)
            bg_status[key] = stable
        for key in ANALYSIS_KEYS:
            ctx.terminate_run((bg_status.get(key) or {}).get("name"))
        return
    if status.pop("abortedAt", None):  # retried: the analyses run again
        for key in ANALYSIS_KEYS:
            bg_status.pop(key, None)
    preview_count = bg.get("previewReplicaCount")
    target = as_int(preview_count, ctx.replicas) if preview_count is not None else ctx.replicas
    ctx.scale(new_rs, min(target, ctx.replicas))
    ctx.scale(ctx.stable_rs, ctx.replicas)
    _point(ctx, bg.get("previewService"), ctx.pod_hash)
    bg_status["previewSelector"] = ctx.pod_hash
    if ctx.available(new_rs) < min(target, ctx.replicas):
        return
    if not _analysis_passed(ctx, bg, bg_status, "prePromotionAnalysis", "PrePromotion"):
        return
    if not _promoted(ctx, bg):
        return
    ctx.scale(new_rs, ctx.replicas)
    if ctx.available(new_rs) < ctx.replicas:
        return
    _point(ctx, bg.get("activeService"), ctx.pod_hash)
    bg_status["activeSelector"] = ctx.pod_hash
    if not _analysis_passed(ctx, bg, bg_status, "postPromotionAnalysis", "PostPromotion"):
        return
    previous = stable
    status["stableRS"] = ctx.pod_hash
    status.pop("promoteFull", None)
    ctx.unpause()
    _retire(ctx, keep={ctx.pod_hash}, delayed={previous},
            delay=as_int(bg.get("scaleDownDelaySeconds"), DEFAULT_SCALE_DOWN_DELAY))
    ctx.event("Normal", "RolloutCompleted",
              f"Rollout completed update to revision {ctx.revision()} ({ctx.pod_hash})")


def _analysis_passed(ctx: ArgoContext, bg: Obj, bg_status: Obj, field: str,
                     kind: str) -> bool:
    """Pre- or post-promotion analysis: True once it has succeeded (or there is none)."""
    analysis = bg.get(field)
    if not analysis:
        return True
    suffix = "pre" if kind == "PrePromotion" else "post"
    run, ok = ctx.follow_run(
        bg_status, f"{field}RunStatus", f"{ctx.name}-{ctx.pod_hash}-{ctx.revision()}-{suffix}",
        analysis, {POD_HASH: ctx.pod_hash, "rollout-type": kind})
    return ok and run is not None and ctx.run_outcome(run, "InconclusiveAnalysisRun")


def _promoted(ctx: ArgoContext, bg: Obj) -> bool:
    if ctx.status.get("promoteFull") or ctx.resumed():
        return True
    if bg.get("autoPromotionEnabled", True) is not False:
        return True
    started = ctx.pause_started("BlueGreenPause")
    if started is None:
        ctx.pause("BlueGreenPause")
        return False
    seconds = bg.get("autoPromotionSeconds")
    due = add_seconds(started, as_int(seconds)) if seconds is not None else None
    return due is not None and ctx.now >= due


def _point(ctx: ArgoContext, service_name: str | None, pod_hash: str) -> None:
    """Point a service's selector at the ReplicaSet with ``pod_hash``."""
    if not service_name or not pod_hash:
        return
    service = ctx.api.get("services", ctx.namespace, service_name)
    if service is None:
        return
    want = copy.deepcopy(service)
    want["spec"].setdefault("selector", {})[POD_HASH] = pod_hash
    want["metadata"].setdefault("annotations", {})[MANAGED_BY] = ctx.name
    ctx.api.update_if_changed("services", service, want)


def _retire(ctx: ArgoContext, keep: set[str], delayed: set[str], delay: int = 0) -> None:
    """Old ReplicaSets: those in ``delayed`` get a scale-down deadline, the rest go to 0."""
    deadline = fmt_time(ctx.now + timedelta(seconds=delay))
    for rs in ctx.rss:
        pod_hash = labels_of(rs).get(POD_HASH)
        if pod_hash in keep or annotations_of(rs).get(SCALE_DOWN_DEADLINE):
            continue
        if pod_hash in delayed and as_int(rs["spec"].get("replicas")):
            want = copy.deepcopy(rs)
            want["metadata"].setdefault("annotations", {})[SCALE_DOWN_DEADLINE] = deadline
            ctx.api.update("replicasets.apps", want)
        else:
            ctx.scale(rs, 0)


def _scale_down_expired(ctx: ArgoContext) -> None:
    for rs in ctx.rss:
        when = parse_time(annotations_of(rs).get(SCALE_DOWN_DEADLINE))
        if when is None or ctx.now < when:
            continue
        want = copy.deepcopy(rs)
        want["metadata"]["annotations"].pop(SCALE_DOWN_DEADLINE, None)
        want["spec"]["replicas"] = 0
        result = ctx.api.update("replicasets.apps", want)
        if result is not None:
            ctx.replace_rs(rs, result)
