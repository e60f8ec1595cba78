"""Argo Rollouts controller (argoproj.io/v1alpha1 Rollout), following reference/argo.md.

The rollout owns one ReplicaSet per pod template (``<rollout>-<hash>``, label
``rollouts-pod-template-hash``, annotation ``rollout.argoproj.io/revision``). This module holds
what both strategies share - template resolution (``workloadRef``), ReplicaSets, new-revision
detection, restarts, conditions and the phase/message rules; ``argo_canary`` and
``argo_bluegreen`` move the release forward.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from rollouts_widgets.sandbox.controllers.analysis import build_analysis_run, run_phase
from rollouts_widgets.sandbox.controllers.argo_status import finish_status
from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    annotations_of,
    as_int,
    fmt_time,
    fnv32a,
    guarded,
    labels_of,
    owner_ref,
    parse_time,
    record_event,
    remove_condition,
    safe_encode,
    set_condition,
    template_hash,
)
from rollouts_widgets.sandbox.controllers.podsets import is_available

RESOURCE = "rollouts.argoproj.io"
POD_HASH = "rollouts-pod-template-hash"
REVISION = "rollout.argoproj.io/revision"
WORKLOAD_GENERATION = "rollout.argoproj.io/workload-generation"
SCALE_DOWN_DEADLINE = "argo-rollouts.argoproj.io/scale-down-deadline"
COMPONENT = "rollouts-controller"


class ArgoContext:
    """One rollout in one round: what was read, and the status being built."""

    def __init__(self, api: Api, rollout: Obj, template: Obj) -> None:
        self.api = api
        self.rollout = rollout
        self.name = rollout["metadata"]["name"]
        self.namespace = rollout["metadata"].get("namespace")
        self.spec = rollout["spec"]
        self.status: Obj = copy.deepcopy(rollout.get("status") or {})
        self.template = template
        self.replicas = as_int(self.spec.get("replicas"), 1)
        self.pod_hash = template_hash(template, drop_labels=(POD_HASH,),
                                      collision_count=as_int(self.status.get("collisionCount")))
        self.rss = api.owned("replicasets.apps", rollout)
        self.runs = {r["metadata"]["name"]: r
                     for r in api.owned("analysisruns.argoproj.io", rollout)}
        self.experiments = {e["metadata"]["name"]: e
                            for e in api.owned("experiments.argoproj.io", rollout)}
        self.now = api.now()
        self.abort_message = ""

    # -- ReplicaSets --
    def rs_by_hash(self, pod_hash: str | None) -> Obj | None:
        if not pod_hash:
            return None
        return next((rs for rs in self.rss if labels_of(rs).get(POD_HASH) == pod_hash), None)

    @property
    def new_rs(self) -> Obj | None:
        return self.rs_by_hash(self.pod_hash)

    @property
    def stable_rs(self) -> Obj | None:
        return self.rs_by_hash(self.status.get("stableRS"))

    def revision(self, rs: Obj | None = None) -> int:
        return as_int(annotations_of(rs or self.new_rs or {}).get(REVISION))

    def scale(self, rs: Obj | None, replicas: int) -> None:
        if rs is None:
            return
        name = rs["metadata"]["name"]
        rs = next((r for r in self.rss if r["metadata"]["name"] == name), rs)  # latest copy
        current = as_int(rs["spec"].get("replicas"))
        if current == replicas:
            return
        want = copy.deepcopy(rs)
        want["spec"]["replicas"] = replicas
        result = self.api.update("replicasets.apps", want)
        if result is not None:
            self.replace_rs(rs, result)
            direction = "up" if replicas > current else "down"
            self.event("Normal", "ScalingReplicaSet",
                       f"Scaled {direction} ReplicaSet {rs['metadata']['name']} (revision "
                       f"{self.revision(rs)}) from {current} to {replicas}")

    def replace_rs(self, old: Obj, new: Obj) -> None:
        """Use our updated copy from now on (listed objects are shared and read-only)."""
        self.rss = [new if rs is old else rs for rs in self.rss]

    def scale_others(self, keep: set[str], replicas: int = 0) -> None:
        """Scale every ReplicaSet not in ``keep`` (pod hashes) to ``replicas``."""
        for rs in self.rss:
            if labels_of(rs).get(POD_HASH) not in keep and not annotations_of(rs).get(
                SCALE_DOWN_DEADLINE
            ):
                self.scale(rs, replicas)

    def available(self, rs: Obj | None) -> int:
        return as_int(((rs or {}).get("status") or {}).get("availableReplicas"))

    def desired(self, rs: Obj | None) -> int:
        return as_int((rs or {}).get("spec", {}).get("replicas"))

    # -- status helpers --
    def cond(self, ctype: str, status: str, reason: str, message: str) -> None:
        self.status["conditions"] = set_condition(
            self.status.get("conditions") or [], ctype, status, reason, message, self.now
        )

    def pause(self, reason: str) -> None:
        conditions = self.status.setdefault("pauseConditions", [])
        if not any(c.get("reason") == reason for c in conditions):
            conditions.append({"reason": reason, "startTime": fmt_time(self.now)})
            self.status["controllerPause"] = True
            self.event("Normal", "RolloutPaused", f"Rollout is paused ({reason})")

    def pause_started(self, reason: str) -> str | None:
        return next((c.get("startTime") for c in self.status.get("pauseConditions") or []
                     if c.get("reason") == reason), None)

    def resumed(self) -> bool:
        """The user promoted: the controller's pause is on but its conditions were cleared."""
        return bool(self.status.get("controllerPause")) and not self.status.get("pauseConditions")

    def unpause(self) -> None:
        self.status.pop("pauseConditions", None)
        self.status.pop("controllerPause", None)

    def abort(self, message: str) -> None:
        self.status["abort"] = True
        self.abort_message = message

    def event(self, event_type: str, reason: str, message: str) -> None:
        record_event(self.api, self.rollout, event_type, reason, message, COMPONENT)

    def terminate_run(self, name: str | None) -> None:
        run = self.runs.get(name or "")
        if run and not run["spec"].get("terminate") and (run.get("status") or {}).get(
            "phase"
        ) not in ("Successful", "Failed", "Error", "Inconclusive"):
            self.api.patch("analysisruns.argoproj.io", self.namespace, name,
                           {"spec": {"terminate": True}})

    def follow_run(self, holder: Obj, key: str, base: str, analysis: Obj,
                   labels: dict[str, str]) -> tuple[Obj | None, bool]:
        """Create the AnalysisRun recorded under ``holder[key]`` when there is none yet, else
        refresh that entry (``{name, status, message}``). Returns (the run, or None while it
        is new; False when the analysis cannot run - an InvalidSpec condition says why)."""
        current = holder.get(key) or {}
        run = self.runs.get(current.get("name", ""))
        if run is None:
            name = self.unique_name(base, self.runs)
            body, error = build_analysis_run(self.api, self.rollout, name,
                                             analysis.get("templates") or [],
                                             analysis.get("args"), labels,
                                             {REVISION: str(self.revision())})
            if body is None:
                self.cond("InvalidSpec", "True", "InvalidSpec", error)
                return None, False
            self.api.create("analysisruns.argoproj.io", body)
            holder[key] = {"name": name, "status": ""}
            return None, True
        entry = {"name": run["metadata"]["name"], "status": run_phase(run)}
        if (run.get("status") or {}).get("message"):
            entry["message"] = run["status"]["message"]
        holder[key] = entry
        return run, True

    def run_outcome(self, run: Obj | None, pause_reason: str, what: str = "analysis") -> bool:
        """React to an AnalysisRun's or Experiment's phase: True when the rollout may go on;
        a failure aborts, an inconclusive result pauses until the user promotes."""
        phase = run_phase(run) if what == "analysis" else ((run or {}).get("status") or {}).get(
            "phase", "Pending")
        if phase == "Successful":
            return True
        message = ((run or {}).get("status") or {}).get("message", "")
        name = (run or {}).get("metadata", {}).get("name", "")
        if phase in ("Failed", "Error"):
            kind = "AnalysisRun" if what == "analysis" else "Experiment"
            self.abort(f'{kind} "{name}" {phase.lower()}' + (f": {message}" if message else ""))
            return False
        if phase == "Inconclusive":
            if self.resumed():
                self.unpause()
                return True
            self.pause(pause_reason)
        return False

    def unique_name(self, base: str, taken: dict[str, Any]) -> str:
        """``base``, or ``base.N`` when a run of that name exists (after a retry)."""
        name, n = base, 0
        while name in taken:
            n += 1
            name = f"{base}.{n}"
        return name


class ArgoRolloutController:
    name = "argo-rollouts"

    def reconcile(self, api: Api) -> None:
        rollouts = api.list(RESOURCE)
        if not rollouts:
            return
        for rollout in rollouts:
            with guarded(rollout, lambda exc, r=rollout: _invalid(api, r, exc)):
                self._sync(api, rollout)

    def _sync(self, api: Api, rollout: Obj) -> None:
        template, workload, problem = _resolve_template(api, rollout)
        status = copy.deepcopy(rollout.get("status") or {})
        if problem:
            status["observedGeneration"] = str(rollout["metadata"].get("generation", 1))
            status["conditions"] = set_condition(status.get("conditions") or [], "InvalidSpec",
                                                 "True", "InvalidSpec", problem, api.now())
            status.update(phase="Degraded", message=f"InvalidSpec: {problem}")
            api.update_status(RESOURCE, rollout, status)
            return
        if workload is not None and _track_workload(api, rollout, workload):
            return
        ctx = ArgoContext(api, rollout, template)
        if ctx.new_rs is None:
            _create_rs(ctx)
            return
        if _bump_revision(ctx):
            return
        _detect_update(ctx)
        strategy = rollout["spec"].get("strategy") or {}
        if strategy.get("blueGreen") is not None:
            from rollouts_widgets.sandbox.controllers.argo_bluegreen import sync_blue_green

            sync_blue_green(ctx)
        else:
            from rollouts_widgets.sandbox.controllers.argo_canary import sync_canary

            sync_canary(ctx)
        _restart(ctx)
        if workload is not None:
            _scale_down_workload(ctx, workload)
        finish_status(ctx, workload)
        api.update_status(RESOURCE, rollout, ctx.status)


def _invalid(api: Api, rollout: Obj, exc: Exception) -> None:
    """A rollout the controller cannot read is Degraded with an InvalidSpec condition."""
    message = f"the sandbox controller cannot read this rollout: {exc!r}"
    status = copy.deepcopy(rollout.get("status") if isinstance(rollout.get("status"), dict)
                           else {})
    status["conditions"] = set_condition(
        [c for c in status.get("conditions") or [] if isinstance(c, dict)], "InvalidSpec",
        "True", "InvalidSpec", message, api.now())
    status.update(phase="Degraded", message=f"InvalidSpec: {message}")
    api.update_status(RESOURCE, rollout, status)


# -- template, workloadRef --
def _resolve_template(api: Api, rollout: Obj) -> tuple[Obj, Obj | None, str]:
    ref = rollout["spec"].get("workloadRef")
    if not ref:
        return copy.deepcopy(rollout["spec"].get("template") or {}), None, ""
    if ref.get("kind") != "Deployment":
        return {}, None, f"workloadRef kind {ref.get('kind')!r} is not supported"
    workload = api.get("deployments.apps", rollout["metadata"].get("namespace"),
                       ref.get("name", ""))
    if workload is None:
        return {}, None, f'Deployment.apps "{ref.get("name")}" not found'
    return copy.deepcopy(workload["spec"].get("template") or {}), workload, ""


def _track_workload(api: Api, rollout: Obj, workload: Obj) -> bool:
    """Record the referenced Deployment's generation on the rollout, as Argo does."""
    generation = str(workload["metadata"].get("generation", 1))
    if annotations_of(rollout).get(WORKLOAD_GENERATION) == generation:
        return False
    want = copy.deepcopy(rollout)
    want["metadata"].setdefault("annotations", {})[WORKLOAD_GENERATION] = generation
    api.update(RESOURCE, want)
    return True


def _scale_down_workload(ctx: ArgoContext, workload: Obj) -> None:
    """``workloadRef.scaleDown``: ``never`` (the default) leaves the Deployment alone;
    ``onsuccess`` scales it to 0 once the rollout is healthy; ``progressively`` as the
    rollout's pods become available."""
    mode = (ctx.spec.get("workloadRef") or {}).get("scaleDown", "never")
    ctx.status["workloadObservedGeneration"] = str(workload["metadata"].get("generation", 1))
    current = as_int(workload["spec"].get("replicas"), 1)
    if mode == "progressively":
        target = max(ctx.replicas - as_int(ctx.status.get("availableReplicas")), 0)
    elif mode == "onsuccess" and ctx.status.get("stableRS") == ctx.pod_hash and as_int(
        ctx.status.get("availableReplicas")
    ) >= ctx.replicas:
        target = 0
    else:
        return
    if target < current:
        want = copy.deepcopy(workload)
        want["spec"]["replicas"] = target
        ctx.api.update("deployments.apps", want)


# -- ReplicaSets and revisions --
def _create_rs(ctx: ArgoContext) -> None:
    template = copy.deepcopy(ctx.template)
    template.setdefault("metadata", {}).setdefault("labels", {})[POD_HASH] = ctx.pod_hash
    selector = copy.deepcopy(ctx.spec.get("selector") or {
        "matchLabels": {k: v for k, v in template["metadata"]["labels"].items() if k != POD_HASH}
    })
    selector.setdefault("matchLabels", {})[POD_HASH] = ctx.pod_hash
    revision = max((ctx.revision(rs) for rs in ctx.rss), default=0) + 1
    first = not ctx.rss
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{ctx.name}-{ctx.pod_hash}",
            "namespace": ctx.namespace,
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {REVISION: str(revision)},
            "ownerReferences": [owner_ref(ctx.rollout)],
        },
        "spec": {
            "replicas": ctx.replicas if first else 0,
            "minReadySeconds": as_int(ctx.spec.get("minReadySeconds")),
            "selector": selector,
            "template": template,
        },
    }
    if ctx.api.create("replicasets.apps", rs) is not None:
        ctx.event("Normal", "RolloutUpdated", f"Rollout updated to revision {revision}")
        ctx.event("Normal", "NewReplicaSetCreated",
                  f"Created ReplicaSet {rs['metadata']['name']} (revision {revision})")
    elif ctx.api.get("replicasets.apps", ctx.namespace, rs["metadata"]["name"]) is not None:
        # The name belongs to another owner (e.g. the workloadRef Deployment's own
        # ReplicaSet): count the collision, which gives the next hash, as Argo does.
        ctx.status["collisionCount"] = as_int(ctx.status.get("collisionCount")) + 1
        ctx.api.update_status(RESOURCE, ctx.rollout, ctx.status)


def _bump_revision(ctx: ArgoContext) -> bool:
    """A template that matches an older ReplicaSet re-uses it with the next revision (undo)."""
    new_rs = ctx.new_rs
    top = max((ctx.revision(rs) for rs in ctx.rss if rs is not new_rs), default=0)
    if new_rs is None or ctx.revision(new_rs) > top:
        return False
    want = copy.deepcopy(new_rs)
    want["metadata"]["annotations"][REVISION] = str(top + 1)
    ctx.api.update("replicasets.apps", want)
    ctx.event("Normal", "RolloutUpdated", f"Rollout updated to revision {top + 1}")
    return True


def steps_hash(rollout: Obj) -> str:
    steps = ((rollout["spec"].get("strategy") or {}).get("canary") or {}).get("steps")
    return safe_encode(fnv32a(json.dumps(steps or [], sort_keys=True)))


def _detect_update(ctx: ArgoContext) -> None:
    """A new pod template: reset the release state (first deploy: adopt it as stable)."""
    status = ctx.status
    if status.get("currentPodHash") == ctx.pod_hash:
        return
    steps = canary_steps(ctx.rollout)
    first = not status.get("stableRS")
    if first:
        status["stableRS"] = ctx.pod_hash
    status["currentPodHash"] = ctx.pod_hash
    ctx.unpause()
    for key in ("abort", "abortedAt", "promoteFull"):
        status.pop(key, None)
    blue_green = status.get("blueGreen") or {}
    for key in ("prePromotionAnalysisRunStatus", "postPromotionAnalysisRunStatus"):
        blue_green.pop(key, None)
    if (ctx.rollout["spec"].get("strategy") or {}).get("blueGreen") is None:
        status["canary"] = {}
        status["currentStepHash"] = steps_hash(ctx.rollout)
        if steps:
            skip = first or status.get("stableRS") == ctx.pod_hash
            status["currentStepIndex"] = len(steps) if skip else 0
    status["conditions"] = remove_condition(status.get("conditions"), "InvalidSpec")


def canary_steps(rollout: Obj) -> list[Obj]:
    canary = (rollout["spec"].get("strategy") or {}).get("canary") or {}
    return [s if isinstance(s, dict) else {} for s in canary.get("steps") or []]


# -- restart --
def _restart(ctx: ArgoContext) -> None:
    """``spec.restartAt``: replace pods created before it, one at a time, then record
    ``status.restartedAt``."""
    restart_at = ctx.spec.get("restartAt")
    when = parse_time(restart_at)
    if not when or when > ctx.now or ctx.status.get("restartedAt") == restart_at:
        return
    pods = [p for rs in ctx.rss for p in ctx.api.owned("pods", rs)]
    stale = sorted(
        (p for p in pods if (parse_time(p["metadata"].get("creationTimestamp")) or when) < when),
        key=lambda p: p["metadata"].get("creationTimestamp", ""),
    )
    if not stale:
        ctx.status["restartedAt"] = restart_at
        ctx.event("Normal", "RolloutRestarted", "Rollout restarted")
        return
    wanted = sum(ctx.desired(rs) for rs in ctx.rss)
    if all(is_available(ctx.api, p) for p in pods) and len(pods) >= wanted:
        pod = stale[0]
        ctx.api.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        ctx.event("Normal", "RolloutRestarting", f"Restarted pod {pod['metadata']['name']}")


def weight_replicas(weight: float, replicas: int) -> int:
    return min(replicas, math.ceil(weight * replicas / 100 - 1e-9)) if weight > 0 else 0
