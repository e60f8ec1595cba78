"""Watcher threads (list + watch + backoff + polling fallback), shared per cluster in a pool."""

from __future__ import annotations

from rollouts_widgets.watch.clock import REAL_CLOCK, Clock, RealClock
from rollouts_widgets.watch.pool import WatcherPool
from rollouts_widgets.watch.settings import WatchSettings
from rollouts_widgets.watch.watcher import Watcher, WatchListener

__all__ = ["REAL_CLOCK", "Clock", "RealClock", "WatchListener", "WatchSettings", "Watcher",
           "WatcherPool"]
