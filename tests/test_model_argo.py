"""Argo Rollouts -> RolloutView, against the hand-written fixtures in
tests/fixtures/model/argo.yaml (one case per state) and the status rule order of argo.md."""

import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from rollouts_widgets.model import rollout_view

CASES = yaml.safe_load((Path(__file__).parent / "fixtures/model/argo.yaml").read_text())["cases"]
STOREFRONT = ("registry.example.com/shop/storefront:4.2.0",)
STATE_CODES = {"a": "awaiting-approval", "P": "paused", "c": "current", "d": "done",
               "p": "pending"}
ABORTED = ('RolloutAborted: Rollout aborted update to revision 4: Metric "error-rate" assessed '
           'Failed due to failed (3) > failureLimit (2)')
INVALID = ('InvalidSpec: The Rollout "storefront" is invalid: spec.strategy.canary.steps[0].'
           'setWeight: Invalid value: 150: must be between 0 and 100')
DEADLINE = 'ProgressDeadlineExceeded: ReplicaSet "storefront-6d8b9c7f5" has timed out progressing.'


def view(name):
    case = CASES[name]
    return rollout_view(case["rollout"], case["related"], cluster="lab")


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# case -> (status, native phase, message, attention_reason, step_index, step_count,
#          step_label, step states)
STATES = {
    "healthy": ("Healthy", "Healthy", "", "", 7, 7, "Analysis (error-rate, latency-p99)",
                "ddddddd"),
    "first-step": ("Progressing", "Progressing", "more replicas need to be updated", "", 1, 7,
                   "Set Weight: 20%", "cpppppp"),
    "awaiting-promotion": ("Paused", "Paused", "CanaryPauseStep", "", 2, 7,
                           "Pause (awaiting approval)", "dappppp"),
    "timed-pause": ("Paused", "Paused", "CanaryPauseStep", "", 4, 7, "Pause: 45s", "dddPppp"),
    "bare-number-pause": ("Paused", "Paused", "CanaryPauseStep", "", 6, 7, "Pause: 90s",
                          "dddddPp"),
    "manually-paused": ("Paused", "Paused", "manually paused", "manually paused", 3, 7,
                        "Set Weight: 50% (manually paused)", "ddPpppp"),
    "aborted": ("Failed", "Degraded", ABORTED, ABORTED, 7, 7,
                "Analysis (error-rate, latency-p99)", "ddddddc"),
    "invalid-spec": ("Failed", "Degraded", INVALID, INVALID, 1, 1, "Set Weight: 150%", "c"),
    "progress-deadline": ("Failed", "Degraded", DEADLINE, DEADLINE, 1, 7, "Set Weight: 20%",
                          "cpppppp"),
    "inconclusive-analysis": ("Paused", "Paused", "InconclusiveAnalysisRun",
                              "InconclusiveAnalysisRun", 7, 7,
                              "Analysis (error-rate, latency-p99) (InconclusiveAnalysisRun)",
                              "ddddddP"),
    "bluegreen-preview": ("Paused", "Paused", "BlueGreenPause", "BlueGreenPause", None, 0, "",
                          ""),
    "bluegreen-active": ("Healthy", "Healthy", "", "", None, 0, "", ""),
    "workload-ref": ("Progressing", "Progressing", "more replicas need to be updated", "", 2, 2,
                     "Pause: 2m", "dc"),
    "all-step-types": ("Progressing", "Progressing", "waiting for all steps to complete", "", 13,
                       13, "Unknown step (teleport)", "dddddddddddd" + "c"),
}


def test_every_fixture_case_has_expectations():
    assert set(STATES) == set(CASES)


@pytest.mark.parametrize("name", sorted(STATES))
def test_status_message_attention_and_steps(name):
    status, phase, message, reason, index, count, label, states = STATES[name]
    v = view(name)
    assert (v.provider, v.status, v.native_phase, v.message) == ("argo", status, phase, message)
    assert (v.needs_attention, v.attention_reason) == (bool(reason), reason)
    assert (v.step_index, v.step_count, v.step_label) == (index, count, label)
    assert [s.state for s in v.steps] == [STATE_CODES[c] for c in states]


# case -> (strategy, set_weight, actual_weight, desired, updated, ready, available)
NUMBERS = {
    "healthy": ("Canary", 100, 100, 5, 5, 5, 5),
    "first-step": ("Canary", 20, 0, 5, 0, 5, 5),  # canary RS has nothing available yet
    "awaiting-promotion": ("Canary", 20, 20, 5, 1, 5, 5),  # 1 of 5 available pods
    "timed-pause": ("Canary", 50, 50, 5, 2, None, 4),  # 2 of 4 available pods
    "manually-paused": ("Canary", 50, 0, 5, None, None, None),
    "aborted": ("Canary", 0, 0, 5, 0, None, 5),
    "bluegreen-preview": ("BlueGreen", None, None, 3, 3, 6, 6),
    "workload-ref": ("Canary", 250, 200, 4, 1, 5, 5),  # routed weight, maxTrafficWeight 1000
    "all-step-types": ("Canary", 10, 10, 2, None, None, None),  # routed, no weights reported
}


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_strategy_weights_and_replicas(name):
    v = view(name)
    assert (v.strategy, v.set_weight, v.actual_weight, v.replicas, v.updated_replicas,
            v.ready_replicas, v.available_replicas) == NUMBERS[name]


@pytest.mark.parametrize(("name", "without_sets"), [
    ("awaiting-promotion", 20),  # 1 updated of 5 available
    ("timed-pause", 50),  # 2 updated of 4 available
    ("first-step", 0),  # nothing updated yet
])
def test_actual_weight_without_replicasets_comes_from_the_rollouts_status(name, without_sets):
    # List rows carry no ReplicaSets: the estimate from updated/available replicas must agree
    # with what the ReplicaSets say in these cases.
    case = CASES[name]
    bare = rollout_view(case["rollout"], [], cluster="lab")
    assert bare.actual_weight == without_sets == view(name).actual_weight


def test_identity_revisions_images_and_times():
    v = view("healthy")
    assert (v.key, v.api_version, v.resource_version) == (
        "lab/shop/storefront", "argoproj.io/v1alpha1", "771204")
    assert v.labels == {"team": "web", "app.kubernetes.io/part-of": "shop"}
    assert v.created == utc("2026-10-02T14:30:00")
    assert v.updated == utc("2026-11-28T16:04:10")
    assert v.images == STOREFRONT
    assert (v.workload_kind, v.workload_name) == ("", "")
    bg = view("bluegreen-preview")
    assert (bg.stable_revision, bg.canary_revision) == ("5f7b8d9c4", "7c9d5b8f6")


def test_workload_ref_takes_images_from_the_referenced_deployment():
    v = view("workload-ref")
    assert (v.workload_kind, v.workload_name) == ("Deployment", "catalog-template")
    assert v.images == ("registry.example.com/shop/catalog:5.0.1",
                        "registry.example.com/infra/memcached:1.6")
    assert rollout_view(CASES["workload-ref"]["rollout"]).images == ()  # workload not given


def test_pause_ends():
    assert view("timed-pause").paused_until == utc("2026-12-02T09:31:00")
    assert view("bare-number-pause").paused_until == utc("2026-12-02T10:01:30")
    assert view("awaiting-promotion").paused_until is None


def test_blue_green_auto_promotion_countdown():
    rollout = copy.deepcopy(CASES["bluegreen-preview"]["rollout"])
    rollout["spec"]["strategy"]["blueGreen"].update(autoPromotionEnabled=True,
                                                    autoPromotionSeconds=600)
    v = rollout_view(rollout)
    assert v.paused_until == utc("2026-12-03T08:10:00")
    assert v.attention_reason == "BlueGreenPause"


def test_labels_for_every_step_type():
    v = view("all-step-types")
    assert [(s.kind, s.label) for s in v.steps] == [
        ("setWeight", "Set Weight: 10%"),
        ("pause", "Pause: 30s"),
        ("pause", "Pause: 1h"),
        ("setCanaryScale", "Canary Scale: weight 25%"),
        ("setCanaryScale", "Canary Scale: 3 replicas"),
        ("setCanaryScale", "Canary Scale: match traffic weight"),
        ("setHeaderRoute", "Set Header: beta-users"),
        ("setHeaderRoute", "Remove Header"),
        ("setMirrorRoute", "Set Mirror: shadow"),
        ("setMirrorRoute", "Remove Mirror"),
        ("experiment", "Experiment (baseline, candidate)"),
        ("plugin", "argoproj-labs/step-notify"),
        ("unknown", "Unknown step (teleport)"),
    ]
    assert v.steps[-1].raw == {"teleport": {"to": "production"}}
    assert [s.label for s in view("healthy").steps][:6] == [
        "Set Weight: 20%", "Pause", "Set Weight: 50%", "Pause: 45s", "Set Weight: 80%",
        "Pause: 90s"]


def test_step_zero_of_n_is_not_complete():
    v = view("first-step")
    assert v.step_index == 1 and v.steps[0].state == "current"
    assert [s.state for s in v.steps].count("done") == 0


def _apply(rollout, changes):
    """The view of ``rollout`` after setting each "a__b__c" path to its value."""
    rollout = copy.deepcopy(rollout)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = rollout
        for key in parents:
            target = target.setdefault(key, {})
        target[leaf] = value
    return rollout_view(rollout)


def _healthy_with(**changes):
    return _apply(CASES["healthy"]["rollout"], changes)


# Rules 1-3 come before the controller's phase; the base status is otherwise Healthy.
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status__observedGeneration": "8"}, "waiting for rollout spec update to be observed"),
        ({"status__controllerPause": True}, "waiting for rollout to unpause"),
        ({"spec__workloadRef": {"kind": "Deployment", "name": "storefront"},
          "metadata__annotations": {"rollout.argoproj.io/workload-generation": "4"},
          "status__workloadObservedGeneration": "3"},
         "waiting for rollout spec update to be observed for the reference workload"),
    ],
)
def test_rules_that_win_over_the_controller_phase(changes, message):
    v = _healthy_with(**changes)
    assert (v.status, v.native_phase, v.message) == ("Progressing", "Progressing", message)


@pytest.mark.parametrize(
    "changes",
    [
        {"status__observedGeneration": "10"},  # newer than metadata.generation: observed
        {"status__observedGeneration": "7f4c8b8b9"},  # an old hash: treated as observed
        {"status__controllerPause": True,
         "status__pauseConditions": [{"reason": "CanaryPauseStep"}]},
        {"spec__workloadRef": {"kind": "Deployment", "name": "storefront"},
         "metadata__annotations": {"rollout.argoproj.io/workload-generation": "4"},
         "status__workloadObservedGeneration": "4"},
    ],
)
def test_controller_phase_used_when_generations_are_observed(changes):
    assert _healthy_with(**changes).status == "Healthy"


# Rule 5: controllers that do not write status.phase; each case breaks one more condition.
@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({}, "Healthy", ""),
        ({"status__conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded",
                                  "message": "ReplicaSet \"x\" has timed out progressing."}]},
         "Failed", 'ProgressDeadlineExceeded: ReplicaSet "x" has timed out progressing.'),
        ({"status__conditions": [{"type": "Progressing", "reason": "RolloutAborted",
                                  "message": "Rollout aborted update to revision 4"}],
          "spec__paused": True},  # Degraded wins over a manual pause
         "Failed", "RolloutAborted: Rollout aborted update to revision 4"),
        ({"status__conditions": [{"type": "InvalidSpec", "message": "bad"}],
          "status__pauseConditions": [{"reason": "BlueGreenPause"}]}, "Failed",
         "InvalidSpec: bad"),
        ({"spec__paused": True}, "Paused", "manually paused"),
        ({"status__pauseConditions": [{"reason": "CanaryPauseStep"}]}, "Paused",
         "CanaryPauseStep"),
        ({"spec__restartAt": "2026-12-04T10:00:00Z"}, "Progressing", "rollout is restarting"),
        ({"spec__restartAt": "2026-12-04T10:00:00Z",
          "status__restartedAt": "2026-12-04T10:00:00Z"}, "Healthy", ""),
        ({"status__updatedReplicas": 3}, "Progressing", "more replicas need to be updated"),
        ({"status__availableReplicas": 4}, "Progressing",
         "updated replicas are still becoming available"),
        ({"status__replicas": 7}, "Progressing", "old replicas are pending termination"),
        ({"status__stableRS": "6d8b9c7f5"}, "Progressing", "waiting for all steps to complete"),
    ],
)
def test_computed_phase_rules_in_order(changes, status, message):
    rollout = copy.deepcopy(CASES["healthy"]["rollout"])
    del rollout["status"]["phase"]
    v = _apply(rollout, changes)
    assert (v.status, v.message) == (status, message)
    assert v.needs_attention == (status == "Failed" or message == "manually paused")


@pytest.mark.parametrize(
    ("status_changes", "message"),
    [
        ({"blueGreen": {"activeSelector": "5f7b8d9c4"}}, "active service cutover pending"),
        ({"stableRS": "5f7b8d9c4"}, "waiting for post-promotion verification to complete"),
    ],
)
def test_computed_blue_green_rules(status_changes, message):
    rollout = copy.deepcopy(CASES["bluegreen-active"]["rollout"])
    del rollout["status"]["phase"]
    rollout["status"].update(status_changes)
    assert rollout_view(rollout).message == message
    rollout["spec"]["strategy"]["blueGreen"]["postPromotionAnalysis"] = {
        "templates": [{"templateName": "smoke"}]}
    if "stableRS" in status_changes:
        assert rollout_view(rollout).message == "waiting for analysis to complete"
