"""Argo AnalysisRuns: built from (Cluster)AnalysisTemplates, measured over time.

Each metric takes a measurement at ``initialDelay`` and then every ``interval``, ``count``
times (once without an interval; until terminated with an interval and no count). Outcomes
come from the scenario's analysis series (``ControllerConfig.measurement``), keyed by
``<owner>/<metric>`` or ``<metric>``. ``failureLimit``, ``inconclusiveLimit`` and
``consecutiveErrorLimit`` decide a metric's phase as Argo does; the first failed metric fails
the run, and a rollout or experiment reacts to the run's phase.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from rollouts_widgets.sandbox.controllers.config import ControllerConfig
from rollouts_widgets.sandbox.controllers.helpers import (
    Api,
    Obj,
    add_seconds,
    as_int,
    controller_of,
    fmt_time,
    guarded,
    owner_ref,
    parse_duration,
)

RESOURCE = "analysisruns.argoproj.io"
TERMINAL = ("Successful", "Failed", "Error", "Inconclusive")
_PHASE = {"successful": "Successful", "failed": "Failed", "inconclusive": "Inconclusive",
          "error": "Error"}
_RANK = {"Successful": 0, "Running": 1, "Pending": 1, "Inconclusive": 2, "Error": 3, "Failed": 3}
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4


def build_analysis_run(
    api: Api, owner: Obj, name: str, refs: Iterable[Obj], args: list[Obj] | None,
    labels: dict[str, str], annotations: dict[str, str] | None = None,
) -> tuple[Obj | None, str]:
    """An AnalysisRun merging the metrics of the referenced templates, or (None, why not)."""
    namespace = owner["metadata"].get("namespace")
    metrics: list[Obj] = []
    template_args: list[Obj] = []
    for ref in refs:
        template_name = ref.get("templateName", "")
        if ref.get("clusterScope"):
            kind, template = "ClusterAnalysisTemplate", api.get(
                "clusteranalysistemplates.argoproj.io", None, template_name)
        else:
            kind, template = "AnalysisTemplate", api.get(
                "analysistemplates.argoproj.io", namespace, template_name)
        if template is None:
            return None, f'{kind} "{template_name}" not found'
        metrics.extend(copy.deepcopy((template.get("spec") or {}).get("metrics") or []))
        template_args.extend(copy.deepcopy((template.get("spec") or {}).get("args") or []))
    given = {a.get("name"): a for a in args or []}
    merged = [given.get(a.get("name"), a) for a in template_args]
    spec: Obj = {"metrics": metrics}
    if merged:
        spec["args"] = merged
    meta: Obj = {"name": name, "namespace": namespace, "labels": labels,
                 "ownerReferences": [owner_ref(owner)]}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun", "metadata": meta,
            "spec": spec}, ""


def run_phase(run: Obj | None) -> str:
    return ((run or {}).get("status") or {}).get("phase", "") or "Pending"


class AnalysisRunController:
    name = "analysisruns"

    def __init__(self, config: ControllerConfig) -> None:
        self.config = config

    def reconcile(self, api: Api) -> None:
        for run in api.list(RESOURCE):
            with guarded(run):
                status = run.get("status") or {}
                if status.get("phase") not in TERMINAL:
                    api.update_status(RESOURCE, run, self._assess(api, run,
                                                                  copy.deepcopy(status)))

    def _assess(self, api: Api, run: Obj, status: Obj) -> Obj:
        now = api.now()
        if not status.get("startedAt"):
            return {"phase": "Running", "startedAt": fmt_time(now), "metricResults": [],
                    "runSummary": _summary([])}
        owner = (controller_of(run) or {}).get("name", "")
        results = {r["name"]: r for r in status.get("metricResults") or []}
        terminate = bool(run["spec"].get("terminate"))
        for metric in run["spec"].get("metrics") or []:
            name = metric.get("name", "")
            result = results.setdefault(name, _new_result(name))
            if result["phase"] in TERMINAL:
                continue
            if terminate:
                result["phase"] = "Successful"
                result["message"] = "Metric Terminated"
                continue
            self._measure(api, metric, result, owner, status["startedAt"])
        ordered = [results[m.get("name", "")] for m in run["spec"].get("metrics") or []]
        status["metricResults"] = ordered
        status["runSummary"] = _summary(ordered)
        phase, message = _run_phase(ordered, terminate)
        if phase in TERMINAL:
            status.update(phase=phase, completedAt=fmt_time(now))
            if message:
                status["message"] = message
        return status

    def _measure(self, api: Api, metric: Obj, result: Obj, owner: str, started: str) -> None:
        interval = parse_duration(metric.get("interval"))
        count = as_int(metric.get("count"), 0 if interval else 1)
        taken = result["measurements"]
        if count and len(taken) >= count:
            return
        if taken:
            due = add_seconds(taken[-1]["finishedAt"], interval or 0)
        else:
            due = add_seconds(started, parse_duration(metric.get("initialDelay")) or 0)
        if due is None or api.now() < due:
            return
        sample = self.config.measurement(owner, result["name"], len(taken))
        phase = _PHASE[sample.outcome]
        stamp = fmt_time(api.now())
        measurement: Obj = {"phase": phase, "value": sample.value, "startedAt": stamp,
                            "finishedAt": stamp}
        if phase == "Error":
            measurement["message"] = "sandbox: metric provider returned an error"
        taken.append(measurement)
        key = sample.outcome
        result[key] = result.get(key, 0) + 1
        result["count"] = len(taken)
        result["consecutiveError"] = result.get("consecutiveError", 0) + 1 if key == "error" else 0
        result["phase"], message = _metric_phase(metric, result, count)
        if message:
            result["message"] = message


def _new_result(name: str) -> Obj:
    return {"name": name, "phase": "Running", "measurements": [], "count": 0, "successful": 0,
            "failed": 0, "inconclusive": 0, "error": 0, "consecutiveError": 0}


def _metric_phase(metric: Obj, result: Obj, count: int) -> tuple[str, str]:
    failure_limit = as_int(metric.get("failureLimit"), 0)
    inconclusive_limit = as_int(metric.get("inconclusiveLimit"), 0)
    error_limit = as_int(metric.get("consecutiveErrorLimit"), DEFAULT_CONSECUTIVE_ERROR_LIMIT)
    name = result["name"]
    if result["failed"] > failure_limit:
        return "Failed", (f'Metric "{name}" assessed Failed due to failed ({result["failed"]}) '
                          f"> failureLimit ({failure_limit})")
    if result["inconclusive"] > inconclusive_limit:
        return "Inconclusive", (
            f'Metric "{name}" assessed Inconclusive due to inconclusive '
            f'({result["inconclusive"]}) > inconclusiveLimit ({inconclusive_limit})')
    if result["consecutiveError"] > error_limit:
        return "Error", (f'Metric "{name}" assessed Error due to consecutiveErrors '
                         f'({result["consecutiveError"]}) > consecutiveErrorLimit ({error_limit})')
    if count and result["count"] >= count:
        return "Successful", ""
    return "Running", ""


def _run_phase(results: list[Obj], terminate: bool) -> tuple[str, str]:
    worst = max((r["phase"] for r in results), key=lambda p: _RANK.get(p, 1), default="Running")
    for r in results:  # the first failed or errored metric ends the run
        if r["phase"] in ("Failed", "Error"):
            return r["phase"], r.get("message", "")
    if all(r["phase"] in TERMINAL for r in results):
        if terminate:
            return "Successful", "Run Terminated"
        inconclusive = next((r for r in results if r["phase"] == "Inconclusive"), None)
        return worst, (inconclusive or {}).get("message", "")
    return "Running", ""


def _summary(results: list[Obj]) -> Obj:
    summary = {"count": len(results)}
    for phase in ("Successful", "Failed", "Inconclusive", "Error"):
        n = sum(1 for r in results if r["phase"] == phase)
        if n:
            summary[phase.lower()] = n
    return summary
