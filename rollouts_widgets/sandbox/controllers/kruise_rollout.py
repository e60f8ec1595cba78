"""OpenKruise Rollout controller (rollouts.kruise.io/v1beta1, the storage version).

Follows reference/kruise.md. One state transition per rollout per round (each one is a status
write, so a watcher sees every state):

  Healthy -> Progressing (Initializing) -> per step BeforeStepUpgrade -> StepUpgrade ->
  StepTrafficRouting -> StepMetricsAnalysis -> StepPaused -> StepReady -> next step ... ->
  Completed, then the finalising steps -> Healthy (Succeeded=True).

Users steer it through the status subresource (``currentStepState: StepReady`` approves a
paused step, ``nextStepIndex`` jumps) and the spec (``strategy.paused``, ``disabled``); a
workload template reverted to the stable revision cancels the release (Succeeded=False).
"""

from __future__ import annotations

import copy
import json

from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    add_seconds,
    as_int,
    fmt_time,
    fnv32a,
    get_condition,
    guarded,
    parse_duration,
    remove_condition,
    safe_encode,
    scaled_value,
    set_condition,
)
from rollouts_widgets.sandbox.controllers.kruise_workload import (
    BLUE_GREEN,
    CANARY,
    PARTITION,
    Workload,
)

RESOURCE = "rollouts.rollouts.kruise.io"

BEFORE_UPGRADE = "BeforeStepUpgrade"
UPGRADE = "StepUpgrade"
TRAFFIC = "StepTrafficRouting"
ANALYSIS = "StepMetricsAnalysis"
PAUSED = "StepPaused"
READY = "StepReady"
COMPLETED = "Completed"
NEXT_STATE = {BEFORE_UPGRADE: UPGRADE, ANALYSIS: PAUSED}  # states with nothing to wait for

FINALISE_CANARY = (
    "RestoreStableService", "FinalisingStepRouteTrafficToStable", "RemoveCanaryService",
    "ResumeWorkload", "ReleaseWorkloadControl", "END",
)
FINALISE_BLUE_GREEN = (
    "FinalisingStepRouteTrafficToNew", "RestoreStableService", "RemoveCanaryService",
    "ResumeWorkload", "ReleaseWorkloadControl", "END",
)

MSG_HEALTHY = "Rollout is healthy"
MSG_NOT_FOUND = "Workload Not Found"
MSG_PROGRESSING = "Rollout is in Progressing"
MSG_PAUSED = "Rollout has been paused, you can resume it by kube-cli"
MSG_FINALISING = "Rollout has been completed and some closing work is being done"
MSG_CANCELLING = "Rollout is in Progressing, and rollback workload to the stable version"
MSG_COMPLETED = "Rollout progressing has been completed"
MSG_CANCELLED = "Rollout progressing has been cancelled"
MSG_DISABLING = "Disabling rollout, release resources"
MSG_DISABLED = "Rollout is disabled"


def rolling_style(rollout: Obj) -> str:
    strategy = rollout["spec"].get("strategy") or {}
    if strategy.get("blueGreen"):
        return BLUE_GREEN
    return CANARY if (strategy.get("canary") or {}).get("enableExtraWorkloadForCanary") else (
        PARTITION)


def steps_of(rollout: Obj) -> list[Obj]:
    strategy = rollout["spec"].get("strategy") or {}
    plan = strategy.get("blueGreen") or strategy.get("canary") or {}
    return [s if isinstance(s, dict) else {} for s in plan.get("steps") or []]


def status_key(rollout: Obj) -> str:
    return "blueGreenStatus" if rolling_style(rollout) == BLUE_GREEN else "canaryStatus"


def step_message(index: int, total: int, state: str, step: Obj) -> str:
    where = f"Rollout is in step({index}/{total})"
    if state in (BEFORE_UPGRADE, UPGRADE):
        return f"{where}, and upgrade workload to new version"
    if state == TRAFFIC:
        return f"{where}, and doing trafficRouting"
    if state == ANALYSIS:
        return f"{where}, and doing metrics analysis"
    if state == PAUSED:
        duration = pause_duration(step)
        if duration is None:
            return f"{where}, and you need manually confirm to enter the next step"
        return f"{where}, and wait duration({int(duration)} seconds) to enter the next step"
    return f"{where}, and the step is ready"


def pause_duration(step: Obj) -> float | None:
    pause = step.get("pause")
    return parse_duration(pause.get("duration")) if isinstance(pause, dict) else None


class KruiseRolloutController:
    name = "kruise-rollouts"

    def reconcile(self, api: Api) -> None:
        for rollout in api.list(RESOURCE):
            with guarded(rollout, lambda exc, r=rollout: _unreadable(api, r, exc)):
                _Reconcile(api, rollout).run()


def _unreadable(api: Api, rollout: Obj, exc: Exception) -> None:
    """Kruise has no failed phase: say in the message why nothing moves."""
    status = copy.deepcopy(rollout.get("status") if isinstance(rollout.get("status"), dict)
                           else {})
    status["message"] = f"the sandbox controller cannot read this rollout: {exc!r}"
    status.setdefault("phase", "Initial")
    api.update_status(RESOURCE, rollout, status)


class _Reconcile:
    """One rollout, one round: read, decide one transition, write the status."""

    def __init__(self, api: Api, rollout: Obj) -> None:
        self.api = api
        self.rollout = rollout
        self.status: Obj = copy.deepcopy(rollout.get("status") or {})
        self.status["observedGeneration"] = rollout["metadata"].get("generation", 1)
        self.style = rolling_style(rollout)
        self.key = status_key(rollout)
        self.steps = steps_of(rollout)
        self.now = api.now()

    # -- helpers --
    def _cond(self, ctype: str, status: str, reason: str, message: str) -> None:
        self.status["conditions"] = set_condition(
            self.status.get("conditions") or [], ctype, status, reason, message, self.now
        )

    def _phase(self, phase: str, message: str) -> None:
        self.status["phase"] = phase
        self.status["message"] = message

    def _write(self) -> None:
        sub = self.status.get(self.key)
        other = "canaryStatus" if self.key == "blueGreenStatus" else "blueGreenStatus"
        self.status.pop(other, None)
        if isinstance(sub, dict):
            self.status["currentStepIndex"] = sub.get("currentStepIndex", 0)
            self.status["currentStepState"] = sub.get("currentStepState", "")
        else:
            self.status.pop("currentStepIndex", None)
            self.status.pop("currentStepState", None)
        self.api.update_status(RESOURCE, self.rollout, self.status)

    # -- top level --
    def run(self) -> None:
        workload = Workload.find(self.api, self.rollout)
        if workload is None:
            if self.rollout["spec"].get("disabled"):
                self._phase("Disabled", MSG_DISABLED)
            else:
                self._phase("Initial", MSG_NOT_FOUND)
            self._write()
            return
        phase = self.status.get("phase")
        if self.rollout["spec"].get("disabled"):
            self._disable(workload, phase)
        elif phase in (None, "", "Initial", "Disabled", "Disabling"):
            self._phase("Healthy", MSG_HEALTHY)
            self.status.pop(self.key, None)
        elif phase == "Healthy":
            self._healthy(workload)
        elif phase == "Progressing":
            self._progressing(workload)
        self._write()

    def _disable(self, workload: Workload, phase: str | None) -> None:
        if phase == "Progressing" or (phase == "Disabling" and workload.gated()):
            workload.remove_canary_deployment()
            workload.release()  # the workload finishes rolling out the new version itself
            self._phase("Disabling", MSG_DISABLING)
            return
        self._phase("Disabled", MSG_DISABLED)
        self.status.pop(self.key, None)

    def _healthy(self, workload: Workload) -> None:
        new, stable = workload.update_revision(), workload.stable_revision()
        if new == stable or not self.steps:
            return
        workload.gate(self.style, None)  # hold the workload before it rolls by itself
        self._start_release(workload, stable, new)
        self.status["conditions"] = remove_condition(self.status.get("conditions"), "Succeeded")
        self._cond("Progressing", "True", "Initializing", MSG_PROGRESSING)
        self._phase("Progressing", MSG_PROGRESSING)

    def _start_release(self, workload: Workload, stable: str, new: str) -> None:
        revision = "updatedRevision" if self.style == BLUE_GREEN else "canaryRevision"
        self.status[self.key] = {
            "observedWorkloadGeneration": workload.generation,
            "rolloutHash": safe_encode(fnv32a(json.dumps(
                self.rollout["spec"].get("strategy"), sort_keys=True))),
            "stableRevision": stable,
            revision: new,
            "podTemplateHash": "",
            "currentStepIndex": 1,
            "nextStepIndex": 2 if len(self.steps) > 1 else -1,
            "currentStepState": BEFORE_UPGRADE,
            "message": step_message(1, len(self.steps), BEFORE_UPGRADE, self.steps[0]),
            "lastUpdateTime": fmt_time(self.now),
        }
        self._counts(workload)

    def _counts(self, workload: Workload) -> None:
        sub = self.status[self.key]
        replicas, ready = workload.new_counts(self.style)
        prefix = "updated" if self.style == BLUE_GREEN else "canary"
        sub[f"{prefix}Replicas"] = replicas
        sub[f"{prefix}ReadyReplicas"] = ready
        sub["podTemplateHash"] = workload.pod_template_hash(self.style)
        sub["observedWorkloadGeneration"] = workload.generation

    # -- a release in progress --
    def _progressing(self, workload: Workload) -> None:
        sub = self.status.get(self.key)
        if not isinstance(sub, dict):
            self._phase("Healthy", MSG_HEALTHY)
            return
        revision = "updatedRevision" if self.style == BLUE_GREEN else "canaryRevision"
        new = workload.update_revision()
        progressing = get_condition(self.status.get("conditions"), "Progressing") or {}
        reason = progressing.get("reason")
        if reason in ("Finalising", "Cancelling"):
            self._finalise(workload, cancelled=reason == "Cancelling")
            return
        if new == sub.get("stableRevision"):  # template reverted: roll back
            self._cond("Progressing", "True", "Cancelling", MSG_CANCELLING)
            self._phase("Progressing", MSG_CANCELLING)
            sub["finalisingStep"] = ""
            return
        if new != sub.get(revision):  # another new version mid-release: start over
            workload.gate(self.style, None)
            self._start_release(workload, sub.get("stableRevision", ""), new)
            self._cond("Progressing", "True", "Initializing", MSG_PROGRESSING)
            self._phase("Progressing", MSG_PROGRESSING)
            return
        self._counts(workload)
        if self.rollout["spec"].get("strategy", {}).get("paused"):
            self._cond("Progressing", "True", "Paused", MSG_PAUSED)
            self._phase("Progressing", MSG_PAUSED)
            return
        if sub.get("currentStepState") == COMPLETED:
            self._cond("Progressing", "True", "Finalising", MSG_FINALISING)
            self._phase("Progressing", MSG_FINALISING)
            sub["finalisingStep"] = ""
            return
        self._cond("Progressing", "True", "InRolling", MSG_PROGRESSING)
        self._phase("Progressing", sub.get("message") or MSG_PROGRESSING)
        self._step(workload, sub)

    def _enter(self, sub: Obj, index: int, state: str) -> None:
        sub["currentStepIndex"] = index
        sub["currentStepState"] = state
        sub["nextStepIndex"] = index + 1 if index < len(self.steps) else -1
        sub["lastUpdateTime"] = fmt_time(self.now)
        step = self.steps[index - 1] if 0 < index <= len(self.steps) else {}
        sub["message"] = (
            step_message(index, len(self.steps), state, step) if state != COMPLETED
            else MSG_FINALISING
        )
        self._phase("Progressing", sub["message"])

    def _step(self, workload: Workload, sub: Obj) -> None:
        total = len(self.steps)
        index = min(max(as_int(sub.get("currentStepIndex"), 1), 1), total)
        state = sub.get("currentStepState") or BEFORE_UPGRADE
        jump = as_int(sub.get("nextStepIndex"), -1)
        expected = index + 1 if index < total else -1
        if jump != expected and 1 <= jump <= total:
            self._enter(sub, jump, BEFORE_UPGRADE)  # a user jump (or retry) via nextStepIndex
            return
        step = self.steps[index - 1]
        if state in NEXT_STATE:
            self._enter(sub, index, NEXT_STATE[state])
        elif state == UPGRADE:
            workload.gate(self.style, step.get("replicas", "100%"))
            want = min(scaled_value(step.get("replicas", "100%"), workload.replicas),
                       workload.replicas)
            _replicas, ready = workload.new_counts(self.style)
            if ready >= want:
                self._enter(sub, index, TRAFFIC)
        elif state == TRAFFIC:
            routes = (self.rollout["spec"]["strategy"].get("canary")
                      or self.rollout["spec"]["strategy"].get("blueGreen") or {}).get(
                "trafficRoutings") or []
            grace = max((as_int(r.get("gracePeriodSeconds")) for r in routes), default=0)
            due = add_seconds(sub.get("lastUpdateTime"), grace)
            if due is None or self.now >= due:
                self._enter(sub, index, ANALYSIS)
        elif state == PAUSED:
            duration = pause_duration(step)
            last_full = index == total and str(step.get("replicas", "100%")) in ("100%", "100")
            due = add_seconds(sub.get("lastUpdateTime"), duration or 0)
            if (duration is None and last_full) or (
                duration is not None and due is not None and self.now >= due
            ):
                self._enter(sub, index, READY)
        elif state == READY:
            if index < total:
                self._enter(sub, index + 1, BEFORE_UPGRADE)
            else:
                self._enter(sub, index, COMPLETED)
        else:  # an unknown state written by a client: restart the step
            self._enter(sub, index, BEFORE_UPGRADE)

    # -- finalising / cancelling --
    def _finalise(self, workload: Workload, cancelled: bool) -> None:
        sub = self.status[self.key]
        order = FINALISE_BLUE_GREEN if self.style == BLUE_GREEN else FINALISE_CANARY
        current = sub.get("finalisingStep") or ""
        message = MSG_CANCELLING if cancelled else MSG_FINALISING
        if current not in order:
            sub["finalisingStep"] = order[0]
            self._phase("Progressing", message)
            return
        if current == "ResumeWorkload":
            workload.release()
            if not workload.rolled_out():
                self._phase("Progressing", message)
                return
        if current == "ReleaseWorkloadControl":
            workload.remove_canary_deployment()
        if current != "END":
            sub["finalisingStep"] = order[order.index(current) + 1]
            self._phase("Progressing", message)
            return
        self._counts(workload)
        sub["currentStepState"] = COMPLETED
        sub["message"] = MSG_CANCELLED if cancelled else MSG_COMPLETED
        sub["lastUpdateTime"] = fmt_time(self.now)
        if not cancelled:
            sub["stableRevision"] = workload.update_revision()
        self._cond("Progressing", "False", "Completed",
                   MSG_CANCELLED if cancelled else MSG_COMPLETED)
        self._cond("Succeeded", "False" if cancelled else "True", "", "")
        self._phase("Healthy", MSG_CANCELLED if cancelled else MSG_COMPLETED)
