"""Analysis summaries built from raw Argo AnalysisRuns, and the not-configured placeholder."""

from __future__ import annotations

from datetime import datetime, timezone

from rollouts_widgets import errors
from rollouts_widgets.model.analysis import (
    Measurement,
    argo_analysis,
    not_configured,
)

ROLLOUT = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Rollout",
    "metadata": {"namespace": "web", "name": "front", "uid": "u-front"},
}


def run(
    name,
    phase,
    started,
    *,
    owner=("Rollout", "front", "u-front"),
    rollout_type="Step",
    step="1",
    results=None,
    completed=None,
    namespace="web",
):
    status = {"phase": phase, "startedAt": started, "message": f"{phase} message"}
    if completed:
        status["completedAt"] = completed
    if results is not None:
        status["metricResults"] = results
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "namespace": namespace,
            "name": name,
            "labels": {"rollout-type": rollout_type, "step-index": step},
            "annotations": {"rollout.argoproj.io/revision": "4"},
            "ownerReferences": [{"kind": owner[0], "name": owner[1], "uid": owner[2]}],
        },
        "spec": {
            "metrics": [
                {
                    "name": "success-rate",
                    "interval": "1m",
                    "count": 3,
                    "failureLimit": 1,
                    "inconclusiveLimit": 2,
                    "consecutiveErrorLimit": 4,
                    "successCondition": "result[0] >= 0.95",
                    "failureCondition": "result[0] < 0.9",
                    "provider": {"prometheus": {"query": "sum(rate(x[5m]))"}},
                },
                {"name": "latency", "provider": {"web": {"url": "http://x"}}},
            ]
        },
        "status": status,
    }


MEASURED = [
    {
        "name": "success-rate",
        "phase": "Successful",
        "count": 2,
        "successful": 2,
        "failed": 0,
        "inconclusive": 0,
        "error": 0,
        "measurements": [
            {
                "phase": "Successful",
                "value": "[0.99]",
                "startedAt": "2026-12-04T10:00:00Z",
                "finishedAt": "2026-12-04T10:00:01Z",
            },
            {
                "phase": "Successful",
                "value": "[0.97]",
                "startedAt": "2026-12-04T10:01:00Z",
                "finishedAt": "2026-12-04T10:01:02Z",
            },
        ],
    }
]


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def test_runs_owned_by_the_rollout_newest_first_with_metrics_and_limits():
    related = [
        run("front-4-1", "Successful", "2026-12-04T10:00:00Z", results=MEASURED),
        run("front-5-1", "Running", "2026-12-04T11:00:00Z", rollout_type="Background", step=""),
        run("other", "Failed", "2026-12-04T12:00:00Z", owner=("Rollout", "back", "u-back")),
        run("elsewhere", "Failed", "2026-12-04T12:00:00Z", namespace="other"),
    ]
    summary = argo_analysis(ROLLOUT, related)
    assert summary.source == "argo"
    assert summary.status == "Running"
    assert summary.code is None
    assert [r.name for r in summary.runs] == ["front-5-1", "front-4-1"]
    assert summary.summary == (
        "2 analysis run(s) (1 Running, 1 Successful); latest front-5-1: Running"
    )
    background, step = summary.runs
    assert (background.kind, background.step_index, background.duration_seconds) == (
        "background",
        None,
        None,
    )
    assert (step.kind, step.step_index, step.revision) == ("step", 2, "4")
    assert step.finished_at == utc(2026, 12, 4, 10, 1, 2)
    assert step.duration_seconds == 62.0
    rate, latency = step.metrics
    assert (rate.name, rate.phase, rate.count, rate.successful, rate.failed) == (
        "success-rate",
        "Successful",
        2,
        2,
        0,
    )
    assert (rate.success_condition, rate.failure_condition) == (
        "result[0] >= 0.95",
        "result[0] < 0.9",
    )
    assert (rate.failure_limit, rate.inconclusive_limit, rate.consecutive_error_limit) == (1, 2, 4)
    assert (rate.count_limit, rate.interval, rate.provider) == (3, "1m", "prometheus")
    assert rate.measurements[1] == Measurement(
        phase="Successful",
        value="[0.97]",
        started_at=utc(2026, 12, 4, 10, 1),
        finished_at=utc(2026, 12, 4, 10, 1, 2),
    )
    assert (latency.name, latency.phase, latency.provider, latency.measurements) == (
        "latency",
        "Pending",
        "web",
        (),
    )


def test_completed_at_wins_over_measurement_times():
    [r] = argo_analysis(
        ROLLOUT,
        [
            run(
                "r",
                "Failed",
                "2026-12-04T10:00:00Z",
                results=MEASURED,
                completed="2026-12-04T10:05:00Z",
            )
        ],
    ).runs
    assert r.duration_seconds == 300.0


def test_experiment_runs_belong_to_the_rollout_through_the_experiment():
    experiment = {
        "kind": "Experiment",
        "metadata": {
            "namespace": "web",
            "name": "front-exp",
            "uid": "u-exp",
            "ownerReferences": [{"kind": "Rollout", "name": "front", "uid": "u-front"}],
        },
    }
    related = [
        experiment,
        run(
            "exp-run",
            "Successful",
            "2026-12-04T09:00:00Z",
            owner=("Experiment", "front-exp", "u-exp"),
        ),
    ]
    [r] = argo_analysis(ROLLOUT, related).runs
    assert (r.name, r.kind) == ("exp-run", "experiment")


def test_no_runs():
    summary = argo_analysis(ROLLOUT, [])
    assert (summary.source, summary.status, summary.runs) == ("argo", "none", ())


def test_malformed_runs_do_not_break_the_summary():
    broken = {
        "kind": "AnalysisRun",
        "metadata": {
            "namespace": "web",
            "name": "broken",
            "ownerReferences": [{"kind": "Rollout", "name": "front"}],
        },
        "spec": {"metrics": "nope"},
        "status": {"metricResults": [None, 3], "startedAt": 5},
    }
    [r] = argo_analysis(ROLLOUT, [broken, "junk", None]).runs
    assert (r.name, r.phase, r.metrics, r.started_at) == ("broken", "Pending", (), None)


def test_kruise_placeholder():
    summary = not_configured()
    assert (summary.source, summary.status, summary.code, summary.runs) == (
        "not_configured",
        "not_configured",
        errors.ANALYSIS_SOURCE_NOT_CONFIGURED,
        (),
    )
