"""100 injected faults of every kind while rollouts keep changing: afterwards the store, and a
subscriber that rebuilt the state from events alone, equal the server's state exactly."""

from __future__ import annotations

import random
import threading

import pytest

import rollouts_widgets as rw
from rollouts_widgets.watch.settings import WatchSettings

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"
NAMESPACES = ("shop", "pay")
PHASES = ("Initial", "Progressing", "Healthy", "Disabling", "Disabled")

# Fast but otherwise default behaviour: same backoff shape, same failure threshold.
FAST = WatchSettings(
    backoff=(0.01, 0.02, 0.05, 0.1),
    poll_interval=0.05,
    probe_interval=0.15,
    heartbeat_interval=0.2,
    watch_timeout=5,
    stall_timeout=3.0,
)


def kruise(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "strategy": {"canary": {"steps": [{"traffic": "20%"}, {"pause": {}}]}}},
        "status": {"phase": "Healthy", "observedGeneration": 1},
    }


def argo(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
                 "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
    }


class Mover(threading.Thread):
    """Keeps creating, changing and deleting rollouts (directly in the server's storage)."""

    def __init__(self, storage, seed: int) -> None:
        super().__init__(name="test-mover", daemon=True)
        self.storage = storage
        self.random = random.Random(seed)
        self.stop = threading.Event()
        self.counter = 0
        self.changes = 0

    def run(self) -> None:
        while not self.stop.wait(0.004):
            self.step()

    def step(self) -> None:
        live = [("kruise", ns, name) for ns, name in self._names(KRUISE)]
        live += [("argo", ns, name) for ns, name in self._names(ARGO)]
        action = self.random.random()
        if action < 0.35 or len(live) < 5:
            self.counter += 1
            ns = self.random.choice(NAMESPACES)
            if self.counter % 3:
                self.storage.create(KRUISE, kruise(f"k{self.counter}", ns))
            else:
                self.storage.create(ARGO, argo(f"a{self.counter}", ns))
        elif action < 0.8:
            provider, ns, name = self.random.choice(live)
            resource = KRUISE if provider == "kruise" else ARGO
            obj = self.storage.get(resource, ns, name)
            if provider == "kruise":
                obj["status"]["phase"] = self.random.choice(PHASES)
                self.storage.update(resource, obj, subresource="status")
            else:
                obj["metadata"]["labels"] = {"n": str(self.random.randint(0, 10**6))}
                self.storage.update(resource, obj)
        else:
            provider, ns, name = self.random.choice(live)
            self.storage.delete(KRUISE if provider == "kruise" else ARGO, ns, name)
        self.changes += 1

    def _names(self, resource: str) -> list[tuple[str, str]]:
        return [(o["metadata"]["namespace"], o["metadata"]["name"])
                for o in self.storage.list(resource)[0]]


def server_state(storage) -> dict[tuple[str, str, str], str]:
    state = {}
    for resource in (KRUISE, ARGO):
        for obj in storage.list(resource)[0]:
            meta = obj["metadata"]
            state[("sandbox", meta["namespace"], meta["name"])] = meta["resourceVersion"]
    return state


class Replica:
    """A subscriber that rebuilds the rows from the events alone (as a widget does)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], str] = {}
        self.errors: list = []
        self.duplicate_adds = 0

    def __call__(self, event) -> None:
        key = (event.cluster, event.namespace, event.name)
        if event.type == "snapshot":
            self.rows = {(v.cluster, v.namespace, v.name): v.resource_version
                         for v in event.rollouts}
        elif event.type == "upsert":
            if event.previous is None and key in self.rows:
                self.duplicate_adds += 1
            self.rows[key] = event.resource_version
        elif event.type == "delete":
            assert self.rows.pop(key, None) is not None, f"delete of an unknown row {key}"
        elif event.type == "error":
            self.errors.append(event)


@pytest.mark.slow
def test_100_faults_of_every_kind_lose_and_duplicate_nothing():
    with rw.Sandbox(controllers=False) as sb:
        for ns in NAMESPACES:
            sb.storage.create("namespaces", {"metadata": {"name": ns}})
        mover = Mover(sb.storage, seed=5)
        for _ in range(20):
            mover.step()
        cluster = sb.connect()
        cluster.watch_settings = FAST
        all_ns = cluster.store()
        per_ns = cluster.store(list(NAMESPACES))
        replica = Replica()
        all_ns.subscribe(replica)
        modes = []
        all_ns.subscribe(lambda e: e.type == "heartbeat" and e.message and modes.append(e))
        assert all_ns.wait_synced() and per_ns.wait_synced()
        mover.start()
        chaos = random.Random(11)
        kinds = ["drop", "expire", "burst", "refuse", "compact"]
        done = {kind: 0 for kind in kinds}
        try:
            for i in range(100):
                kind = kinds[i % len(kinds)] if i < 10 else chaos.choice(kinds)
                if kind == "drop":
                    sb.faults.drop_watches()
                elif kind == "expire":
                    sb.faults.expire_next_watch()
                    sb.faults.drop_watches()
                elif kind == "burst" and i < 10:  # enough for every watcher to fall back
                    sb.faults.fail_next(40, 503, "watch")
                    sb.faults.drop_watches()
                elif kind == "burst":
                    verb = chaos.choice(["watch", "list", None])
                    sb.faults.fail_next(chaos.randint(1, 7), chaos.choice([500, 503]), verb)
                    sb.faults.drop_watches()
                elif kind == "refuse":  # a server "restart"
                    sb.faults.refuse_connections(chaos.uniform(0.05, 0.4))
                    assert sb.wait_serving(10)
                else:
                    sb.faults.compact()
                    sb.faults.drop_watches()
                done[kind] += 1
                threading.Event().wait(chaos.uniform(0.02, 0.12))
        finally:
            mover.stop.set()
            mover.join()
            sb.faults.reset()
        assert all(count >= 10 for count in done.values()), done
        assert mover.changes > 100
        expected = server_state(sb.storage)
        for store in (all_ns, per_ns):
            assert store.wait_until(
                lambda s: s.mode == "watch"
                and {(v.cluster, v.namespace, v.name): v.resource_version
                     for v in s.views()} == expected,
                timeout=60,
            ), (store.mode, store.mode_reason)
            assert len(store.views()) == len(expected)
        assert all_ns.wait_until(lambda s: replica.rows == expected, timeout=30)
        assert replica.duplicate_adds == 0
        # every fall-back to polling was announced, and every return to watch too
        assert replica.errors
        assert all(e.code == "WATCH_STREAM_UNAVAILABLE" for e in replica.errors)
        assert any(e.message.startswith("mode: polling") for e in modes)
        assert modes[-1].message == "mode: watch"
        all_ns.close()
        per_ns.close()
        cluster.close()
        assert not [t for t in threading.enumerate() if t.name.startswith("rw-")]
