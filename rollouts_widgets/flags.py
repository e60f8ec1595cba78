"""Feature flags from the environment; constructor arguments override them.

Watch, analysis and rollback are on unless their variable is the string ``false``;
read-only is off unless its variable is ``true``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

WATCH_ENV = "ROLLOUTS_WIDGETS_WATCH_ENABLED"
ANALYSIS_ENV = "ROLLOUTS_WIDGETS_ANALYSIS_ENABLED"
ROLLBACK_ENV = "ROLLOUTS_WIDGETS_ROLLBACK_ENABLED"
READ_ONLY_ENV = "ROLLOUTS_WIDGETS_READ_ONLY"


def _env_on_unless_false(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() != "false"


def _env_off_unless_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() == "true"


@dataclass(frozen=True)
class Flags:
    watch: bool = True
    analysis: bool = True
    rollback: bool = True
    read_only: bool = False

    @classmethod
    def from_env(
        cls,
        *,
        watch: bool | None = None,
        analysis: bool | None = None,
        rollback: bool | None = None,
        read_only: bool | None = None,
    ) -> Flags:
        """Flags from the environment, with any argument that is not None taking precedence."""
        return cls(
            watch=_env_on_unless_false(WATCH_ENV) if watch is None else watch,
            analysis=_env_on_unless_false(ANALYSIS_ENV) if analysis is None else analysis,
            rollback=_env_on_unless_false(ROLLBACK_ENV) if rollback is None else rollback,
            read_only=_env_off_unless_true(READ_ONLY_ENV) if read_only is None else read_only,
        )
