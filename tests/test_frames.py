"""pandas exports: exact columns, dtypes and values, empty inputs, and duck-typed live sources."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

import rollouts_widgets as rw
from rollouts_widgets import frames
from rollouts_widgets.errors import RolloutsError
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
