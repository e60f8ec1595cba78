"""The watcher against the real sandbox API server and its fault switches, on a step clock:
the backoff, the switch to polling after exactly 5 failures, the way back, 410s, stalls."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

import rollouts_widgets as rw
from rollouts_widgets.cluster import Cluster
from rollouts_widgets.kube.config import load_target
from rollouts_widgets.kube.discovery import Discovery
from rollouts_widgets.watch.settings import WatchSettings

KRUISE = "rollouts.rollouts.kruise.io"
EPOCH = datetime(2030, 1, 1, tzinfo=timezone.utc)


class StepClock:
    """Manual time for the engine: a watcher's wait() is recorded and blocks until the test
    releases it (or the watcher stops); other threads (heartbeats) sleep until stopped."""

    def __init__(self) -> None:
        self.t = 0.0
        self.waits: list[float] = []
        self._released = 0
        self._cond = threading.Condition()

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.t)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        if not threading.current_thread().name.startswith("rw-watch"):
            return stop.wait()
        with self._cond:
            index = len(self.waits)
            self.waits.append(seconds)
            self._cond.notify_all()
            while self._released <= index and not stop.is_set():
                self._cond.wait(0.02)
            self.t += seconds
        return stop.is_set()

    def next_wait(self, timeout: float = 10.0) -> float:
        """The delay of the next wait that is not released yet (waiting for it to come)."""
        with self._cond:
            index = self._released
            assert self._cond.wait_for(lambda: len(self.waits) > index, timeout), self.waits
            return self.waits[index]

    def release(self) -> None:
        with self._cond:
            self._released += 1
            self._cond.notify_all()

    def steps(self, count: int) -> list[float]:
        """Let ``count`` waits pass; returns their delays."""
        delays = []
        for _ in range(count):
            delays.append(self.next_wait())
            self.release()
        return delays


def rollout(name: str, namespace: str = "default", phase: str = "Healthy") -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"steps": [{"traffic": "20%"}, {"pause": {}}]}},
        },
        "status": {"phase": phase, "observedGeneration": 1},
    }


@pytest.fixture
def sandbox():
    with rw.Sandbox(controllers=False) as sb:
        yield sb


def kruise_only_cluster(sb, settings: WatchSettings, **flags) -> Cluster:
    """A Cluster that watches only Kruise rollouts, so exactly one watcher runs."""
    target = load_target(sb.kubeconfig_path)
    return Cluster(
        target.api_client,
        name=target.context,
        user=target.user,
        flags=rw.Flags.from_env(**flags),
        watch_settings=settings,
        discovery=Discovery("v1beta1", False, frozenset({"v1"})),  # no workload kinds
    )


def names(store) -> list[str]:
    return [v.name for v in store.views()]


def test_five_consecutive_failures_switch_to_polling_and_the_watch_comes_back(sandbox):
    clock = StepClock()
    sandbox.storage.create(KRUISE, rollout("a"))
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock))
    store = cluster.store()
    events = []
    store.subscribe(events.append)
    try:
        assert store.wait_until(lambda s: s.mode == "watch" and names(s) == ["a"])
        # a drop (resumed at once, no failure), then every watch request fails with 503
        sandbox.faults.fail_next(5, status=503, verb="watch")
        sandbox.faults.drop_watches()
        assert clock.steps(3) == [1, 2, 5]
        assert clock.next_wait() == 10
        assert store.mode == "watch"  # 4 failures: still reconnecting
        clock.release()
        # the 5th failure: polling, announced as an error event
        assert store.wait_until(lambda s: s.mode == "polling")
        errors_seen = [e for e in events if e.type == "error"]
        assert [e.code for e in errors_seen] == ["WATCH_STREAM_UNAVAILABLE"]
        assert "watch failed 5 times in a row" in errors_seen[0].message
        assert "503" in store.mode_reason or "ServiceUnavailable" in store.mode_reason
        # polling lists every 10 s: a rollout created now shows up at the next list
        assert clock.next_wait() == 10
        sandbox.storage.create(KRUISE, rollout("b"))
        sandbox.faults.fail_next(1, status=503, verb="watch")  # the first probe fails
        clock.release()
        assert store.wait_until(lambda s: names(s) == ["a", "b"])
        assert store.mode == "polling"
        assert clock.steps(2) == [10, 10]  # t=30: list + probe (fails: still polling)
        assert clock.next_wait() == 10
        assert store.mode == "polling"
        sandbox.storage.delete(KRUISE, "default", "a")
        assert clock.steps(3) == [10, 10, 10]  # t=60: the probe works -> watch, reconciled
        assert store.wait_until(lambda s: s.mode == "watch" and names(s) == ["b"])
        modes = [e.message for e in events if e.type == "heartbeat"]
        assert modes[-2].startswith("mode: polling") and modes[-1] == "mode: watch"
        # and the stream is live again
        sandbox.storage.create(KRUISE, rollout("c"))
        assert store.wait_until(lambda s: names(s) == ["b", "c"])
        assert [e.type for e in store.events()].count("error") == 1
    finally:
        store.close()
        cluster.close()


def test_four_failures_then_success_stays_in_watch_mode(sandbox):
    clock = StepClock()
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock))
    store = cluster.store()
    try:
        assert store.wait_until(lambda s: s.mode == "watch")
        sandbox.faults.fail_next(4, status=500, verb="watch")
        sandbox.faults.drop_watches()
        sandbox.storage.create(KRUISE, rollout("late"))
        assert clock.steps(4) == [1, 2, 5, 10]
        assert store.wait_until(lambda s: names(s) == ["late"])
        assert store.mode == "watch"
        assert not [e for e in store.events() if e.type == "error"]
    finally:
        store.close()
        cluster.close()


def test_410_relists_and_reconciles_exactly(sandbox):
    for name in ("keep", "change", "vanish"):
        sandbox.storage.create(KRUISE, rollout(name))
    clock = StepClock()
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock))
    store = cluster.store()
    try:
        assert store.wait_until(lambda s: s.mode == "watch" and len(s) == 3)
        events = []
        store.subscribe(events.append)
        # disconnected (one failed reconnect) while things change; then the watch is told
        # 410 Gone, so the watcher relists and reconciles
        sandbox.faults.fail_next(1, status=503, verb="watch")
        sandbox.faults.drop_watches()
        assert clock.next_wait() == 1
        changed = sandbox.storage.get(KRUISE, "default", "change")
        changed["status"]["phase"] = "Progressing"
        sandbox.storage.update(KRUISE, changed, subresource="status")
        sandbox.storage.delete(KRUISE, "default", "vanish")
        sandbox.storage.create(KRUISE, rollout("new"))
        sandbox.faults.expire_next_watch()
        clock.release()
        assert store.wait_until(lambda s: names(s) == ["change", "keep", "new"])
        assert store.wait_until(lambda s: s.get("default/change").native_phase == "Progressing")
        kinds = sorted((e.type, e.name) for e in events if e.type in ("upsert", "delete"))
        assert kinds == [("delete", "vanish"), ("upsert", "change"), ("upsert", "new")]
        assert clock.waits == [1]  # the 410 itself is not a failure: no backoff
        assert store.mode == "watch"
    finally:
        store.close()
        cluster.close()


def test_compaction_while_disconnected_relists(sandbox):
    sandbox.storage.create(KRUISE, rollout("a"))
    clock = StepClock()
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock))
    store = cluster.store()
    try:
        assert store.wait_until(lambda s: s.mode == "watch" and len(s) == 1)
        sandbox.faults.fail_next(1, status=502, verb="watch")
        sandbox.faults.drop_watches()
        assert clock.next_wait() == 1
        sandbox.storage.delete(KRUISE, "default", "a")
        sandbox.storage.create(KRUISE, rollout("b"))
        sandbox.faults.compact()  # resuming from the old resourceVersion now gets 410
        clock.release()
        assert store.wait_until(lambda s: names(s) == ["b"] and s.mode == "watch")
        assert [e.name for e in store.events() if e.type == "delete"] == ["a"]
    finally:
        store.close()
        cluster.close()


def test_a_stalled_stream_is_a_failure(sandbox):
    clock = StepClock()
    # the sandbox sends bookmarks every 30 s: with a 0.3 s stall timeout the quiet stream
    # counts as stalled
    settings = WatchSettings(clock=clock, watch_timeout=60, stall_timeout=0.3)
    cluster = kruise_only_cluster(sandbox, settings)
    store = cluster.store()
    try:
        assert clock.next_wait() == 1
        assert "timed out" in str(store._rollout_watchers[0].last_error).lower()
        sandbox.storage.create(KRUISE, rollout("a"))
        clock.release()
        assert store.wait_until(lambda s: names(s) == ["a"])
    finally:
        store.close()
        cluster.close()


def test_a_normal_watch_timeout_resumes_without_a_failure(sandbox):
    clock = StepClock()
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock, watch_timeout=1))
    store = cluster.store()
    watcher = store._rollout_watchers[0]
    try:
        assert store.wait_until(lambda s: s.mode == "watch")
        first_rv = watcher.resource_version
        # the server ends the 1 s watch; the watcher resumes from its resourceVersion
        threading.Event().wait(1.6)
        sandbox.storage.create(KRUISE, rollout("after-timeout"))
        assert store.wait_until(lambda s: names(s) == ["after-timeout"])
        assert clock.waits == [] and watcher.failures == 0
        assert int(watcher.resource_version) > int(first_rv)
    finally:
        store.close()
        cluster.close()


def test_watch_flag_off_polls_only(sandbox):
    clock = StepClock()
    sandbox.storage.create(KRUISE, rollout("a"))
    cluster = kruise_only_cluster(sandbox, WatchSettings(clock=clock), watch=False)
    store = cluster.store()
    events = []
    store.subscribe(events.append)
    try:
        assert store.wait_until(lambda s: s.mode == "polling" and names(s) == ["a"])
        assert "watch disabled" in store.mode_reason
        sandbox.storage.create(KRUISE, rollout("b"))
        assert clock.steps(1) == [10]
        assert store.wait_until(lambda s: names(s) == ["a", "b"])
        assert clock.steps(4) == [10, 10, 10, 10]  # never a probe of the watch
        assert store.mode == "polling"
        assert not [e for e in events if e.type == "error"]
    finally:
        store.close()
        cluster.close()


def test_an_rbac_refusal_is_reported_at_once(sandbox):
    from rollouts_widgets.sandbox.auth import VIEWER, Rule

    sandbox.authorizer.rules[VIEWER] = [Rule(frozenset({"get", "list", "watch"}),
                                             frozenset({"pods"}))]
    clock = StepClock()
    target = load_target(sandbox.kubeconfig_path, "sandbox-viewer")
    cluster = Cluster(target.api_client, name=target.context, user=target.user,
                      watch_settings=WatchSettings(clock=clock),
                      discovery=Discovery("v1beta1", False, frozenset({"v1"})))
    store = cluster.store()
    events = []
    store.subscribe(events.append)
    try:
        assert clock.next_wait() == 1
        assert store.wait_until(lambda s: any(e.type == "error" for e in events))
        refusal = next(e for e in events if e.type == "error")
        assert refusal.code == "FORBIDDEN"
        assert "GET /apis/rollouts.kruise.io/v1beta1/rollouts" in refusal.message
        assert store.mode == "connecting" and store.views() == []
        assert clock.steps(4) == [1, 2, 5, 10]
        # after the fifth refusal: polling, announced once more as WATCH_STREAM_UNAVAILABLE
        assert store.wait_until(lambda s: s.mode == "polling")
        codes = [e.code for e in events if e.type == "error"]
        assert codes == ["FORBIDDEN", "WATCH_STREAM_UNAVAILABLE"]
    finally:
        store.close()
        cluster.close()
