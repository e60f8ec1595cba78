"""Analysis results, provider-neutral (Argo AnalysisRuns, or a user-supplied source)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True)
class RolloutAnalysisSummary:
    source: str  # "argo" | "not_configured" | a user source's name
    status: str  # e.g. Successful | Failed | Running | Inconclusive | not_configured | none
    summary: str
    runs: tuple[RolloutAnalysisRun, ...] = ()
    code: str | None = None  # e.g. ANALYSIS_SOURCE_NOT_CONFIGURED
