"""The ``scale:N`` scenario: N small rollouts (Argo and Kruise alternating, one replica each)
spread over ten namespaces, and a steady stream of releases for benchmarks: every
``RELEASE_EVERY`` sandbox seconds the next ``batch`` rollouts get a new image."""

from __future__ import annotations

from typing import Any

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.scenarios.builders import (
    ARGO,
    KRUISE,
    App,
    Obj,
    app_objects,
    current_tag,
    namespace,
    next_patch_tag,
    set_image,
)

NAMESPACE_COUNT = 10
RELEASE_EVERY = 5.0
MAX_ROLLOUTS = 50_000

ARGO_STEPS = {"canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": "5s"}}]}}
KRUISE_STEPS = {"canary": {"steps": [{"replicas": "100%", "pause": {"duration": 5}}]}}


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 0 <= count <= MAX_ROLLOUTS:
        raise RolloutsError(errors.INVALID_INPUT,
                            f"scale:N needs 0 <= N <= {MAX_ROLLOUTS}, got {text!r}")
    return count


def apps(count: int) -> list[App]:
    result = []
    for i in range(count):
        provider = ARGO if i % 2 == 0 else KRUISE
        result.append(App(f"scale-{i % NAMESPACE_COUNT}", f"svc-{i:05d}", provider,
                          ARGO_STEPS if provider == ARGO else KRUISE_STEPS, replicas=1))
    return result


def objects(count: int) -> list[Obj]:
    result = [namespace(f"scale-{i}") for i in range(min(count, NAMESPACE_COUNT))]
    for app in apps(count):
        result.extend(app_objects(app))
    return result


class SteadyReleases:
    """Round-robin image bumps: ``batch`` releases every ``every`` seconds."""

    def __init__(self, count: int, every: float = RELEASE_EVERY) -> None:
        self.apps = apps(count)
        self.every = every
        self.batch = max(1, count // 20)
        self.next_at: float | None = None
        self.turn = 0

    def tick(self, storage: Any, clock: Any) -> bool:
        now = clock.monotonic()
        if not self.apps:
            return False
        if self.next_at is None:
            self.next_at = now + self.every
            return False
        if now < self.next_at:
            return False
        self.next_at = now + self.every
        for _ in range(self.batch):
            app = self.apps[self.turn % len(self.apps)]
            self.turn += 1
            set_image(storage, app, next_patch_tag(current_tag(storage, app)))
        return True
