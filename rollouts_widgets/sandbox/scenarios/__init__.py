"""Sandbox scenarios: ``demo``, ``empty`` and ``scale:N``.

``load_scenario(name)`` returns a ``Scenario``: ``objects`` (plain dicts, created in order by
the sandbox), ``config`` (for the controllers: failing image tags, readiness delay, analysis
measurement series - see ``controllers.config.ControllerConfig``) and ``tick(storage, clock)``,
which the controller manager calls whenever the cluster has settled, so a scenario can start
new releases as sandbox time passes (it returns True when it changed something).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

Tick = Callable[[Any, Any], bool]


@dataclass
class Scenario:
    name: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    life: Tick | None = None

    def tick(self, storage: Any, clock: Any) -> bool:
        return bool(self.life(storage, clock)) if self.life is not None else False


SCENARIOS = ("demo", "empty", "scale:N")


def load_scenario(name: str) -> Scenario:
    """``"demo"``, ``"empty"`` or ``"scale:<N>"``; INVALID_INPUT for anything else."""
    if name == "empty":
        return Scenario("empty")
    if name == "demo":
        from rollouts_widgets.sandbox.scenarios import demo

        return Scenario("demo", demo.objects(), dict(demo.CONFIG), demo.DemoLife().tick)
    if isinstance(name, str) and name.startswith("scale:"):
        from rollouts_widgets.sandbox.scenarios import scale

        count = scale.parse_count(name.partition(":")[2])
        return Scenario(name, scale.objects(count), {"readiness_delay": 1},
                        scale.SteadyReleases(count).tick)
    raise RolloutsError(errors.INVALID_INPUT,
                        f"unknown scenario {name!r}: use one of {', '.join(SCENARIOS)}")


__all__ = ["SCENARIOS", "Scenario", "load_scenario"]
