"""The anywidget widgets. Each widget lives in its own module with its own front-end bundle.

``RolloutList`` is in ``list.py``; ``RolloutDetail`` (``detail.py``) and ``RolloutsDashboard``
(``dashboard.py``) load lazily and fail clearly until their modules exist.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from rollouts_widgets.widgets.list import RolloutList

_LAZY = {
    "RolloutDetail": "rollouts_widgets.widgets.detail",
    "RolloutsDashboard": "rollouts_widgets.widgets.dashboard",
}

__all__ = ["RolloutList", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'rollouts_widgets.widgets' has no attribute {name!r}")
    try:
        module = import_module(_LAZY[name])
    except ModuleNotFoundError as err:
        if err.name != _LAZY[name]:
            raise
        raise AttributeError(f"{name} is not available yet ({_LAZY[name]} is missing)") from err
    value = getattr(module, name)
    globals()[name] = value
    return value
