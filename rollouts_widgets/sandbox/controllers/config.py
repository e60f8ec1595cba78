"""What a scenario may tune in the simulated cluster: failing images, readiness delay, and the
measurement series that AnalysisRuns produce."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
FAILURE_MODES = (IMAGE_PULL_BACK_OFF, CRASH_LOOP_BACK_OFF)
OUTCOMES = ("successful", "failed", "inconclusive", "error")


@dataclass(frozen=True)
class Measurement:
    outcome: str  # one of OUTCOMES
    value: str


@dataclass(frozen=True)
class ControllerConfig:
    """``bad_images``: image tag (or full image) -> ImagePullBackOff | CrashLoopBackOff.
    ``readiness_delay``: seconds from pod creation to Ready.
    ``analysis``: ``<owner>/<metric>`` (owner: the rollout or experiment running the analysis)
    or a metric name -> a series of outcomes
    (``"failed"`` or ``{"outcome": "failed", "value": "0.42"}``); the last entry repeats.
    Unlisted metrics measure ``successful``."""

    bad_images: Mapping[str, str] = field(default_factory=dict)
    readiness_delay: float = 2.0
    analysis: Mapping[str, tuple[Measurement, ...]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ControllerConfig:
        data = dict(data or {})
        bad = data.get("bad_images") or {}
        if not isinstance(bad, Mapping):  # a plain list of tags: pulls fail
            bad = dict.fromkeys(bad, IMAGE_PULL_BACK_OFF)
        for tag, mode in bad.items():
            if mode not in FAILURE_MODES:
                raise RolloutsError(
                    errors.INVALID_INPUT, f"bad image {tag!r}: mode must be one of {FAILURE_MODES}"
                )
        delay = float(data.get("readiness_delay", 2.0))
        if delay < 0:
            raise RolloutsError(errors.INVALID_INPUT, "readiness_delay must be >= 0")
        series = {
            key: tuple(_measurement(key, item) for item in items)
            for key, items in (data.get("analysis") or {}).items()
        }
        return cls(bad_images=dict(bad), readiness_delay=delay, analysis=series)

    def failure_mode(self, image: str, tag: str) -> str | None:
        return self.bad_images.get(image) or self.bad_images.get(tag)

    def measurement(self, owner: str, metric: str, index: int) -> Measurement:
        """The ``index``-th (0-based) measurement of a metric of an AnalysisRun whose
        controller (a Rollout or an Experiment) is named ``owner``."""
        series = self.analysis.get(f"{owner}/{metric}") or self.analysis.get(metric)
        if not series:
            return Measurement("successful", "1")
        return series[min(index, len(series) - 1)]


_DEFAULT_VALUES = {"successful": "1", "failed": "0", "inconclusive": "0.5", "error": ""}


def _measurement(key: str, item: Any) -> Measurement:
    if isinstance(item, str):
        item = {"outcome": item}
    outcome = str(item.get("outcome", "")) if isinstance(item, Mapping) else ""
    if outcome not in OUTCOMES:
        raise RolloutsError(
            errors.INVALID_INPUT, f"analysis series {key!r}: outcome must be one of {OUTCOMES}"
        )
    return Measurement(outcome, str(item.get("value", _DEFAULT_VALUES[outcome])))
