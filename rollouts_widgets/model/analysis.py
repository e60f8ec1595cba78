"""Analysis results, provider-neutral (Argo AnalysisRuns, or a user-supplied source)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rollouts_widgets.errors import ANALYSIS_SOURCE_NOT_CONFIGURED
from rollouts_widgets.model import parse


@dataclass(frozen=True)
class Measurement:
    phase: str  # Successful | Failed | Inconclusive | Error | Running
    value: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class MetricResult:
    name: str
    phase: str
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    count: int = 0
    measurements: tuple[Measurement, ...] = ()
    success_condition: str = ""
    failure_condition: str = ""
    failure_limit: int | None = None
    inconclusive_limit: int | None = None
    message: str = ""
    interval: str = ""  # between measurements, e.g. "5m"
    count_limit: int | None = None  # measurements to take (spec count)
    consecutive_error_limit: int | None = None
    provider: str = ""  # prometheus | job | web | datadog | ...


@dataclass(frozen=True)
class RolloutAnalysisRun:
    name: str
    namespace: str
    phase: str
    message: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    metrics: tuple[MetricResult, ...] = ()
    kind: str = ""  # step | background | prePromotion | postPromotion | experiment
    revision: str = ""
    step_index: int | None = None  # 1-based, for step analysis
    duration_seconds: float | None = None  # run time, once finished


@dataclass(frozen=True)
class RolloutAnalysisSummary:
    source: str  # "argo" | "not_configured" | a user source's name
    status: str  # e.g. Successful | Failed | Running | Inconclusive | not_configured | none
    summary: str
    runs: tuple[RolloutAnalysisRun, ...] = ()
    code: str | None = None  # e.g. ANALYSIS_SOURCE_NOT_CONFIGURED


# --- building summaries from raw Argo AnalysisRuns (pure) -----------------------------------

NOT_CONFIGURED = "not_configured"
_RUN_KINDS = {
    "Step": "step",
    "Background": "background",
    "PrePromotion": "prePromotion",
    "PostPromotion": "postPromotion",
}
_TERMINAL = ("Successful", "Failed", "Error", "Inconclusive")


def not_configured(provider: str = "kruise") -> RolloutAnalysisSummary:
    """The placeholder for rollouts without an analysis source (Kruise has no analysis)."""
    return RolloutAnalysisSummary(
        source=NOT_CONFIGURED,
        status=NOT_CONFIGURED,
        summary=(
            f"No analysis source is configured for this {provider} rollout; plug one in with "
            "cluster.set_analysis_source(...)"
        ),
        runs=(),
        code=ANALYSIS_SOURCE_NOT_CONFIGURED,
    )


def _owned_by(obj: dict[str, Any], kind: str, name: str, uid: str) -> bool:
    for ref in parse.items(obj, "metadata", "ownerReferences"):
        if parse.text(ref, "kind") == kind and parse.text(ref, "name") == name:
            ref_uid = parse.text(ref, "uid")
            if not uid or not ref_uid or ref_uid == uid:
                return True
    return False


def _measurement(raw: dict[str, Any]) -> Measurement:
    value = parse.get(raw, "value")
    return Measurement(
        phase=parse.text(raw, "phase"),
        value=None if value is None else parse.bound(str(value), parse.MAX_SHORT),
        started_at=parse.timestamp(parse.get(raw, "startedAt")),
        finished_at=parse.timestamp(parse.get(raw, "finishedAt")),
        message=parse.text(raw, "message", limit=parse.MAX_TEXT),
    )


def _limit(spec: dict[str, Any], key: str) -> int | None:
    value = parse.get(spec, key)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return parse.integer(spec, key)


def _metric(result: dict[str, Any], spec: dict[str, Any]) -> MetricResult:
    provider = parse.mapping(spec, "provider")
    return MetricResult(
        name=parse.text(result, "name"),
        phase=parse.text(result, "phase"),
        successful=parse.integer(result, "successful") or 0,
        failed=parse.integer(result, "failed") or 0,
        inconclusive=parse.integer(result, "inconclusive") or 0,
        error=parse.integer(result, "error") or 0,
        count=parse.integer(result, "count") or 0,
        measurements=tuple(_measurement(m) for m in parse.items(result, "measurements")),
        success_condition=parse.text(spec, "successCondition", limit=parse.MAX_TEXT),
        failure_condition=parse.text(spec, "failureCondition", limit=parse.MAX_TEXT),
        failure_limit=_limit(spec, "failureLimit"),
        inconclusive_limit=_limit(spec, "inconclusiveLimit"),
        message=parse.text(result, "message", limit=parse.MAX_TEXT),
        interval=parse.text(spec, "interval"),
        count_limit=_limit(spec, "count"),
        consecutive_error_limit=_limit(spec, "consecutiveErrorLimit"),
        provider=next(iter(sorted(provider)), ""),
    )


def analysis_run(raw: dict[str, Any], kind: str = "") -> RolloutAnalysisRun:
    """One raw Argo AnalysisRun -> RolloutAnalysisRun (metric results in spec order)."""
    specs = {parse.text(m, "name"): m for m in parse.items(raw, "spec", "metrics")}
    results = parse.items(raw, "status", "metricResults")
    metrics = tuple(_metric(r, specs.get(parse.text(r, "name"), {})) for r in results)
    reported = {m.name for m in metrics}
    # Metrics that have not measured yet still show, with their conditions and limits.
    pending = tuple(
        _metric({"name": name, "phase": "Pending"}, spec)
        for name, spec in specs.items()
        if name not in reported
    )
    phase = parse.text(raw, "status", "phase") or "Pending"
    started = parse.timestamp(parse.get(raw, "status", "startedAt")) or parse.timestamp(
        parse.get(raw, "metadata", "creationTimestamp")
    )
    finished = parse.timestamp(parse.get(raw, "status", "completedAt"))
    if finished is None and phase in _TERMINAL:
        finished = parse.latest([m.finished_at for metric in metrics for m in metric.measurements])
    labels = parse.mapping(raw, "metadata", "labels")
    step = parse.text(labels, "step-index")
    return RolloutAnalysisRun(
        name=parse.text(raw, "metadata", "name"),
        namespace=parse.text(raw, "metadata", "namespace"),
        phase=phase,
        message=parse.text(raw, "status", "message", limit=parse.MAX_TEXT),
        started_at=started,
        finished_at=finished,
        metrics=metrics + pending,
        kind=kind or _RUN_KINDS.get(parse.text(labels, "rollout-type"), ""),
        revision=parse.text(raw, "metadata", "annotations", "rollout.argoproj.io/revision"),
        step_index=int(step) + 1 if step.isdigit() else None,
        duration_seconds=(finished - started).total_seconds() if started and finished else None,
    )


def argo_analysis(rollout: dict[str, Any], related: Iterable[Any]) -> RolloutAnalysisSummary:
    """The AnalysisRuns owned by an Argo rollout (directly, or through its Experiments),
    newest first, with the latest run's phase as the status."""
    name = parse.text(rollout, "metadata", "name")
    uid = parse.text(rollout, "metadata", "uid")
    namespace = parse.text(rollout, "metadata", "namespace")
    objs = [o for o in related if isinstance(o, dict) and parse.same_namespace(o, namespace)]
    experiments = {
        parse.text(e, "metadata", "name"): parse.text(e, "metadata", "uid")
        for e in objs
        if e.get("kind") == "Experiment" and _owned_by(e, "Rollout", name, uid)
    }
    runs = []
    for obj in objs:
        if obj.get("kind") != "AnalysisRun":
            continue
        if _owned_by(obj, "Rollout", name, uid):
            runs.append(analysis_run(obj))
        elif any(_owned_by(obj, "Experiment", e, e_uid) for e, e_uid in experiments.items()):
            runs.append(analysis_run(obj, kind="experiment"))
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    runs.sort(key=lambda r: (r.started_at or epoch, r.name), reverse=True)
    if not runs:
        return RolloutAnalysisSummary("argo", "none", "No analysis runs for this rollout")
    phases = Counter(r.phase for r in runs)
    counts = ", ".join(f"{n} {p}" for p, n in sorted(phases.items()))
    latest = runs[0]
    return RolloutAnalysisSummary(
        source="argo",
        status=latest.phase,
        summary=f"{len(runs)} analysis run(s) ({counts}); latest {latest.name}: {latest.phase}",
        runs=tuple(runs),
    )
