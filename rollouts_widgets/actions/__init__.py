"""Validated write operations with each provider's exact patches (see reference/*.md).

- ``plan``: pure - which actions apply (``availability``) and the exact writes (``plan``).
- ``images``, ``set_image``, ``rollback``: input validation and the template-changing plans.
- ``cluster_actions.ClusterActions``: the mixin that gives ``Cluster`` its action methods.
"""

from __future__ import annotations

from rollouts_widgets.actions.audit import ActionRecord
from rollouts_widgets.actions.cluster_actions import ActionResult, ClusterActions
from rollouts_widgets.actions.plan import ACTIONS, Write
from rollouts_widgets.actions.rollback import RolloutRollbackResponse

__all__ = [
    "ACTIONS",
    "ActionRecord",
    "ActionResult",
    "ClusterActions",
    "RolloutRollbackResponse",
    "Write",
]
