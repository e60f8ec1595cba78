"""Simulated controllers (workloads, OpenKruise Rollouts, Argo Rollouts) for the sandbox.

``ControllerManager`` runs every controller in rounds. A round lets each controller look at
the store once and write what it must; rounds repeat until one writes nothing. The rollout
controllers run before the workload controllers in each round, so a rollout gates a changed
workload (as Kruise's admission webhook does) before the Deployment controller rolls it.

With a manual clock, controllers run only when time is advanced (after each step of
``ManualClock.advance``, i.e. inside ``Sandbox.advance``) or ``run_until_quiet`` is called;
with a real or scaled clock, ``start()`` runs them in a daemon thread on every store change
and on a short tick.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from rollouts_widgets.sandbox.controllers.analysis import AnalysisRunController
from rollouts_widgets.sandbox.controllers.argo_rollout import ArgoRolloutController
from rollouts_widgets.sandbox.controllers.cloneset import CloneSetController
from rollouts_widgets.sandbox.controllers.config import ControllerConfig
from rollouts_widgets.sandbox.controllers.deployment import DeploymentController
from rollouts_widgets.sandbox.controllers.experiment import ExperimentController
from rollouts_widgets.sandbox.controllers.helpers import Api
from rollouts_widgets.sandbox.controllers.kruise_rollout import KruiseRolloutController
from rollouts_widgets.sandbox.controllers.pods import PodController
from rollouts_widgets.sandbox.controllers.replicaset import ReplicaSetController
from rollouts_widgets.sandbox.controllers.statefulset import StatefulSetController

__all__ = ["ControllerConfig", "ControllerManager"]

log = logging.getLogger(__name__)
TICK_SECONDS = 0.2  # real time between background rounds


class ControllerManager:
    """All sandbox controllers over one store and one clock."""

    def __init__(self, storage: Any, clock: Any, scenario: Any = None) -> None:
        self.storage = storage
        self.clock = clock
        self.scenario = scenario
        self.config = ControllerConfig.from_dict(getattr(scenario, "config", None))
        self.api = Api(storage, clock)
        self.controllers = [
            KruiseRolloutController(),
            ArgoRolloutController(),
            ExperimentController(),
            AnalysisRunController(self.config),
            DeploymentController(),
            CloneSetController(),
            StatefulSetController(),
            ReplicaSetController(),
            PodController(self.config),
        ]
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # A manual clock lets the controllers settle after every step of an advance.
        add_step_listener = getattr(clock, "add_step_listener", None)
        if add_step_listener is not None:
            add_step_listener(self.run_until_quiet)

    def reconcile_round(self) -> int:
        """Run every controller once; the number of writes made."""
        with self._lock:
            before = self.api.writes
            self.api.begin_round()
            for controller in self.controllers:
                controller.reconcile(self.api)
            return self.api.writes - before

    def run_until_quiet(self, max_rounds: int = 200) -> int:
        """Reconcile until a round writes nothing, then let the scenario act (its ``tick``)
        and settle again if it changed something. Returns the rounds run (``max_rounds`` at
        most, for a cluster that never settles)."""
        with self._lock:
            rounds = 0
            while rounds < max_rounds:
                while rounds < max_rounds:
                    rounds += 1
                    if not self.reconcile_round():
                        break
                tick = getattr(self.scenario, "tick", None)
                if tick is None or not tick(self.storage, self.clock):
                    break
            return rounds

    # -- background mode (real and scaled clocks) --
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self.storage.add_listener(self._on_change)
        self._thread = threading.Thread(
            target=self._loop, name="sandbox-controllers", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        self.storage.remove_listener(self._on_change)
        thread.join(timeout=5)

    def _on_change(self, event_type: str, resource: str, obj: Any) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(TICK_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.run_until_quiet(max_rounds=20)
            except Exception:  # keep the sandbox alive; the next tick retries
                log.exception("sandbox controllers: reconcile failed")
