"""Shared helpers for the sandbox controller tests (no tests here): a real ObjectStore with a
manual clock and the controller manager, and small readers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from rollouts_widgets.sandbox.clock import ManualClock
from rollouts_widgets.sandbox.controllers import ControllerManager
from rollouts_widgets.sandbox.manifests import apply_objects
from rollouts_widgets.sandbox.scenarios import Scenario
from rollouts_widgets.sandbox.scenarios.builders import App, app_objects, namespace
from rollouts_widgets.sandbox.storage import ObjectStore

ARGO_RO = "rollouts.argoproj.io"
KRUISE_RO = "rollouts.rollouts.kruise.io"
DEPLOY = "deployments.apps"
RS = "replicasets.apps"
CLONESET = "clonesets.apps.kruise.io"
STS = "statefulsets.apps"


def examples_dir() -> Path:
    """../shared/examples beside the repository (CI), else /work/shared/examples."""
    beside = Path(__file__).resolve().parents[2].parent / "shared" / "examples"
    return beside if beside.is_dir() else Path("/work/shared/examples")


class Cluster:
    """The real store and controllers under a manual clock; nothing moves until settle()."""

    def __init__(self, config: dict[str, Any] | None = None, scenario: Any = None,
                 namespaces: tuple[str, ...] = ("default",)) -> None:
        self.clock = ManualClock()
        self.store = ObjectStore(now=self.clock.now, namespaces=namespaces)
        self.manager = ControllerManager(
            self.store, self.clock, scenario or Scenario("test", config=config or {}))

    def apply(self, objects: list[dict[str, Any]]) -> None:
        apply_objects(self.store, objects)

    def add_app(self, app: App, settle: bool = True) -> None:
        if app.namespace not in {n["metadata"]["name"] for n in self.list("namespaces")}:
            self.apply([namespace(app.namespace)])
        self.apply(app_objects(app))
        if settle:
            self.advance(5)

    def settle(self) -> int:
        rounds = self.manager.run_until_quiet()
        assert rounds < 200, "the controllers did not settle"
        return rounds

    def advance(self, seconds: float, step: float | None = 1.0) -> None:
        """Move time in ``step`` increments (None: one jump), settling after each move."""
        self.settle()
        remaining = seconds
        while remaining > 1e-9:
            move = min(step or remaining, remaining)
            self.clock.advance(move)
            remaining -= move
            self.settle()

    def get(self, resource: str, name: str, ns: str = "default") -> dict[str, Any]:
        return self.store.get(resource, ns, name)

    def status(self, resource: str, name: str, ns: str = "default") -> dict[str, Any]:
        return self.get(resource, name, ns).get("status") or {}

    def list(self, resource: str, ns: str | None = None) -> list[dict[str, Any]]:
        return self.store.list(resource, ns)[0]

    def patch(self, resource: str, name: str, patch: dict[str, Any], ns: str = "default",
              status: bool = False) -> None:
        self.store.patch(resource, ns, name, patch, "merge", "status" if status else None)

    def set_image(self, resource: str, name: str, image: str, ns: str = "default") -> None:
        obj = self.get(resource, name, ns)
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
        self.store.update(resource, obj)

    def pods(self, ns: str = "default", **labels: str) -> list[dict[str, Any]]:
        return [p for p in self.list("pods", ns)
                if all(p["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())]

    def replicasets(self, owner: str, ns: str = "default") -> dict[str, dict[str, Any]]:
        """ReplicaSets owned by ``owner`` (by name), keyed by name."""
        return {rs["metadata"]["name"]: rs for rs in self.list(RS, ns)
                if any(r["name"] == owner for r in rs["metadata"].get("ownerReferences", []))}

    def events(self, name: str, ns: str = "default") -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.list("events", ns)
                if e["involvedObject"]["name"] == name]


def condition(status: dict[str, Any], ctype: str) -> dict[str, Any]:
    return next(c for c in status.get("conditions") or [] if c["type"] == ctype)


def with_changes(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.update(changes)
    return out
