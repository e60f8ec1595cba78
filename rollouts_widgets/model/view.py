"""The unified, provider-neutral views. Frozen, flat and small: rows for tables and frames."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

Provider = Literal["kruise", "argo", ""]  # "" when the group is not recognised
Status = Literal["Healthy", "Progressing", "Paused", "Failed", "Disabled", "Unknown"]
StepState = Literal["done", "current", "paused", "awaiting-approval", "pending"]

STATUSES: tuple[str, ...] = ("Healthy", "Progressing", "Paused", "Failed", "Disabled", "Unknown")


@dataclass(frozen=True, slots=True)
class StepView:
    index: int  # 1-based
    kind: str  # setWeight, traffic, weight, replicas, pause, matches, analysis, experiment, ...
    label: str
    state: StepState
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RolloutView:
    cluster: str
    namespace: str
    name: str
    provider: Provider
    api_version: str
    strategy: str  # Canary | BlueGreen | Partition | "" when unknown
    status: Status
    native_phase: str
    message: str
    needs_attention: bool = False
    attention_reason: str = ""
    step_index: int | None = None  # 1-based; None when there are no steps
    step_count: int = 0
    step_label: str = ""
    steps: tuple[StepView, ...] = ()
    set_weight: int | None = None
    actual_weight: int | None = None
    replicas: int | None = None
    ready_replicas: int | None = None
    updated_replicas: int | None = None
    available_replicas: int | None = None
    stable_revision: str = ""
    canary_revision: str = ""
    images: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    workload_kind: str = ""
    workload_name: str = ""
    paused_until: datetime | None = None
    created: datetime | None = None
    updated: datetime | None = None
    resource_version: str = ""

    @property
    def key(self) -> str:
        """``cluster/namespace/name``: the identity used by the store, widgets and favourites."""
        return f"{self.cluster}/{self.namespace}/{self.name}"

    @property
    def ref(self) -> str:
        """``namespace/name``: how a runbook names a rollout on one cluster."""
        return f"{self.namespace}/{self.name}"

    def to_row(self) -> dict[str, Any]:
        """A JSON-ready flat dict (datetimes as ISO-8601 UTC strings, steps without raw)."""
        row: dict[str, Any] = {"key": self.key}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat().replace("+00:00", "Z")
            elif f.name == "steps":
                value = [
                    {"index": s.index, "kind": s.kind, "label": s.label, "state": s.state}
                    for s in value
                ]
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            row[f.name] = value
        return row
