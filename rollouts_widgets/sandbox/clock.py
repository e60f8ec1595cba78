"""Sandbox clocks: real time times a speed factor, or a manual clock for tests.

Controllers read time only through a clock, so a test can move time by hand
(``ManualClock.advance``) and a demo can run faster than real time (``ScaledClock``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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
    """Time moves only when ``advance`` is called (thread-safe).

    Step listeners (the controller manager) run after every ``step`` seconds of an advance,
    so ``advance(60)`` lives through the minute - pods become ready, then the next step of a
    rollout starts - instead of jumping over it.
    """

    kind = "manual"

    def __init__(self, start: datetime = MANUAL_EPOCH, step: float = 1.0) -> None:
        if start.tzinfo is None:
            raise RolloutsError(errors.INVALID_INPUT, "a manual clock needs an aware datetime")
        if not step > 0:
            raise RolloutsError(errors.INVALID_INPUT, "a manual clock step must be > 0")
        self._now = start.astimezone(timezone.utc)
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.step = float(step)
        self._step_listeners: list[Callable[[], object]] = []

    def add_step_listener(self, fn: Callable[[], object]) -> None:
        self._step_listeners.append(fn)

    def remove_step_listener(self, fn: Callable[[], object]) -> None:
        if fn in self._step_listeners:
            self._step_listeners.remove(fn)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:
            raise RolloutsError(errors.INVALID_INPUT, "time cannot go backwards")
        remaining = float(seconds)
        while True:
            move = min(self.step, remaining) if self._step_listeners else remaining
            with self._lock:
                self._now += timedelta(seconds=move)
                self._elapsed += move
            remaining -= move
            for listener in list(self._step_listeners):
                listener()
            if remaining <= 1e-9:
                return


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
