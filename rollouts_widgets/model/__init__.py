"""Pure functions from raw Kubernetes objects to the unified views (no I/O here)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.view import STATUSES, RolloutView, StepView

# Provider logic and the filter grammar load on first use.
_LAZY = {
    "rollout_view": "rollouts_widgets.model.rollout",
    "matches": "rollouts_widgets.model.filters",
    "filter_views": "rollouts_widgets.model.filters",
}

__all__ = ["STATUSES", "RolloutView", "RolloutWatchEvent", "StepView", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'rollouts_widgets.model' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
