"""The audit log of actions: who did what to which rollout, with which result."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

MAX_RECORDS = 1000
_MAX_ARG = 256


@dataclass(frozen=True)
class ActionRecord:
    ts: datetime  # UTC, when the action finished
    cluster: str
    context: str
    user: str  # the kubeconfig user's name; never a token or a client key
    namespace: str
    name: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    code: str = ""
    message: str = ""

    def to_row(self) -> dict[str, Any]:
        return asdict(self)


def safe_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments as the log keeps them: scalars only, strings bounded."""
    kept: dict[str, Any] = {}
    for key, value in args.items():
        if value is None or isinstance(value, (bool, int, float)):
            kept[str(key)] = value
        else:
            kept[str(key)] = str(value)[:_MAX_ARG]
    return kept


class AuditLog:
    """A bounded, thread-safe list of ActionRecords (oldest first)."""

    def __init__(self, size: int = MAX_RECORDS) -> None:
        self._records: deque[ActionRecord] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, record: ActionRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[ActionRecord]:
        with self._lock:
            return list(self._records)
