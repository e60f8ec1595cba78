"""The shared watchers of one cluster: one per (resource, namespace scope, selector).

Every store and detail panel asks the pool; the first one starts the watcher, the last one to
leave stops it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rollouts_widgets.kube.resources import GVR, ResourceClient
from rollouts_widgets.watch.settings import WatchSettings
from rollouts_widgets.watch.watcher import Watcher, WatchListener

WatchKey = tuple[GVR, str | None, str | None]  # (resource, namespace or None = all, selector)


class WatcherPool:
    def __init__(
        self,
        resources: ResourceClient,
        *,
        cluster: str,
        settings: Callable[[], WatchSettings],
        watch_enabled: Callable[[], bool],
    ) -> None:
        self.resources = resources
        self.cluster = cluster
        self._settings = settings  # read when a watcher starts, so they can be changed before
        self._watch_enabled = watch_enabled
        self._watchers: dict[WatchKey, Watcher] = {}
        self._lock = threading.Lock()

    def acquire(
        self,
        gvr: GVR,
        namespace: str | None,
        listener: WatchListener,
        label_selector: str | None = None,
    ) -> Watcher:
        key = (gvr, namespace or None, label_selector)
        with self._lock:
            watcher = self._watchers.get(key)
            created = watcher is None
            if watcher is None:
                watcher = Watcher(
                    self.resources,
                    gvr,
                    namespace or None,
                    label_selector=label_selector,
                    settings=self._settings(),
                    watch_enabled=self._watch_enabled(),
                    cluster=self.cluster,
                )
                self._watchers[key] = watcher
            watcher.add_listener(listener)
            if created:
                watcher.start()
        listener.deliver()
        return watcher

    def release(self, watcher: Watcher, listener: WatchListener) -> None:
        with self._lock:
            left = watcher.remove_listener(listener)
            if left == 0:
                key = (watcher.gvr, watcher.namespace, watcher.label_selector)
                if self._watchers.get(key) is watcher:
                    del self._watchers[key]
        if left == 0:
            watcher.stop()

    def watchers(self) -> list[Watcher]:
        with self._lock:
            return list(self._watchers.values())

    def close(self) -> None:
        with self._lock:
            watchers = list(self._watchers.values())
            self._watchers.clear()
        for watcher in watchers:
            watcher.stop()
