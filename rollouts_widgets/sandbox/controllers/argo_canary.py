"""Argo canary strategy: steps (setWeight, pause, analysis, experiment, setCanaryScale,
setHeaderRoute, setMirrorRoute, plugin), background analysis, abort/retry and promote-full.

Without traffic routing the weight is made of pods (canary = ceil(weight% x replicas), the
stable ReplicaSet gives up what the canary has made available); with traffic routing the
stable ReplicaSet stays at full size and the weights are recorded in ``status.canary.weights``.
"""

from __future__ import annotations

import copy

from rollouts_widgets.sandbox.controllers.analysis import run_phase
from rollouts_widgets.sandbox.controllers.argo_rollout import (
    POD_HASH,
    REVISION,
    ArgoContext,
    canary_steps,
    weight_replicas,
)
from rollouts_widgets.sandbox.controllers.helpers import (
    Obj,
    add_seconds,
    as_int,
    fmt_time,
    owner_ref,
    parse_duration,
)

ANALYSIS_RUNS = "analysisruns.argoproj.io"
EXPERIMENTS = "experiments.argoproj.io"
FAILED = ("Failed", "Error")


def sync_canary(ctx: ArgoContext) -> None:
    canary = (ctx.spec.get("strategy") or {}).get("canary") or {}
    steps = canary_steps(ctx.rollout)
    status = ctx.status
    new_rs, stable_rs = ctx.new_rs, ctx.stable_rs
    if status.get("stableRS") == ctx.pod_hash:  # steady state, first deploy or fast rollback
        ctx.scale(new_rs, ctx.replicas)
        ctx.scale_others({ctx.pod_hash})
        if steps:
            status["currentStepIndex"] = len(steps)
        return
    canary_status = status.setdefault("canary", {})
    if status.get("abort"):
        _abort(ctx, canary_status)
        return
    if status.get("abortedAt"):  # retry (abort: false): the steps start again
        status.pop("abortedAt", None)
        for key in ("currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus",
                    "currentExperiment"):
            canary_status.pop(key, None)
        if steps:
            status["currentStepIndex"] = 0
        ctx.event("Normal", "RolloutRetry", "Rollout retried")
    index = as_int(status.get("currentStepIndex"), len(steps)) if steps else 0
    if status.get("promoteFull"):
        index = len(steps)
    elif ctx.spec.get("paused"):
        _apply_scale(ctx, canary, steps, index)
        return
    elif _background_analysis(ctx, canary, canary_status, index) or status.get("abort"):
        if status.get("abort"):
            _abort(ctx, canary_status)
        return
    if index < len(steps):
        if ctx.resumed() and not {"pause", "analysis", "experiment"} & set(steps[index]):
            ctx.unpause()  # the promote already moved the index past the paused step
        _apply_scale(ctx, canary, steps, index)
        if _step_done(ctx, canary, steps, index, canary_status):
            label = _step_label(steps[index])
            ctx.event("Normal", "RolloutStepCompleted",
                      f"Rollout step {index + 1}/{len(steps)} completed ({label})")
            status["currentStepIndex"] = index + 1
        if status.get("abort"):
            _abort(ctx, canary_status)
        return
    # every step done (or promote-full): the canary becomes the stable version
    if steps:
        status["currentStepIndex"] = len(steps)
    ctx.scale(new_rs, ctx.replicas)
    routed = bool(canary.get("trafficRouting"))
    if not routed:
        ctx.scale(stable_rs, max(ctx.replicas - ctx.available(new_rs), 0))
    if ctx.available(new_rs) >= ctx.replicas:
        status["stableRS"] = ctx.pod_hash
        status.pop("promoteFull", None)
        ctx.unpause()
        ctx.terminate_run((canary_status.get("currentBackgroundAnalysisRunStatus") or {}).get(
            "name"))
        if routed:
            canary_status["weights"] = _weights(ctx, canary, 100)
        ctx.scale_others({ctx.pod_hash})
        ctx.event("Normal", "RolloutCompleted",
                  f"Rollout completed update to revision {ctx.revision()} ({ctx.pod_hash})")


def _abort(ctx: ArgoContext, canary_status: Obj) -> None:
    """Scale the canary down and the stable version back up; stop analyses."""
    ctx.unpause()
    ctx.scale(ctx.stable_rs, ctx.replicas)
    ctx.scale_others({ctx.status.get("stableRS", "")})
    for key in ("currentStepAnalysisRunStatus", "currentBackgroundAnalysisRunStatus"):
        ctx.terminate_run((canary_status.get(key) or {}).get("name"))
    canary = (ctx.spec.get("strategy") or {}).get("canary") or {}
    if canary.get("trafficRouting"):
        canary_status["weights"] = _weights(ctx, canary, 0)
    if canary_steps(ctx.rollout):
        ctx.status["currentStepIndex"] = 0


def set_weight_at(steps: list[Obj], index: int) -> int:
    """The last setWeight at or before ``index`` (0 before the first one)."""
    weight = 0
    for step in steps[: index + 1]:
        if "setWeight" in step:
            weight = as_int(step["setWeight"])
    return weight


def _canary_target(ctx: ArgoContext, canary: Obj, steps: list[Obj], index: int) -> int:
    weight = set_weight_at(steps, index)
    if not canary.get("trafficRouting"):
        return weight_replicas(weight, ctx.replicas)
    scale = None  # setCanaryScale only applies with traffic routing, as in Argo
    for step in steps[: index + 1]:
        if "setCanaryScale" in step:
            scale = step["setCanaryScale"] or {}
    if scale is None or scale.get("matchTrafficWeight"):
        return weight_replicas(weight, ctx.replicas)
    if "replicas" in scale:
        return min(as_int(scale["replicas"]), ctx.replicas)
    return weight_replicas(as_int(scale.get("weight")), ctx.replicas)


def _apply_scale(ctx: ArgoContext, canary: Obj, steps: list[Obj], index: int) -> None:
    target = _canary_target(ctx, canary, steps, index)
    new_rs, stable_rs = ctx.new_rs, ctx.stable_rs
    ctx.scale(new_rs, target)
    if canary.get("trafficRouting"):
        ctx.scale(stable_rs, ctx.replicas)
        ctx.status["canary"]["weights"] = _weights(ctx, canary, set_weight_at(steps, index))
    else:
        ctx.scale(stable_rs, ctx.replicas - min(ctx.available(new_rs), target))
    ctx.scale_others({ctx.pod_hash, ctx.status.get("stableRS", "")})


def _weights(ctx: ArgoContext, canary: Obj, weight: int) -> Obj:
    return {
        "canary": {"weight": weight, "podTemplateHash": ctx.pod_hash,
                   "serviceName": canary.get("canaryService", "")},
        "stable": {"weight": 100 - weight, "podTemplateHash": ctx.status.get("stableRS", ""),
                   "serviceName": canary.get("stableService", "")},
    }


def _scaled(ctx: ArgoContext, canary: Obj, steps: list[Obj], index: int) -> bool:
    target = _canary_target(ctx, canary, steps, index)
    new_rs = ctx.new_rs
    stable_want = ctx.replicas if canary.get("trafficRouting") else ctx.replicas - target
    stable_have = as_int(((ctx.stable_rs or {}).get("status") or {}).get("replicas"))
    return ctx.available(new_rs) >= target and ctx.desired(new_rs) == target and (
        stable_have <= stable_want)


def _step_done(ctx: ArgoContext, canary: Obj, steps: list[Obj], index: int,
               canary_status: Obj) -> bool:
    step = steps[index]
    if "setWeight" in step or "setCanaryScale" in step:
        return _scaled(ctx, canary, steps, index)
    if "pause" in step:
        return _pause_done(ctx, step.get("pause"))
    if "analysis" in step:
        return _analysis_step(ctx, step.get("analysis") or {}, index, canary_status)
    if "experiment" in step:
        return _experiment_step(ctx, step.get("experiment") or {}, index, canary_status)
    if "setHeaderRoute" in step or "setMirrorRoute" in step:
        return True  # recorded by the traffic router, which the sandbox does not run
    if "plugin" in step:
        return _plugin_step(ctx, step.get("plugin") or {}, index, canary_status)
    ctx.cond("InvalidSpec", "True", "InvalidSpec",
             f"spec.strategy.canary.steps[{index}]: unknown step type {sorted(step)!r}")
    return False


def _pause_done(ctx: ArgoContext, pause: object) -> bool:
    if ctx.resumed():  # promoted by the user
        ctx.unpause()
        return True
    started = ctx.pause_started("CanaryPauseStep")
    if started is None:
        ctx.pause("CanaryPauseStep")
        started = ctx.pause_started("CanaryPauseStep")
    duration = parse_duration((pause or {}).get("duration")) if isinstance(pause, dict) else None
    due = add_seconds(started, duration) if duration is not None else None
    if due is not None and ctx.now >= due:
        ctx.unpause()
        return True
    return False


def _analysis_step(ctx: ArgoContext, analysis: Obj, index: int, canary_status: Obj) -> bool:
    run, _ok = ctx.follow_run(
        canary_status, "currentStepAnalysisRunStatus",
        f"{ctx.name}-{ctx.pod_hash}-{ctx.revision()}-{index}", analysis,
        {POD_HASH: ctx.pod_hash, "rollout-type": "Step", "step-index": str(index)})
    return run is not None and ctx.run_outcome(run, "InconclusiveAnalysisRun", "analysis")


def _background_analysis(ctx: ArgoContext, canary: Obj, canary_status: Obj, index: int) -> bool:
    """Start or follow background analysis; True when it stopped the rollout this round."""
    analysis = canary.get("analysis")
    if not analysis or index < as_int(analysis.get("startingStep")):
        return False
    run, ok = ctx.follow_run(
        canary_status, "currentBackgroundAnalysisRunStatus",
        f"{ctx.name}-{ctx.pod_hash}-{ctx.revision()}", analysis,
        {POD_HASH: ctx.pod_hash, "rollout-type": "Background"})
    if not ok:
        return True
    phase = run_phase(run) if run is not None else ""
    if phase in FAILED or phase == "Inconclusive":
        ctx.run_outcome(run, "InconclusiveAnalysisRun", "analysis")
        return phase in FAILED or not ctx.resumed()
    return False


def _experiment_step(ctx: ArgoContext, step: Obj, index: int, canary_status: Obj) -> bool:
    name = canary_status.get("currentExperiment")
    exp = ctx.experiments.get(name or "")
    if exp is None:
        base = f"{ctx.name}-{ctx.pod_hash}-{ctx.revision()}-{index}"
        name = ctx.unique_name(base, ctx.experiments)
        ctx.api.create(EXPERIMENTS, _experiment(ctx, step, name))
        canary_status["currentExperiment"] = name
        return False
    done = ctx.run_outcome(exp, "InconclusiveExperiment", "experiment")
    if done:
        canary_status.pop("currentExperiment", None)
    return done


def _experiment(ctx: ArgoContext, step: Obj, name: str) -> Obj:
    stable_template = (ctx.stable_rs or ctx.new_rs or {}).get("spec", {}).get("template") or {}
    templates = []
    for item in step.get("templates") or []:
        source = ctx.template if item.get("specRef") == "canary" else stable_template
        template = copy.deepcopy(source)
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.pop(POD_HASH, None)
        labels.update((item.get("metadata") or {}).get("labels") or {})
        if "replicas" in item:
            replicas = as_int(item["replicas"], 1)
        elif "weight" in item:
            replicas = max(weight_replicas(as_int(item["weight"]), ctx.replicas), 1)
        else:
            replicas = 1
        selector = copy.deepcopy(item.get("selector") or ctx.spec.get("selector") or {
            "matchLabels": dict(labels)})
        templates.append({"name": item.get("name", ""), "replicas": replicas,
                          "selector": selector, "template": template})
    spec: Obj = {"templates": templates}
    if step.get("duration") is not None:
        spec["duration"] = step["duration"]
    analyses = step.get("analyses") or []
    if analyses:
        spec["analyses"] = copy.deepcopy(analyses)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Experiment",
        "metadata": {"name": name, "namespace": ctx.namespace,
                     "labels": {POD_HASH: ctx.pod_hash},
                     "annotations": {REVISION: str(ctx.revision())},
                     "ownerReferences": [owner_ref(ctx.rollout)]},
        "spec": spec,
    }


def _plugin_step(ctx: ArgoContext, plugin: Obj, index: int, canary_status: Obj) -> bool:
    """A step plugin: recorded as Running, then Successful (the sandbox runs no plugins)."""
    statuses = canary_status.setdefault("stepPluginStatuses", [])
    entry = next((s for s in statuses if s.get("index") == index), None)
    stamp = fmt_time(ctx.now)
    if entry is None:
        statuses.append({"index": index, "name": plugin.get("name", ""), "operation": "Run",
                         "phase": "Running", "startedAt": stamp,
                         "message": "sandbox: plugin step recorded"})
        return False
    if entry.get("phase") == "Running":
        entry.update(phase="Successful", finishedAt=stamp, message="sandbox: plugin step passed")
    return True


def _step_label(step: Obj) -> str:
    kind = next(iter(step), "step")
    value = step.get(kind)
    if kind == "setWeight":
        return f"setWeight: {value}"
    if kind == "pause" and isinstance(value, dict) and value.get("duration") is not None:
        return f"pause: {value['duration']}"
    return kind

