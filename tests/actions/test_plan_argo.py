"""Exact writes and availability of every action on Argo rollouts (canary and blue-green)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rollouts_widgets import errors
from rollouts_widgets.actions import plan as p
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import ARGO_ROLLOUTS

NOW = datetime(2026, 12, 4, 17, 0, 0, tzinfo=timezone.utc)


def canary(*, index=1, paused=False, pause_conditions=None, abort=False, updating=True):
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"namespace": "web", "name": "front", "resourceVersion": "900"},
        "spec": {
            "paused": paused,
            "template": {"spec": {"containers": [{"name": "app", "image": "front:1"}]}},
            "strategy": {
                "canary": {
                    "steps": [
                        {"setWeight": 20},
                        {"pause": {}},
                        {"setWeight": 60},
                        {"pause": {"duration": 30}},
                    ]
                }
            },
        },
        "status": {
            "currentStepIndex": index,
            "pauseConditions": pause_conditions or [],
            "abort": abort,
            "stableRS": "aaa",
            "currentPodHash": "bbb" if updating else "aaa",
        },
    }


def bluegreen(*, paused_condition=True):
    obj = canary(index=None)
    obj["spec"]["strategy"] = {"blueGreen": {"activeService": "front-active"}}
    obj["status"].pop("currentStepIndex")
    if paused_condition:
        obj["status"]["pauseConditions"] = [{"reason": "BlueGreenPause"}]
    return obj


def writes(action, obj):
    return p.plan(action, obj, [], now=NOW)


def shape(ws):
    return [(w.gvr, w.namespace, w.name, w.patch_type, w.subresource, w.body) for w in ws]


def test_promote_canary_without_pause_conditions_moves_one_step():
    assert shape(writes("promote", canary(index=1))) == [
        (
            ARGO_ROLLOUTS,
            "web",
            "front",
            "merge",
            "status",
            {"metadata": {"resourceVersion": "900"}, "status": {"currentStepIndex": 2}},
        ),
    ]


def test_promote_with_a_pause_condition_clears_it_and_does_not_move():
    obj = canary(index=1, pause_conditions=[{"reason": "CanaryPauseStep"}])
    [w] = writes("promote", obj)
    assert w.body == {"metadata": {"resourceVersion": "900"}, "status": {"pauseConditions": None}}


def test_promote_after_inconclusive_analysis_also_lifts_the_controller_pause():
    obj = canary(index=2, pause_conditions=[{"reason": "InconclusiveAnalysisRun"}])
    [w] = writes("promote", obj)
    assert w.body["status"] == {"pauseConditions": None, "controllerPause": False}


def test_promote_a_manually_paused_rollout_patches_status_then_spec():
    obj = canary(index=1, paused=True, pause_conditions=[{"reason": "PausedByUser"}])
    assert [(w.subresource, w.body) for w in writes("promote", obj)] == [
        ("status", {"metadata": {"resourceVersion": "900"}, "status": {"pauseConditions": None}}),
        (None, {"spec": {"paused": False}}),
    ]


def test_promote_at_the_last_step_does_not_overshoot():
    [w] = writes("promote", canary(index=3))
    assert w.body["status"] == {"currentStepIndex": 4}
    with pytest.raises(RolloutsError) as err:
        writes("promote", canary(index=4))
    assert err.value.code == errors.ROLLOUT_NOT_PROMOTABLE
    assert "no step left" in err.value.message


def test_promote_full_sets_promote_full_on_status():
    assert shape(writes("promote-full", canary(index=1))) == [
        (ARGO_ROLLOUTS, "web", "front", "merge", "status", {"status": {"promoteFull": True}})
    ]


def test_promote_full_of_a_paused_rollout_also_unpauses():
    ws = writes("promote-full", canary(index=1, paused=True))
    assert [w.body for w in ws] == [{"status": {"promoteFull": True}}, {"spec": {"paused": False}}]


def test_bluegreen_promote_clears_the_pause_and_is_refused_when_not_paused():
    [w] = writes("promote", bluegreen())
    assert w.body["status"] == {"pauseConditions": None}
    with pytest.raises(RolloutsError) as err:
        writes("promote", bluegreen(paused_condition=False))
    assert err.value.code == errors.ROLLOUT_NOT_PROMOTABLE
    assert err.value.message == "PROMOTE: the blue-green rollout is not paused"


def test_abort_and_retry_patch_the_status_subresource():
    assert shape(writes("abort", canary())) == [
        (ARGO_ROLLOUTS, "web", "front", "merge", "status", {"status": {"abort": True}})
    ]
    assert shape(writes("retry", canary(abort=True))) == [
        (ARGO_ROLLOUTS, "web", "front", "merge", "status", {"status": {"abort": False}})
    ]


def test_aborted_rollout_is_not_promotable():
    avail = p.availability(canary(abort=True))
    assert avail["PROMOTE"] == (False, "the rollout was aborted; RETRY it first")
    assert avail["ABORT"] == (False, "the rollout is already aborted")
    assert avail["RETRY"] == (True, "")


def test_pause_resume_restart():
    assert writes("pause", canary())[0].body == {"spec": {"paused": True}}
    assert writes("resume", canary(paused=True))[0].body == {"spec": {"paused": False}}
    [w] = writes("restart", canary())
    assert (w.subresource, w.body) == (None, {"spec": {"restartAt": "2026-12-04T17:00:00Z"}})


def test_enable_disable_do_not_apply_to_argo():
    avail = p.availability(canary())
    assert avail["ENABLE"] == (False, "Argo Rollouts has no disabled flag")
    assert avail["DISABLE"] == (False, "Argo Rollouts has no disabled flag")
    with pytest.raises(RolloutsError) as err:
        writes("disable", canary())
    assert err.value.code == errors.ACTION_NOT_APPLICABLE


def test_healthy_rollout_availability():
    avail = p.availability(canary(index=4, updating=False))
    assert avail["ABORT"] == (False, "no update in progress")
    assert avail["PROMOTE-FULL"] == (False, "the rollout is fully promoted")
    assert avail["RETRY"] == (False, "the rollout is not aborted")
    assert avail["ROLLBACK"] == (True, "")
    assert avail["PAUSE"] == (True, "")


def test_naive_now_is_refused():
    with pytest.raises(RolloutsError) as err:
        p.plan("restart", canary(), [], now=datetime(2026, 1, 1))
    assert err.value.code == errors.INVALID_INPUT
