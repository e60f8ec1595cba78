"""Sandbox clocks: real time times a speed factor, or a manual clock for tests.

Controllers read time only through a clock, so a test can move time by hand
(``ManualClock.advance``) and a demo can run faster than real time (``ScaledClock``).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError

# Manual clocks start at a fixed, readable instant so test expectations are stable.
MANUAL_EPOCH = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


class Clock:
    """Real wall-clock time (UTC)."""

    kind = "real"

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()


class ScaledClock(Clock):
    """Real time running ``speed`` times faster, from the moment the clock was made."""

    kind = "scaled"

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise RolloutsError(errors.INVALID_INPUT, f"clock speed must be > 0, got {speed!r}")
        self.speed = float(speed)
        self._wall0 = datetime.now(timezone.utc)
        self._mono0 = time.monotonic()

    def monotonic(self) -> float:
        return self._mono0 + (time.monotonic() - self._mono0) * self.speed

    def now(self) -> datetime:
        return self._wall0 + timedelta(seconds=self.monotonic() - self._mono0)


class ManualClock(Clock):
    """Time moves only when ``advance`` is called (thread-safe)."""

    kind = "manual"

    def __init__(self, start: datetime = MANUAL_EPOCH) -> None:
        if start.tzinfo is None:
            raise RolloutsError(errors.INVALID_INPUT, "a manual clock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise RolloutsError(errors.INVALID_INPUT, "time cannot go backwards")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._elapsed += seconds


def make_clock(kind: str = "real", speed: float = 1.0) -> Clock:
    """``"real"`` (x ``speed`` when speed != 1), ``"scaled"`` or ``"manual"``."""
    if kind == "manual":
        return ManualClock()
    if kind == "scaled" or (kind == "real" and speed != 1.0):
        return ScaledClock(speed)
    if kind == "real":
        return Clock()
    raise RolloutsError(
        errors.INVALID_INPUT, f"unknown clock {kind!r}: use 'real', 'scaled' or 'manual'"
    )
