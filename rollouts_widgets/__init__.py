"""rollouts-widgets: live OpenKruise and Argo Rollouts dashboards for Jupyter and Voila."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Public names, resolved lazily so that `import rollouts_widgets` stays cheap and a user who
# only wants the model or the sandbox does not import the widget stack.
_LAZY = {
    "model": ("rollouts_widgets.model", None),
    "errors": ("rollouts_widgets.errors", None),
    "RolloutsError": ("rollouts_widgets.errors", "RolloutsError"),
    "Flags": ("rollouts_widgets.flags", "Flags"),
    "RolloutView": ("rollouts_widgets.model.view", "RolloutView"),
    "StepView": ("rollouts_widgets.model.view", "StepView"),
    "rollouts_frame": ("rollouts_widgets.frames", "rollouts_frame"),
    "steps_frame": ("rollouts_widgets.frames", "steps_frame"),
    "revisions_frame": ("rollouts_widgets.frames", "revisions_frame"),
    "pods_frame": ("rollouts_widgets.frames", "pods_frame"),
    "analysis_frame": ("rollouts_widgets.frames", "analysis_frame"),
    "events_frame": ("rollouts_widgets.frames", "events_frame"),
    "timeline_frame": ("rollouts_widgets.frames", "timeline_frame"),
    "plot_timeline": ("rollouts_widgets.frames", "plot_timeline"),
    "actions_frame": ("rollouts_widgets.frames", "actions_frame"),
    "RolloutRollbackResponse": ("rollouts_widgets.actions", "RolloutRollbackResponse"),
    "RolloutAnalysisSummary": ("rollouts_widgets.model.analysis", "RolloutAnalysisSummary"),
    "RolloutAnalysisRun": ("rollouts_widgets.model.analysis", "RolloutAnalysisRun"),
    "RolloutWatchEvent": ("rollouts_widgets.model.events", "RolloutWatchEvent"),
    "Sandbox": ("rollouts_widgets.sandbox", "Sandbox"),
    "connect": ("rollouts_widgets.cluster", "connect"),
    "Cluster": ("rollouts_widgets.cluster", "Cluster"),
    "Fleet": ("rollouts_widgets.cluster", "Fleet"),
    "RolloutList": ("rollouts_widgets.widgets", "RolloutList"),
    "RolloutDetail": ("rollouts_widgets.widgets", "RolloutDetail"),
    "RolloutsDashboard": ("rollouts_widgets.widgets", "RolloutsDashboard"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'rollouts_widgets' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
