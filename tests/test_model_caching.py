"""The model remembers parsed step lists and timestamps (the ingest hot path): the memo must
be invisible - equal input, equal output; no caller's later edit leaks; bounded size."""

from __future__ import annotations

import copy

from rollouts_widgets.model import parse, rollout_view, steps

STEPS = [{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}, {"pause": {"duration": 30}}]


def argo(name: str, steps_list: list) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "shop",
                     "creationTimestamp": "2026-12-01T10:00:00Z"},
        "spec": {"replicas": 2, "strategy": {"canary": {"steps": steps_list}},
                 "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
        "status": {"phase": "Paused", "currentStepIndex": 1, "observedGeneration": "1",
                   "pauseConditions": [{"reason": "CanaryPauseStep"}]},
    }


def test_equal_step_lists_share_one_plan_and_a_callers_edit_does_not_leak():
    mine = copy.deepcopy(STEPS)
    assert steps.argo_plan(mine) is steps.argo_plan(copy.deepcopy(STEPS))
    before = [s.label for s in rollout_view(argo("a", mine)).steps]
    assert before == ["Set Weight: 20%", "Pause", "Set Weight: 60%", "Pause: 30s"]
    mine[0]["setWeight"] = 90  # the caller edits its own list afterwards
    assert [s.label for s in rollout_view(argo("b", copy.deepcopy(STEPS))).steps] == before
    assert rollout_view(argo("c", mine)).steps[0].label == "Set Weight: 90%"


def test_true_and_one_are_different_steps():
    # marshal tags types, so a step list with a bool never reuses the plan of one with an int
    assert steps.argo_plan([{"setWeight": 1}]) is not steps.argo_plan([{"setWeight": True}])


def test_the_memo_tables_are_bounded(monkeypatch):
    monkeypatch.setattr(steps, "MAX_PLANS", 3)
    monkeypatch.setattr(parse, "MAX_TIMES", 3)
    for weight in range(10):
        steps.argo_plan([{"setWeight": weight}])
        parse.timestamp(f"2026-12-01T10:00:0{weight}Z")
    assert len(steps._plans) <= 3 and len(parse._times) <= 3
    assert parse.timestamp("2026-12-01T10:00:09Z").second == 9
