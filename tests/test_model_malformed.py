"""Malformed, hostile and unexpected input: rollout_view never raises, says why in an
"Unknown" view, passes hostile text through unchanged but bounded, and ignores what it
does not know."""

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rollouts_widgets.model import STATUSES, RolloutView, parse, rollout_view
from rollouts_widgets.model.parse import MAX_SHORT, MAX_TEXT

FIXTURES = Path(__file__).parent / "fixtures/model"
ARGO = yaml.safe_load((FIXTURES / "argo.yaml").read_text())["cases"]
KRUISE = yaml.safe_load((FIXTURES / "kruise.yaml").read_text())["cases"]
ARGO_HEALTHY = ARGO["healthy"]["rollout"]
KRUISE_UPGRADING = KRUISE["upgrading"]["rollout"]
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;'


def with_value(rollout, path, value):
    rollout = copy.deepcopy(rollout)
    target = rollout
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return rollout


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        (None, "expected a Rollout object, got NoneType"),
        ([ARGO_HEALTHY], "expected a Rollout object, got list"),
        ("kind: Rollout", "expected a Rollout object, got str"),
        (42, "expected a Rollout object, got int"),
        ({}, "apiVersion is missing"),
        ({"apiVersion": 3, "kind": "Rollout"}, "apiVersion is missing"),
        ({"apiVersion": "apps/v1", "kind": "Deployment"}, "unsupported apiVersion 'apps/v1'"),
        ({"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun", "metadata": {"name": "a"}},
         "expected kind 'Rollout', got 'AnalysisRun'"),
        ({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout"}, "metadata is missing"),
        ({"apiVersion": "rollouts.kruise.io/v1beta1", "metadata": {"namespace": "shop"}},
         "metadata.name is missing"),
    ],
)
def test_not_a_rollout(obj, message):
    v = rollout_view(obj)
    assert isinstance(v, RolloutView)
    assert (v.status, v.message) == ("Unknown", f"malformed rollout: {message}")
    assert not v.needs_attention and v.steps == ()


@pytest.mark.parametrize(
    ("base", "path", "value", "message"),
    [
        (ARGO_HEALTHY, ("metadata",), "storefront", "metadata must be an object, got a string"),
        (ARGO_HEALTHY, ("metadata", "name"), 5, "metadata.name must be a string, got an integer"),
        (ARGO_HEALTHY, ("metadata", "labels"), ["a"],
         "metadata.labels must be an object, got a list"),
        (ARGO_HEALTHY, ("spec",), [], "spec must be an object, got a list"),
        (ARGO_HEALTHY, ("spec", "strategy"), "canary",
         "spec.strategy must be an object, got a string"),
        (ARGO_HEALTHY, ("spec", "strategy", "canary", "steps"), {"setWeight": 5},
         "spec.strategy.canary.steps must be a list, got an object"),
        (ARGO_HEALTHY, ("spec", "replicas"), "5", "spec.replicas must be an integer, got a string"),
        (ARGO_HEALTHY, ("status",), "Healthy", "status must be an object, got a string"),
        (ARGO_HEALTHY, ("status", "phase"), 3, "status.phase must be a string, got an integer"),
        (ARGO_HEALTHY, ("status", "currentStepIndex"), "7",
         "status.currentStepIndex must be an integer, got a string"),
        (ARGO_HEALTHY, ("status", "pauseConditions"), {"reason": "x"},
         "status.pauseConditions must be a list, got an object"),
        (KRUISE_UPGRADING, ("spec", "workloadRef"), "checkout",
         "spec.workloadRef must be an object, got a string"),
        (KRUISE_UPGRADING, ("status", "conditions"), {},
         "status.conditions must be a list, got an object"),
        (KRUISE_UPGRADING, ("status", "canaryStatus", "currentStepIndex"), True,
         "status.canaryStatus.currentStepIndex must be an integer, got a boolean"),
        (KRUISE_UPGRADING, ("status", "canaryStatus", "canaryReplicas"), 1.5,
         "status.canaryStatus.canaryReplicas must be an integer, got a number"),
        (KRUISE_UPGRADING, ("status", "canaryStatus"), [],
         "status.canaryStatus must be an object, got a list"),
        (KRUISE_UPGRADING, ("spec", "strategy", "canary", "steps"), [{}] * 101,
         "spec.strategy.canary.steps has 101 steps (at most 100 are supported)"),
    ],
)
def test_wrong_types_give_unknown_with_the_field_named(base, path, value, message):
    v = rollout_view(with_value(base, path, value), cluster="lab")
    assert (v.status, v.message) == ("Unknown", f"malformed rollout: {message}")
    assert v.provider == ("argo" if base is ARGO_HEALTHY else "kruise")
    assert v.api_version == base["apiVersion"]
    if path[0] != "metadata":  # identity survives so the row keeps its key
        assert (v.key, v.resource_version) == (f"lab/shop/{base['metadata']['name']}",
                                               base["metadata"].get("resourceVersion", ""))


@pytest.mark.parametrize("base", [ARGO_HEALTHY, KRUISE_UPGRADING], ids=["argo", "kruise"])
def test_missing_status(base):
    rollout = {k: v for k, v in base.items() if k != "status"}
    for obj in (rollout, {**rollout, "status": {}}):
        v = rollout_view(obj)
        assert (v.status, v.message) == ("Unknown", "no status reported by the controller yet")
        assert v.step_index is None and {s.state for s in v.steps} == {"pending"}
        assert (v.set_weight, v.actual_weight) == (None, None)


@pytest.mark.parametrize("name", sorted(ARGO))
def test_unknown_fields_are_ignored_argo(name):
    _assert_unknown_fields_ignored(ARGO[name])


@pytest.mark.parametrize("name", sorted(KRUISE))
def test_unknown_fields_are_ignored_kruise(name):
    _assert_unknown_fields_ignored(KRUISE[name])


def _assert_unknown_fields_ignored(case):
    noisy = copy.deepcopy(case["rollout"])
    noisy["futureField"] = {"x": [1, 2]}
    noisy["metadata"]["managedFields"] = [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]
    noisy["spec"]["someNewKnob"] = True
    noisy.setdefault("status", {})["newCounter"] = 3
    expected = rollout_view(case["rollout"], case["related"]).to_row()
    assert rollout_view(noisy, case["related"]).to_row() == expected


def test_unknown_step_types_get_a_generic_label():
    argo = with_value(ARGO_HEALTHY, ("spec", "strategy", "canary", "steps"),
                      [{"setWeight": 10}, {"warp": {"speed": 9}}, "not-a-step", {}])
    kruise = with_value(KRUISE_UPGRADING, ("spec", "strategy", "canary", "steps"),
                        [{"traffic": "10%"}, {"teleport": {}}, 7])
    assert [(s.kind, s.label) for s in rollout_view(argo).steps] == [
        ("setWeight", "Set Weight: 10%"), ("unknown", "Unknown step (warp)"),
        ("unknown", "Unknown step"), ("unknown", "Unknown step")]
    assert [(s.kind, s.label) for s in rollout_view(kruise).steps] == [
        ("traffic", "Traffic: 10%, Pause"), ("unknown", "Unknown step (teleport)"),
        ("unknown", "Unknown step")]


def test_hostile_text_passes_through_unchanged():
    rollout = copy.deepcopy(KRUISE["awaiting-approval"]["rollout"])
    rollout["metadata"]["labels"] = {"owner": SCRIPT, SCRIPT[:60]: "x"}
    rollout["status"]["phase"] = "Disabling"
    rollout["status"]["message"] = SCRIPT
    v = rollout_view(rollout)
    assert v.labels == {"owner": SCRIPT, SCRIPT[:60]: "x"}
    assert (v.status, v.message) == ("Disabled", SCRIPT)
    argo = with_value(ARGO["aborted"]["rollout"], ("status", "message"), SCRIPT)
    assert rollout_view(argo).attention_reason == SCRIPT


def test_huge_strings_are_bounded():
    huge = "A" * 2_000_000
    rollout = copy.deepcopy(ARGO["aborted"]["rollout"])
    rollout["metadata"]["name"] = "n" * 10_000
    rollout["metadata"]["labels"] = {"big": huge, **{f"k{i}": "v" for i in range(1000)}}
    rollout["status"]["message"] = huge
    rollout["spec"]["strategy"]["canary"]["steps"][-1] = {"plugin": {"name": huge}}
    rollout["spec"]["template"]["spec"]["containers"][0]["image"] = huge
    v = rollout_view(rollout)
    assert v.status == "Failed"
    assert len(v.message) == MAX_TEXT and v.message == "A" * (MAX_TEXT - 1) + "…"
    assert v.attention_reason == v.message
    assert len(v.name) == MAX_SHORT and len(v.labels["big"]) == MAX_SHORT
    assert len(v.labels) == 128
    assert len(v.images[0]) == MAX_SHORT
    assert max(len(s.label) for s in v.steps) <= 200
    assert len(json.dumps(v.to_row())) < 60_000


@pytest.mark.parametrize(
    "related",
    [None, [], [None, 1, "Pod", b"x", ["nested"]], 42, "ReplicaSet", {"kind": "Pod"},
     (o for o in [])],
)
def test_junk_related_is_ignored(related):
    case = ARGO["healthy"]
    assert rollout_view(case["rollout"], related) == rollout_view(case["rollout"], [])


def test_related_accepts_any_iterable():
    case = KRUISE["upgrading"]
    expected = rollout_view(case["rollout"], case["related"])
    assert rollout_view(case["rollout"], iter(case["related"])) == expected
    assert rollout_view(case["rollout"], tuple(case["related"])).images == expected.images


def test_a_failing_related_iterable_gives_unknown_not_an_exception():
    def broken():
        yield KRUISE["upgrading"]["related"][0]
        raise RuntimeError("watch cache went away")

    v = rollout_view(KRUISE_UPGRADING, broken(), cluster="lab")
    assert (v.status, v.message) == ("Unknown", "could not read rollout: RuntimeError")
    assert v.key == "lab/shop/checkout"


def test_cluster_must_be_text():
    assert rollout_view(ARGO_HEALTHY, cluster=None).cluster == ""  # type: ignore[arg-type]
    assert rollout_view(ARGO_HEALTHY, cluster="c" * 1000).cluster == "c" * 255 + "…"


# Fuzzing: any value anywhere in a real fixture still gives a view.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12,
)
ALL_CASES = [*ARGO.values(), *KRUISE.values()]


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _paths(value, (*prefix, index))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(ALL_CASES), data=st.data(), value=JSON)
def test_fuzzed_rollouts_never_raise(case, data, value):
    paths = [p for p in _paths(case["rollout"]) if p]
    path = data.draw(st.sampled_from(paths))
    v = rollout_view(with_value(case["rollout"], path, value), case["related"])
    assert v.status in STATUSES
    assert len(v.message) <= MAX_TEXT
    json.dumps(v.to_row())  # a row always serialises for the widgets


# The shared readers behind both providers.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-01T10:00:00Z", "2026-12-01T10:00:00+00:00"),
        ("2026-12-01T10:00:00.123456789Z", "2026-12-01T10:00:00.123456+00:00"),
        ("2026-12-01T12:30:00+02:30", "2026-12-01T10:00:00+00:00"),
        ("2026-12-01t10:00:00z", "2026-12-01T10:00:00+00:00"),
        ("2026-02-30T10:00:00Z", None),
        ("2026-12-01", None),
        ("yesterday", None),
        (1733047200, None),
        ("2" * 10_000, None),
    ],
)
def test_timestamp(value, expected):
    parsed = parse.timestamp(value)
    assert (parsed.isoformat() if parsed else None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, (3, False)), ("20%", (20, True)), (" 40 % ", (40, True)), ("7", (7, False)),
     (True, None), (-1, None), ("-5%", None), ("1.5", None), ("²", None), (None, None),
     (10**12, None)],
)
def test_int_or_percent(value, expected):
    assert parse.int_or_percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(30, 30.0), ("30", 30.0), ("45s", 45.0), ("1m30s", 90.0), ("1h", 3600.0), ("1.5s", 1.5),
     ("250ms", 0.25), ("", None), ("30x", None), ("s", None), ("1m 30s", None), (-3, None),
     (False, None)],
)
def test_duration_seconds(value, expected):
    assert parse.duration_seconds(value) == expected


def test_nested_get_checks_types_at_every_step():
    obj = {"a": {"b": [{"c": "x"}]}, "n": True}
    assert parse.get(obj, "a", "b", 0, "c") == "x"
    assert parse.get(obj, "a", "b", 1, "c") is None
    assert parse.get(obj, "a", "c", "d") is None
    assert parse.get(obj, "a", "b", "c") is None  # a list indexed by a key
    assert parse.integer(obj, "n") is None  # a boolean is not an integer
    assert parse.text(obj, "a") == ""  # an object is not text
    assert parse.bound("abcdef", 4) == "abc…" and parse.bound("abcd", 4) == "abcd"


def test_absurd_numbers_do_not_break_labels_or_weights():
    steps = [{"setWeight": 10**5000}, {"pause": {"duration": 10**5000}},
             {"pause": {"duration": "9" * 5000}}, {"pause": {"duration": -5}}]
    rollout = with_value(ARGO["first-step"]["rollout"], ("spec", "strategy", "canary", "steps"),
                         steps)
    rollout["status"]["observedGeneration"] = "9" * 5000
    v = rollout_view(rollout)
    assert v.status == "Progressing"
    assert [s.label for s in v.steps] == ["Set Weight (invalid)", "Pause (invalid duration)",
                                          "Pause (invalid duration)", "Pause (invalid duration)"]
    assert v.set_weight == 0
