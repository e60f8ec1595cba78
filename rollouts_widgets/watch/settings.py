"""The engine's intervals and thresholds (the defaults are the ones in the spec)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rollouts_widgets.watch.clock import REAL_CLOCK, Clock


@dataclass(frozen=True)
class WatchSettings:
    backoff: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0)  # then the last value again and again
    failures_before_polling: int = 5
    poll_interval: float = 10.0  # in polling mode: one list every poll_interval
    probe_interval: float = 30.0  # in polling mode: try the watch again this often
    heartbeat_interval: float = 20.0
    # Server-side timeout of one watch request: a quiet stream ends normally after this (no
    # failure) and resumes from the last resourceVersion. A stream with no byte at all for
    # stall_timeout (default watch_timeout + 30 s) is stalled: a failure.
    watch_timeout: int = 60
    stall_timeout: float | None = None
    page_size: int = 500
    event_log_size: int = 10_000
    clock: Clock = field(default=REAL_CLOCK, compare=False)

    def __post_init__(self) -> None:
        if not self.backoff or self.failures_before_polling < 1:
            raise ValueError("backoff needs at least one delay and failures_before_polling >= 1")

    def backoff_delay(self, failures: int) -> float:
        """The wait before reconnect number ``failures`` (1-based): 1, 2, 5, 10, 10, ..."""
        return self.backoff[min(max(failures, 1), len(self.backoff)) - 1]

    @property
    def read_timeout(self) -> float:
        return self.stall_timeout if self.stall_timeout is not None else self.watch_timeout + 30.0
