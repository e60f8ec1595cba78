"""Injected faults, for tests and demos: what a flaky or vanishing API server does.

``sb.faults`` is a ``Faults``; the HTTP server consults it on every resource request
(discovery, ``/version`` and the admin endpoints are never failed or delayed, so that a
client can still find its way).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from rollouts_widgets.sandbox.storage import ObjectStore

_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def reason_for(status: int) -> str:
    return _REASONS.get(status, "Unknown")


@dataclass
class _Failure:
    remaining: int
    status: int
    verb: str | None


class Faults:
    """The fault switches of one sandbox server. All methods are thread-safe."""

    def __init__(
        self, store: ObjectStore, refuse: Callable[[float], None] | None = None
    ) -> None:
        self._store = store
        self._refuse = refuse
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._expire_watches = 0
        self.delay_seconds = 0.0

    def drop_watches(self) -> int:
        """Close every open watch stream; returns how many there were."""
        return self._store.close_watches()

    def fail_next(self, n: int = 1, status: int = 503, verb: str | None = None) -> None:
        """The next ``n`` resource requests (or ``n`` of ``verb``: get, list, watch, create,
        update, patch, delete) answer ``status`` with a Status body."""
        if n < 1 or not 400 <= status <= 599:
            raise ValueError("fail_next needs n >= 1 and an HTTP error status (4xx/5xx)")
        with self._lock:
            self._failures.append(_Failure(n, status, verb))

    def delay(self, seconds: float) -> None:
        """Answer every resource request ``seconds`` late (0 switches it off)."""
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        self.delay_seconds = float(seconds)

    def expire_next_watch(self) -> None:
        """The next watch request gets a 410 Gone ERROR event and ends, as an expired one."""
        with self._lock:
            self._expire_watches += 1

    def refuse_connections(self, seconds: float) -> None:
        """Close the listening socket (and open connections) now; reopen it on the same port
        after ``seconds``. Returns at once; the sandbox's ``wait_serving()`` waits for the
        return."""
        if self._refuse is None:
            raise RuntimeError("the sandbox server is not running")
        self._refuse(seconds)

    def compact(self) -> None:
        """Drop the event history, so every older resourceVersion expires (410)."""
        self._store.compact()

    def reset(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._failures.clear()
            self._expire_watches = 0
        self.delay_seconds = 0.0

    # --- used by the server --------------------------------------------------------------

    def take_failure(self, verb: str) -> int | None:
        """The status to fail this request with, if a ``fail_next`` applies."""
        with self._lock:
            for failure in self._failures:
                if failure.verb is None or failure.verb == verb:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure.status
        return None

    def take_expired_watch(self) -> bool:
        with self._lock:
            if self._expire_watches:
                self._expire_watches -= 1
                return True
        return False
