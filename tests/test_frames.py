"""pandas exports: exact columns, dtypes and values, empty inputs, and duck-typed live sources."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
import yaml

import rollouts_widgets as rw
from rollouts_widgets import frames
from rollouts_widgets.actions.audit import ActionRecord, AuditLog
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.model import related as related_model
from rollouts_widgets.model.analysis import (
    Measurement,
    MetricResult,
    RolloutAnalysisRun,
    RolloutAnalysisSummary,
    not_configured,
)
from rollouts_widgets.model.events import RolloutWatchEvent
from rollouts_widgets.model.view import STATUSES, RolloutView, StepView

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
UTC = "datetime64[ns, UTC]"


def _view(name: str = "checkout", **kw) -> RolloutView:
    base = dict(
        cluster="prod", namespace="shop", name=name, provider="kruise",
        api_version="rollouts.kruise.io/v1beta1", strategy="Canary", status="Progressing",
        native_phase="Progressing", message="InRolling",
    )
    base.update(kw)
    return RolloutView(**base)


STEPS = (
    StepView(1, "traffic", "Traffic: 20%", "done", {"traffic": "20%"}),
    StepView(2, "pause", "Pause (manual)", "awaiting-approval", {"pause": {}}),
    StepView(3, "replicas", "Replicas: 100%", "pending", {"replicas": "100%"}),
)

CHECKOUT = _view(
    step_index=2, step_count=3, step_label="Pause (manual)", steps=STEPS, set_weight=20,
    actual_weight=18, replicas=5, ready_replicas=5, updated_replicas=1, available_replicas=5,
    stable_revision="6f8d", canary_revision="7a9c", images=("repo/checkout:2", "repo/side:1"),
    labels={"app": "checkout", "team": "payments"}, workload_kind="Deployment",
    workload_name="checkout", created=T0, updated=T0 + timedelta(minutes=5),
    paused_until=None, resource_version="42", needs_attention=True,
    attention_reason="awaiting approval", status="Paused",
)


class Store:
    """The frame's input contract of a live store: ``.views()`` and ``.get(ref)``."""

    def __init__(self, views):
        self._views = list(views)

    def views(self):
        return list(self._views)

    def get(self, ref):
        return next((v for v in self._views if ref in (v.ref, v.key)), None)


def test_rollouts_frame_values_and_dtypes():
    frame = rw.rollouts_frame([CHECKOUT, _view("cart", status="Healthy")])
    assert list(frame.columns) == list(frames.ROLLOUT_SCHEMA)
    assert frame["status"].dtype == pd.CategoricalDtype(list(STATUSES))
    assert list(frame["status"]) == ["Paused", "Healthy"]
    assert str(frame["created"].dtype) == UTC
    assert str(frame["paused_until"].dtype) == UTC
    assert str(frame["set_weight"].dtype) == "Int64"
    first = frame.iloc[0]
    assert first["key"] == "prod/shop/checkout"
    assert first["images"] == "repo/checkout:2, repo/side:1"
    assert first["labels"] == "app=checkout, team=payments"
    assert first["created"] == pd.Timestamp("2026-03-01 12:00", tz="UTC")
    assert first["updated"] == pd.Timestamp("2026-03-01 12:05", tz="UTC")
    assert (first["step_index"], first["step_count"], first["set_weight"]) == (2, 3, 20)
    assert bool(first["needs_attention"]) is True
    assert pd.isna(frame.iloc[1]["set_weight"]) and pd.isna(frame.iloc[1]["created"])
    assert frame.iloc[1]["images"] == "" and frame.iloc[1]["labels"] == ""


def test_rollouts_frame_empty_and_store_sources():
    empty = rw.rollouts_frame([])
    full = rw.rollouts_frame([CHECKOUT])
    assert empty.shape == (0, len(frames.ROLLOUT_SCHEMA))
    assert list(empty.dtypes) == list(full.dtypes)
    from_store = rw.rollouts_frame(Store([CHECKOUT]))
    pd.testing.assert_frame_equal(from_store, full)
    pd.testing.assert_frame_equal(rw.rollouts_frame(CHECKOUT), full)


def test_rollouts_frame_rejects_non_iterables():
    with pytest.raises(RolloutsError) as err:
        rw.rollouts_frame(42)
    assert err.value.code == "INVALID_INPUT"


def test_steps_frame_from_view_and_store():
    frame = rw.steps_frame(CHECKOUT)
    assert list(frame.columns) == ["index", "kind", "label", "state", "raw"]
    assert list(frame["index"]) == [1, 2, 3]
    assert list(frame["state"]) == ["done", "awaiting-approval", "pending"]
    assert list(frame["raw"]) == ['{"traffic":"20%"}', '{"pause":{}}', '{"replicas":"100%"}']
    pd.testing.assert_frame_equal(rw.steps_frame(Store([CHECKOUT]), "shop/checkout"), frame)
    assert rw.steps_frame(_view()).shape == (0, 5)
    with pytest.raises(RolloutsError) as err:
        rw.steps_frame(Store([CHECKOUT]), "shop/nope")
    assert err.value.code == "NOT_FOUND"
    with pytest.raises(RolloutsError) as err:
        rw.steps_frame(Store([CHECKOUT]))
    assert err.value.code == "INVALID_INPUT"


# -- revisions and pods -----------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures" / "related"


def _argo_canary():
    rollout, *related = yaml.safe_load_all((FIXTURES / "argo_canary.yaml").read_text("utf-8"))
    return rollout, related


class Cluster:
    """The frame's input contract of a cluster: per-rollout ``revisions``/``pods``/``analysis``
    and an ``audit_log``."""

    def __init__(self, rollout, related, analysis=None, audit=()):
        self.rollout, self.related = rollout, related
        self._analysis, self._audit = analysis, list(audit)
        self.asked: list[str] = []

    def revisions(self, ref):
        self.asked.append(ref)
        return related_model.revisions(self.rollout, self.related)

    def pods(self, ref):
        self.asked.append(ref)
        return related_model.pods(self.rollout, self.related)

    def analysis(self, ref):
        self.asked.append(ref)
        return self._analysis

    def audit_log(self):
        return list(self._audit)


def test_revisions_frame_values():
    rollout, related = _argo_canary()
    frame = rw.revisions_frame(related_model.revisions(rollout, related))
    assert list(frame.columns) == list(frames.REVISION_SCHEMA)
    assert list(frame["role"]) == ["canary", "stable", "old"]
    assert list(frame["health"]) == ["Progressing", "Progressing", "ScaledDown"]
    assert list(frame["revision"]) == [4, 3, 2]
    assert list(frame["pod_count"]) == [1, 2, 1]
    assert list(frame["available_replicas"]) == [0, 3, 0]
    assert frame.iloc[0]["images"] == "repo/checkout:1.1, repo/migrate:1.1"
    assert frame.iloc[0]["created"] == pd.Timestamp("2026-03-02 09:00", tz="UTC")
    assert str(frame["created"].dtype) == UTC and str(frame["revision"].dtype) == "Int64"


def test_revisions_and_pods_frames_from_a_live_source_and_empty():
    rollout, related = _argo_canary()
    cluster = Cluster(rollout, related)
    live = rw.revisions_frame(cluster, "shop/checkout")
    pd.testing.assert_frame_equal(
        live, rw.revisions_frame(related_model.revisions(rollout, related))
    )
    pods = rw.pods_frame(cluster, "shop/checkout")
    assert cluster.asked == ["shop/checkout", "shop/checkout"]
    assert list(pods.columns) == list(frames.POD_SCHEMA)
    crash = pods[pods["state"] == "CrashLoopBackOff"].iloc[0]
    assert (crash["name"], crash["restarts"], bool(crash["ready"]), crash["revision"]) == (
        "checkout-7f9c8d6a4-ccccc", 7, False, "7f9c8d6a4"
    )
    assert list(pods["state"]) == ["CrashLoopBackOff", "Ready", "Ready", "Terminating"]
    assert str(pods["created"].dtype) == UTC
    for frame, full in ((rw.revisions_frame([]), live), (rw.pods_frame([]), pods)):
        assert len(frame) == 0 and list(frame.dtypes) == list(full.dtypes)
    with pytest.raises(RolloutsError) as err:
        rw.pods_frame(cluster)
    assert err.value.code == "INVALID_INPUT"


# -- analysis ---------------------------------------------------------------------------------

SUMMARY = RolloutAnalysisSummary(
    source="argo", status="Failed", summary="1 of 2 runs failed",
    runs=(
        RolloutAnalysisRun(
            name="checkout-7f9c-2", namespace="shop", phase="Failed", kind="step",
            revision="4", step_index=3,
            metrics=(
                MetricResult(
                    name="success-rate", phase="Failed", failed=1, successful=1, count=2,
                    success_condition="result[0] >= 0.95", failure_limit=1,
                    measurements=(
                        Measurement("Successful", "[0.97]", T0, T0 + timedelta(seconds=5)),
                        Measurement("Failed", "[0.81]", T0 + timedelta(minutes=1), None,
                                    "below threshold"),
                    ),
                ),
                MetricResult(name="no-data", phase="Running"),
            ),
        ),
        RolloutAnalysisRun(
            name="checkout-bg", namespace="shop", phase="Successful", kind="background",
            metrics=(MetricResult(name="latency", phase="Successful", inconclusive_limit=2,
                                  failure_condition="result > 300",
                                  measurements=(Measurement("Successful", "212"),)),),
        ),
    ),
)


def test_analysis_frame_one_row_per_measurement():
    frame = rw.analysis_frame(SUMMARY)
    assert list(frame.columns) == list(frames.ANALYSIS_SCHEMA)
    assert list(frame["metric"]) == ["success-rate", "success-rate", "latency"]
    assert list(frame["phase"]) == ["Successful", "Failed", "Successful"]
    assert list(frame["value"]) == ["[0.97]", "[0.81]", "212"]
    assert list(frame["number"]) == [0.97, 0.81, 212.0]
    assert list(frame["step_index"].astype(object).where(frame["step_index"].notna(), None)) == [
        3, 3, None
    ]
    assert frame.iloc[1]["message"] == "below threshold"
    assert pd.isna(frame.iloc[1]["finished"])
    assert frame.iloc[0]["finished"] == pd.Timestamp("2026-03-01 12:00:05", tz="UTC")
    assert frame.iloc[0]["success_condition"] == "result[0] >= 0.95"
    assert frame.iloc[0]["failure_limit"] == 1 and pd.isna(frame.iloc[0]["inconclusive_limit"])
    assert frame.iloc[2]["inconclusive_limit"] == 2
    assert frame.iloc[2]["failure_condition"] == "result > 300"
    assert str(frame["started"].dtype) == UTC and str(frame["number"].dtype) == "Float64"


def test_analysis_frame_live_and_not_configured():
    cluster = Cluster({}, [], analysis=SUMMARY)
    pd.testing.assert_frame_equal(rw.analysis_frame(cluster, "shop/checkout"),
                                  rw.analysis_frame(SUMMARY))
    empty = rw.analysis_frame(not_configured())
    assert len(empty) == 0
    assert list(empty.dtypes) == list(rw.analysis_frame(SUMMARY).dtypes)


def test_measurement_numbers():
    assert [frames._number(v) for v in ("1.5", "[2]", " 3 ", "[1, 2]", "NaNx", None, True, 4)] \
        == [1.5, 2.0, 3.0, None, None, None, None, 4.0]


# -- watch events and the timeline ------------------------------------------------------------

def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


V0 = _view(step_index=1, step_count=3, step_label="Traffic: 20%", set_weight=20, actual_weight=0)
V1 = replace(V0, actual_weight=20, resource_version="2")
V2 = replace(V1, step_index=2, step_label="Pause (manual)", status="Paused")
OTHER = _view("cart", status="Healthy")
EVENTS = [
    RolloutWatchEvent("snapshot", _at(0), rollouts=(V0, OTHER)),
    RolloutWatchEvent("upsert", _at(1), "prod", "shop", "checkout", "2", rollout=V1, previous=V0),
    RolloutWatchEvent("upsert", _at(2), "prod", "shop", "cart", "7", rollout=OTHER),
    RolloutWatchEvent("error", _at(3), "prod", message="watch failed 5 times",
                      code="WATCH_STREAM_UNAVAILABLE"),
    RolloutWatchEvent("upsert", _at(4), "prod", "shop", "checkout", "3", rollout=V2, previous=V1),
    RolloutWatchEvent("delete", _at(5), "prod", "shop", "checkout", "4", rollout=V2),
]


class EventSource:
    def events(self):
        return list(EVENTS)


def test_events_frame_before_and_after():
    frame = rw.events_frame(EVENTS)
    assert list(frame.columns) == list(frames.EVENT_SCHEMA)
    assert list(frame["type"]) == ["snapshot", "upsert", "upsert", "error", "upsert", "delete"]
    second = frame.iloc[1]
    assert (second["actual_weight_before"], second["actual_weight_after"]) == (0, 20)
    assert (second["status_before"], second["status_after"]) == ("Progressing", "Progressing")
    fifth = frame.iloc[4]
    assert (fifth["step_index_before"], fifth["step_index_after"]) == (1, 2)
    assert (fifth["status_before"], fifth["status_after"]) == ("Progressing", "Paused")
    error = frame.iloc[3]
    assert (error["code"], error["message"], error["name"]) == (
        "WATCH_STREAM_UNAVAILABLE", "watch failed 5 times", ""
    )
    assert pd.isna(error["status_after"]) and pd.isna(error["set_weight_after"])
    assert frame.iloc[2]["resource_version"] == "7"
    assert frame["ts"].iloc[-1] == pd.Timestamp("2026-03-01 12:05", tz="UTC")
    assert frame["status_after"].dtype == pd.CategoricalDtype(list(STATUSES))
    pd.testing.assert_frame_equal(rw.events_frame(EventSource()), frame)
    empty = rw.events_frame([])
    assert len(empty) == 0 and list(empty.dtypes) == list(frame.dtypes)


def test_timeline_frame_for_one_rollout():
    frame = rw.timeline_frame(EventSource(), "shop/checkout")
    assert list(frame.columns) == list(frames.TIMELINE_SCHEMA)
    assert list(frame["type"]) == ["snapshot", "upsert", "upsert", "delete"]
    assert list(frame["step_index"]) == [1, 1, 2, 2]
    assert list(frame["actual_weight"]) == [0, 20, 20, 20]
    assert list(frame["status"]) == ["Progressing", "Progressing", "Paused", "Paused"]
    assert list(frame["ts"]) == [pd.Timestamp(_at(m)) for m in (0, 1, 4, 5)]
    pd.testing.assert_frame_equal(rw.timeline_frame(EVENTS, "prod/shop/checkout"), frame)
    assert len(rw.timeline_frame(EVENTS, "shop/nothing")) == 0
    with pytest.raises(RolloutsError) as err:
        rw.timeline_frame(EVENTS, "")
    assert err.value.code == "INVALID_INPUT"


def test_plot_timeline_draws_weights_and_steps():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = frames.plot_timeline(EVENTS, "shop/checkout")
    try:
        lines = {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}
        assert lines == {"set_weight": [20, 20, 20, 20], "actual_weight": [0, 20, 20, 20]}
        (steps,) = [a for a in ax.figure.axes if a is not ax]
        assert list(steps.get_lines()[0].get_ydata()) == [1, 1, 2, 2]
        assert ax.get_title() == "shop/checkout: progress"
    finally:
        plt.close(ax.figure)


# -- actions ----------------------------------------------------------------------------------

def test_actions_frame_from_records_dicts_and_logs():
    record = ActionRecord(
        ts=_at(1), cluster="prod", context="prod-eu", user="alice", namespace="shop",
        name="checkout", action="promote", args={"full": True},
    )
    failed = {"ts": "2026-03-01T12:02:00Z", "cluster": "prod", "context": "prod-eu",
              "user": "bob", "namespace": "shop", "name": "checkout", "action": "abort",
              "args": {}, "ok": False, "code": "FORBIDDEN", "message": "rollouts is forbidden"}
    frame = rw.actions_frame([record, failed])
    assert list(frame.columns) == list(frames.ACTION_SCHEMA)
    assert list(frame["action"]) == ["promote", "abort"]
    assert list(frame["args"]) == ['{"full":true}', "{}"]
    assert list(frame["ok"]) == [True, False]
    assert list(frame["code"]) == ["", "FORBIDDEN"]
    assert list(frame["ts"]) == [pd.Timestamp(_at(1)), pd.Timestamp(_at(2))]
    log = AuditLog()
    log.add(record)
    log.add(ActionRecord(**{**failed, "ts": _at(2)}))
    pd.testing.assert_frame_equal(rw.actions_frame(log), frame)
    pd.testing.assert_frame_equal(rw.actions_frame(Cluster({}, [], audit=[record, failed])), frame)
    empty = rw.actions_frame([])
    assert len(empty) == 0 and list(empty.dtypes) == list(frame.dtypes)
    with pytest.raises(RolloutsError) as err:
        rw.actions_frame(["not a record"])
    assert err.value.code == "INVALID_INPUT"


def test_records_frame_times_and_bad_values():
    schema = {"ts": "utc", "n": "Int64", "tags": "str"}
    frame = frames.records_frame(
        [{"ts": datetime(2026, 1, 1, 6), "n": 3, "tags": ("a", "b")},
         {"ts": "2026-01-01T07:30:00+01:00", "tags": {"k": "v"}},
         {"ts": None, "n": None, "tags": None}],
        schema,
    )
    assert list(frame["ts"])[:2] == [pd.Timestamp("2026-01-01 06:00", tz="UTC"),
                                     pd.Timestamp("2026-01-01 06:30", tz="UTC")]
    assert pd.isna(frame["ts"].iloc[2])
    assert list(frame["tags"]) == ["a, b", "k=v", ""]
    with pytest.raises(RolloutsError) as err:
        frames.records_frame([{"ts": "yesterday-ish"}], schema)
    assert err.value.code == "INVALID_INPUT" and "'ts'" in err.value.message
    with pytest.raises(RolloutsError) as err:
        frames.records_frame([{"n": "three"}], schema)
    assert err.value.code == "INVALID_INPUT" and "'n'" in err.value.message


# -- the live engine as a source (real sandbox API server, real watcher and store) ------------

_RESOURCES = {"Rollout": "rollouts.argoproj.io", "ReplicaSet": "replicasets.apps",
              "Pod": "pods", "Event": "events"}


def test_frames_from_the_live_store_and_cluster():
    """The fixture's objects served by the sandbox: frames read the store and the cluster."""
    rollout, related = _argo_canary()
    with rw.Sandbox(controllers=False) as sandbox:
        for namespace in ("shop", "other"):
            sandbox.storage.create("namespaces", {"metadata": {"name": namespace}})
        uids: dict[str, str] = {}  # the server assigns uids: keep ownerReferences pointing right
        for obj in [rollout, *related]:
            for owner in obj["metadata"].get("ownerReferences", []):
                owner["uid"] = uids.get(owner.get("uid"), owner.get("uid"))
            created = sandbox.storage.create(_RESOURCES[obj["kind"]], obj)
            if obj["metadata"].get("uid"):
                uids[obj["metadata"]["uid"]] = created["metadata"]["uid"]
        cluster = sandbox.connect()
        try:
            with cluster.store() as store:
                assert store.wait_synced()
                rows = rw.rollouts_frame(store)
                assert list(rows["key"]) == ["sandbox/shop/checkout"]
                assert (rows.iloc[0]["status"], rows.iloc[0]["step_index"],
                        rows.iloc[0]["set_weight"]) == ("Progressing", 1, 25)
                steps = rw.steps_frame(store, "shop/checkout")
                assert list(steps["label"]) == ["Set Weight: 25%", "Pause"]
                revisions = rw.revisions_frame(cluster, "shop/checkout")
                assert list(revisions["role"]) == ["canary", "stable", "old"]
                assert list(revisions["pod_count"]) == [1, 2, 1]
                pods = rw.pods_frame(cluster, "shop/checkout")
                # the server drops deletionTimestamp on create: the old pod is just Ready
                assert list(pods["state"]) == ["CrashLoopBackOff", "Ready", "Ready", "Ready"]
                assert pods.iloc[0]["restarts"] == 7

                cluster.pause("shop/checkout")
                assert store.wait_until(lambda s: s.get("shop/checkout").status == "Paused", 10)
                changes = rw.events_frame(store)
                change = changes[changes["type"] == "upsert"].iloc[-1]
                assert (change["status_before"], change["status_after"]) == (
                    "Progressing", "Paused"
                )
                timeline = rw.timeline_frame(store, "shop/checkout")
                assert list(timeline["status"])[-1] == "Paused"
                actions = rw.actions_frame(cluster)
                assert [(a.action, a.ok, a.user, a.name) for a in actions.itertuples()] == [
                    ("PAUSE", True, "sandbox-admin", "checkout")
                ]
        finally:
            cluster.close()
