"""RolloutWatchEvent: what the store tells its subscribers (and what the event log keeps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from rollouts_widgets.model.view import RolloutView

EventType = Literal["snapshot", "upsert", "delete", "error", "heartbeat"]


@dataclass(frozen=True, slots=True)
class RolloutWatchEvent:
    type: EventType
    ts: datetime  # UTC
    cluster: str = ""
    namespace: str = ""
    name: str = ""
    resource_version: str = ""
    rollout: RolloutView | None = None  # upsert: the new view; delete: the last known view
    rollouts: tuple[RolloutView, ...] = ()  # snapshot: every current view
    message: str | None = None  # error: human text; heartbeat/mode changes: optional
    code: str | None = None  # error: a code from rollouts_widgets.errors
    previous: RolloutView | None = None  # upsert: the view before the change, if any

    @property
    def key(self) -> str:
        return f"{self.cluster}/{self.namespace}/{self.name}"
