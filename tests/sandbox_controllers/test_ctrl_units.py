"""Pure helpers of the sandbox controllers: clocks, durations, percentages, conditions,
hashing, scenario configuration."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.sandbox.clock import MANUAL_EPOCH, ManualClock, ScaledClock, make_clock
from rollouts_widgets.sandbox.controllers.argo_canary import set_weight_at
from rollouts_widgets.sandbox.controllers.argo_rollout import weight_replicas
from rollouts_widgets.sandbox.controllers.argo_status import compute_phase
from rollouts_widgets.sandbox.controllers.config import ControllerConfig
from rollouts_widgets.sandbox.controllers.helpers import (
    image_tag,
    parse_duration,
    scaled_value,
    set_condition,
    template_hash,
)
from rollouts_widgets.sandbox.controllers.kruise_rollout import rolling_style, step_message


def test_make_clock_kinds():
    assert make_clock("manual").kind == "manual"
    assert make_clock("real").kind == "real"
    assert make_clock("real", speed=5).kind == "scaled"
    assert make_clock("scaled", 2.0).speed == 2.0
    for bad in (("sundial", 1.0), ("scaled", 0), ("scaled", -1)):
        with pytest.raises(RolloutsError) as caught:
            make_clock(*bad)
        assert caught.value.code == errors.INVALID_INPUT


def test_manual_clock_advances_in_steps_and_never_backwards():
    clock = ManualClock(step=2.0)
    seen = []
    clock.add_step_listener(lambda: seen.append(clock.monotonic()))
    assert clock.now() == MANUAL_EPOCH and clock.now().tzinfo is not None
    clock.advance(5)
    assert seen == [2.0, 4.0, 5.0]
    assert clock.now() == MANUAL_EPOCH + timedelta(seconds=5)
    with pytest.raises(RolloutsError):
        clock.advance(-1)
    with pytest.raises(RolloutsError):
        ManualClock(datetime(2026, 1, 1))  # naive


def test_scaled_clock_runs_faster_than_real_time():
    clock = ScaledClock(1000.0)
    start_wall, start_mono = clock.now(), clock.monotonic()
    later = clock.monotonic()
    assert later >= start_mono
    assert clock.now() >= start_wall
    assert clock.now().tzinfo == timezone.utc


@pytest.mark.parametrize(("text", "seconds"), [
    (30, 30.0), ("30", 30.0), ("30s", 30.0), ("1m30s", 90.0), ("2h", 7200.0),
    ("500ms", 0.5), ("1.5m", 90.0), ("soon", None), ("10x", None), (None, None), (True, None),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("value", "total", "up", "expected"), [
    ("20%", 5, True, 1), ("20%", 4, True, 1), ("25%", 5, True, 2), ("25%", 5, False, 1),
    ("100%", 3, True, 3), (2, 10, True, 2), ("3", 10, True, 3), ("x%", 10, True, 0),
    (None, 10, True, 0),
])
def test_scaled_value(value, total, up, expected):
    assert scaled_value(value, total, round_up=up) == expected


def test_weight_replicas_and_set_weight():
    assert [weight_replicas(w, 5) for w in (0, 1, 20, 50, 100)] == [0, 1, 1, 3, 5]
    steps = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}]
    assert [set_weight_at(steps, i) for i in range(3)] == [20, 20, 60]


def test_set_condition_moves_timestamps_only_on_change():
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    first = set_condition([], "Ready", "True", "Up", "fine", t0)
    same = set_condition(first, "Ready", "True", "Up", "fine", t0 + timedelta(seconds=9))
    assert same == first
    flipped = set_condition(first, "Ready", "False", "Down", "broken", t0 + timedelta(seconds=9))
    assert flipped[0]["lastTransitionTime"] == "2026-01-01T00:00:09Z"
    reworded = set_condition(flipped, "Ready", "False", "Down", "still broken",
                             t0 + timedelta(seconds=20))
    assert reworded[0]["lastTransitionTime"] == "2026-01-01T00:00:09Z"
    assert reworded[0]["lastUpdateTime"] == "2026-01-01T00:00:20Z"


def test_template_hash_ignores_its_own_label_and_changes_with_the_template():
    template = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"image": "x:1"}]}}
    labelled = {"metadata": {"labels": {"app": "a", "pod-template-hash": "zzz"}},
                "spec": {"containers": [{"image": "x:1"}]}}
    assert template_hash(template) == template_hash(labelled, ("pod-template-hash",))
    assert template_hash(template) != template_hash(
        {**template, "spec": {"containers": [{"image": "x:2"}]}})
    assert template_hash(template) != template_hash(template, collision_count=1)
    assert set(template_hash(template)) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert labelled["metadata"]["labels"]["pod-template-hash"] == "zzz"  # input untouched


def test_image_tag():
    assert image_tag("ghcr.io/acme/app:1.2") == "1.2"
    assert image_tag("localhost:5000/app") == "latest"
    assert image_tag("app@sha256:abc") == "sha256:abc"


def test_controller_config_validation_and_series():
    config = ControllerConfig.from_dict({
        "bad_images": {"1.0-bad": "CrashLoopBackOff"}, "readiness_delay": 0,
        "analysis": {"cart/errors": ["successful", {"outcome": "failed", "value": "0.9"}]}})
    assert config.failure_mode("x/app:1.0-bad", "1.0-bad") == "CrashLoopBackOff"
    assert [config.measurement("cart", "errors", i).outcome for i in range(4)] == [
        "successful", "failed", "failed", "failed"]
    assert config.measurement("cart", "errors", 1).value == "0.9"
    assert config.measurement("other", "errors", 0).outcome == "successful"
    for bad in ({"bad_images": {"x": "Exploded"}}, {"readiness_delay": -1},
                {"analysis": {"m": ["maybe"]}}, {"analysis": {"m": [{"value": "1"}]}}):
        with pytest.raises(RolloutsError) as caught:
            ControllerConfig.from_dict(bad)
        assert caught.value.code == errors.INVALID_INPUT


def test_kruise_rolling_style_and_messages():
    assert rolling_style({"spec": {"strategy": {"blueGreen": {"steps": []}}}}) == "BlueGreen"
    assert rolling_style({"spec": {"strategy": {"canary": {
        "enableExtraWorkloadForCanary": True}}}}) == "Canary"
    assert rolling_style({"spec": {"strategy": {"canary": {}}}}) == "Partition"
    assert step_message(2, 5, "StepPaused", {"pause": {"duration": 30}}) == (
        "Rollout is in step(2/5), and wait duration(30 seconds) to enter the next step")
    assert step_message(1, 5, "StepPaused", {"pause": {}}) == (
        "Rollout is in step(1/5), and you need manually confirm to enter the next step")


def test_argo_phase_rules_in_order():
    rollout = {"spec": {"replicas": 2, "strategy": {"canary": {}}}}
    healthy = {"updatedReplicas": 2, "availableReplicas": 2, "replicas": 2,
               "currentPodHash": "a", "stableRS": "a"}
    assert compute_phase(rollout, healthy) == ("Healthy", "")
    assert compute_phase(rollout, {**healthy, "stableRS": "b"}) == (
        "Progressing", "waiting for all steps to complete")
    assert compute_phase(rollout, {**healthy, "replicas": 3}) == (
        "Progressing", "old replicas are pending termination")
    assert compute_phase(rollout, {**healthy, "availableReplicas": 1}) == (
        "Progressing", "updated replicas are still becoming available")
    assert compute_phase(rollout, {**healthy, "updatedReplicas": 1}) == (
        "Progressing", "more replicas need to be updated")
    paused = {**healthy, "pauseConditions": [{"reason": "CanaryPauseStep"}]}
    assert compute_phase(rollout, paused) == ("Paused", "CanaryPauseStep")
    assert compute_phase({"spec": {**rollout["spec"], "paused": True}}, paused) == (
        "Paused", "manually paused")
    aborted = {**paused, "conditions": [{"type": "Progressing", "status": "False",
                                         "reason": "RolloutAborted", "message": "m"}]}
    assert compute_phase(rollout, aborted) == ("Degraded", "RolloutAborted: m")
    invalid = {**aborted, "conditions": [{"type": "InvalidSpec", "status": "True",
                                          "reason": "InvalidSpec", "message": "bad"}]}
    assert compute_phase(rollout, invalid) == ("Degraded", "InvalidSpec: bad")
    blue = {"spec": {"replicas": 2, "strategy": {"blueGreen": {}}}}
    assert compute_phase(blue, {**healthy, "blueGreen": {"activeSelector": "b"}}) == (
        "Progressing", "active service cutover pending")
