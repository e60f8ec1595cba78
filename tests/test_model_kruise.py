"""OpenKruise Rollouts -> RolloutView, against the hand-written fixtures in
tests/fixtures/model/kruise.yaml (one case per state)."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from rollouts_widgets.model import rollout_view
from rollouts_widgets.model.steps import kruise_step

CASES = yaml.safe_load((Path(__file__).parent / "fixtures/model/kruise.yaml").read_text())["cases"]
CHECKOUT_IMAGES = (
    "registry.example.com/shop/checkout:2.1.0",
    "registry.example.com/mesh/proxy:1.9",
    "registry.example.com/shop/checkout-migrate:2.1.0",
)


def view(name, **kw):
    case = CASES[name]
    return rollout_view(case["rollout"], case["related"], cluster="lab", **kw)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


PULL = ('ImagePullBackOff: pod cart-84c9f7d6b-qz7wk: Back-off pulling image '
        '"registry.example.com/shop/cart:3.1.0-typo"')
DEADLINE = ('ProgressDeadlineExceeded: ReplicaSet "checkout-x7k2p-7b5f6c9d8" has timed out '
            'progressing.')

# case -> (status, message, attention_reason, step_index, step_count, step_label, step states)
STATES = {
    "healthy": ("Healthy", "Rollout is Healthy", "", 3, 3, "Replicas: 100%", "ddd"),
    "upgrading": ("Progressing", "Rollout is in step(2/4), and upgrade workload to new version",
                  "", 2, 4, "Traffic: 40%, Replicas: 40%, Pause: 60s", "dcpp"),
    "awaiting-approval": ("Paused", "step 1/4 awaiting approval", "awaiting approval", 1, 4,
                          "Traffic: 20%, Replicas: 1, Pause (awaiting approval)", "appp"),
    "timed-pause": ("Paused", "step 2/4 paused for 60s", "", 2, 4,
                    "Traffic: 40%, Replicas: 40%, Pause: 60s", "dPpp"),
    "manually-paused": ("Paused", "manually paused", "manually paused", 3, 4,
                        "Traffic: 70%, Replicas: 70%, Pause: 300s (manually paused)", "ddPp"),
    "disabling": ("Disabled", "Disabling rollout, release resources", "", None, 2, "", "pp"),
    "disabled": ("Disabled", "rollout is disabled", "", None, 2, "", "pp"),
    "image-pull-failure": ("Failed", PULL, PULL, 1, 3, "Replicas: 1, Pause", "cpp"),
    "crashloop-failure": ("Failed", "CrashLoopBackOff: pod cart-84c9f7d6b-m4n8d",
                          "CrashLoopBackOff: pod cart-84c9f7d6b-m4n8d", 2, 3, "Replicas: 50%",
                          "dcp"),
    "progress-deadline": ("Failed", DEADLINE, DEADLINE, 1, 4, "Traffic: 20%, Replicas: 1, Pause",
                          "cppp"),
    "workload-not-found": ("Failed", "Workload Not Found", "Workload Not Found", None, 1, "", "p"),
    "finalising": ("Progressing", "Rollout is finalising", "", 4, 4,
                   "Traffic: 100%, Replicas: 100%", "dddd"),
    "blue-green-preview": ("Paused", "step 1/3 awaiting approval", "awaiting approval", 1, 3,
                           "Traffic: 0%, Replicas: 100%, Pause (awaiting approval)", "app"),
    "v1alpha1-partition": ("Progressing", "Rollout is in step(2/3), and doing traffic routing",
                           "", 2, 3, "Weight: 40%, Replicas: 2, Pause: 30s", "dcp"),
    "v1alpha1-canary": ("Healthy", "Rollout is Healthy", "", 2, 2, "Weight: 100%", "dd"),
    "cloneset-partition": (
        "Progressing", "progressing", "", 1, 3,
        "Match: header x-canary=true or path /api/v2 and query beta=1, "
        "Modify Headers: set x-route; remove x-debug, Pause", "cpp"),
}
# "a" awaiting-approval, "P" paused, "c" current, "d" done, "p" pending
STATE_CODES = {"a": "awaiting-approval", "P": "paused", "c": "current", "d": "done",
               "p": "pending"}


def test_every_fixture_case_has_expectations():
    assert set(STATES) == set(CASES)


@pytest.mark.parametrize("name", sorted(STATES))
def test_status_message_attention_and_steps(name):
    status, message, reason, index, count, label, states = STATES[name]
    v = view(name)
    assert (v.provider, v.status, v.message) == ("kruise", status, message)
    assert (v.needs_attention, v.attention_reason) == (bool(reason), reason)
    assert (v.step_index, v.step_count, v.step_label) == (index, count, label)
    assert [s.state for s in v.steps] == [STATE_CODES[c] for c in states]
    assert [s.index for s in v.steps] == list(range(1, count + 1))


# case -> (strategy, set_weight, actual_weight, desired, updated, ready, available)
NUMBERS = {
    "healthy": ("Partition", None, 100, 4, 4, 4, 4),
    "upgrading": ("Canary", 40, 40, 5, 2, 5, 5),
    "awaiting-approval": ("Canary", 20, 20, 5, 1, 5, 5),
    "manually-paused": ("Canary", 70, 60, 5, 3, 5, 5),
    "disabled": ("Partition", None, None, None, None, None, None),
    "progress-deadline": ("Canary", 20, None, 5, None, 5, 5),
    "finalising": ("Canary", 100, 100, 5, 0, 5, 5),
    "blue-green-preview": ("BlueGreen", 0, 100, 3, 3, 6, 6),
    "v1alpha1-partition": ("Partition", 40, 25, 8, 2, 8, 8),
    "v1alpha1-canary": ("Canary", 100, 100, None, None, None, None),
    "cloneset-partition": ("Partition", None, None, None, None, None, None),
}


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_strategy_weights_and_replicas(name):
    v = view(name)
    assert (v.strategy, v.set_weight, v.actual_weight, v.replicas, v.updated_replicas,
            v.ready_replicas, v.available_replicas) == NUMBERS[name]


def test_identity_fields_and_times():
    v = view("healthy")
    assert (v.cluster, v.namespace, v.name, v.api_version) == (
        "lab", "shop", "cart", "rollouts.kruise.io/v1beta1")
    assert v.key == "lab/shop/cart"
    assert v.labels == {"team": "basket", "tier": "web"}
    assert v.created == utc("2026-11-20T08:00:00")
    assert v.updated == utc("2026-11-30T09:12:04")  # the latest condition time
    assert v.resource_version == "48213"
    assert (v.workload_kind, v.workload_name) == ("Deployment", "cart")
    # the same-named Deployment in another namespace is not this rollout's workload
    assert v.images == ("registry.example.com/shop/cart:3.0.2",)


def test_images_come_from_the_workload_template_including_init_containers():
    assert view("upgrading").images == CHECKOUT_IMAGES
    assert view("blue-green-preview").images == ("registry.example.com/billing/payments:7.2",)
    assert view("blue-green-preview").workload_kind == "CloneSet"


def test_revisions_use_the_pod_label_value_of_the_new_version():
    v = view("upgrading")
    assert (v.stable_revision, v.canary_revision) == ("6f9d4c7b8", "7b5f6c9d8")
    assert view("blue-green-preview").canary_revision == "9f8e7"


def test_timed_pause_ends_at_last_update_plus_duration():
    v = view("timed-pause")
    assert v.paused_until == utc("2026-12-01T10:07:30")
    assert not v.needs_attention
    assert view("awaiting-approval").paused_until is None


def test_pause_without_duration_needs_approval_but_zero_duration_does_not_stop():
    labels = [s.label for s in view("healthy").steps]
    # step 2 has pause {duration: 0}; step 3 is the last at 100% and passes by itself
    assert labels == ["Replicas: 1, Pause", "Replicas: 50%", "Replicas: 100%"]
    assert [s.kind for s in view("healthy").steps] == ["replicas"] * 3


def test_step_kinds_and_raw_json():
    v = view("cloneset-partition")
    assert [s.kind for s in v.steps] == ["matches", "replicas", "replicas"]
    assert v.steps[1].label == "Replicas: 50%, Modify Headers: add x-env, Pause"
    assert v.steps[2].raw == {"replicas": "100%"}
    assert [s.kind for s in view("v1alpha1-partition").steps] == ["weight"] * 3
    assert [s.kind for s in view("upgrading").steps] == ["traffic"] * 4


def test_v1alpha1_style_comes_from_the_annotation():
    rollout = dict(CASES["v1alpha1-partition"]["rollout"])
    rollout["metadata"] = {"name": "reviews", "namespace": "shop",
                           "annotations": {"rollouts.kruise.io/rolling-style": "canary"}}
    assert rollout_view(rollout).strategy == "Canary"
    assert view("v1alpha1-partition").strategy == "Partition"  # "Partition", any case


def test_manual_pause_wins_over_a_step_pause():
    case = CASES["awaiting-approval"]
    rollout = {**case["rollout"], "spec": {**case["rollout"]["spec"],
                                           "strategy": {**case["rollout"]["spec"]["strategy"],
                                                        "paused": True}}}
    v = rollout_view(rollout, case["related"])
    assert (v.status, v.message, v.attention_reason) == ("Paused", "manually paused",
                                                         "manually paused")
    assert v.steps[0].state == "paused"


def test_failure_needs_the_workload_and_pods_in_related():
    v = rollout_view(CASES["image-pull-failure"]["rollout"])
    assert (v.status, v.message) == ("Progressing",
                                     "Rollout is in step(1/3), and upgrade workload to new version")


def test_healthy_rollout_ignores_crashing_pods_of_the_new_hash():
    related = CASES["crashloop-failure"]["related"]
    v = rollout_view(CASES["healthy"]["rollout"], related)
    assert v.status == "Healthy"


def test_missing_status_is_unknown_but_keeps_the_plan():
    rollout = {k: v for k, v in CASES["upgrading"]["rollout"].items() if k != "status"}
    v = rollout_view(rollout, CASES["upgrading"]["related"])
    assert (v.status, v.message) == ("Unknown", "no status reported by the controller yet")
    assert (v.step_index, v.step_count, v.strategy) == (None, 4, "Canary")
    assert {s.state for s in v.steps} == {"pending"}
    assert v.images == CHECKOUT_IMAGES


@pytest.mark.parametrize(
    ("phase", "status", "message"),
    [("Initial", "Progressing", "initial"), ("Terminating", "Progressing", "terminating"),
     ("", "Unknown", "the controller has not reported a phase yet"),
     ("Exploding", "Unknown", "unrecognised phase 'Exploding'")],
)
def test_other_phases(phase, status, message):
    rollout = {**CASES["disabled"]["rollout"], "status": {"phase": phase, "observedGeneration": 1}}
    v = rollout_view(rollout)
    assert (v.status, v.native_phase, v.message) == (status, phase, message)


@pytest.mark.parametrize(
    ("step", "last", "v1alpha1", "kind", "label"),
    [
        ({}, False, False, "pause", "Pause"),  # Kruise: no pause field = wait for approval
        ({"pause": {}}, False, False, "pause", "Pause"),
        ({"pause": {"duration": 30}}, False, False, "pause", "Pause: 30s"),
        ({"replicas": "100%", "pause": {}}, True, False, "replicas", "Replicas: 100%"),
        ({"replicas": "100%", "pause": {}}, False, False, "replicas", "Replicas: 100%, Pause"),
        ({"traffic": "10%", "matches": [{"headers": [{"name": "x-user", "value": "qa"}]}],
          "pause": {"duration": 0}}, False, False, "matches", "Match: header x-user=qa, "
         "Traffic: 10%"),
        ({"requestHeaderModifier": {"set": [{"name": "x-a", "value": "1"}]}}, False, False,
         "requestHeaderModifier", "Modify Headers: set x-a, Pause"),
        ({"weight": 30}, False, True, "weight", "Weight: 30%, Pause"),
        ({"weight": 100}, True, True, "weight", "Weight: 100%"),  # implied replicas 100%
        ({"weight": 30}, False, False, "pause", "Pause"),  # v1beta1 has no weight field
        ({"replicas": "lots"}, False, False, "replicas", "Replicas: lots, Pause"),
    ],
)
def test_kruise_step_kinds_and_labels(step, last, v1alpha1, kind, label):
    spec = kruise_step(step, last=last, v1alpha1=v1alpha1)
    assert (spec.kind, spec.label) == (kind, label)
    assert spec.raw is step
