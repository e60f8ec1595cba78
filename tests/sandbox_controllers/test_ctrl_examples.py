"""Every example manifest of both projects, applied as it is, is picked up by the sandbox
controllers and released when its image changes (driven to the end with the manual clock,
approving each manual pause as a user would)."""

from __future__ import annotations

import copy

import pytest
from test_ctrl_support import ARGO_RO, CLONESET, DEPLOY, KRUISE_RO, Cluster, examples_dir

from rollouts_widgets.sandbox.manifests import load_manifests

EXAMPLES = examples_dir()
KRUISE_ROLLOUTS = sorted(p.name for p in (EXAMPLES / "kruise").glob("rollout*.yaml"))
ARGO_ROLLOUTS = sorted(p.name for p in (EXAMPLES / "argo").glob("*.yaml")
                       if p.name.startswith(("rollout", "workload")))
NEW_IMAGE = "registry.example.com/sandbox/next:2.0.0"
# The analysis-step example also names a ClusterAnalysisTemplate the examples do not ship.
ALWAYS_PASS = {"apiVersion": "argoproj.io/v1alpha1", "kind": "ClusterAnalysisTemplate",
               "metadata": {"name": "always-pass"},
               "spec": {"metrics": [{"name": "always-pass", "count": 1,
                                     "provider": {"job": {}}}]}}


def _load(*parts: str) -> list[dict]:
    return load_manifests(EXAMPLES.joinpath(*parts))


def test_the_examples_are_there():
    assert len(KRUISE_ROLLOUTS) == 6
    assert len(ARGO_ROLLOUTS) == 6


def _kruise_workload(rollout: dict) -> tuple[str, list[dict]]:
    spec = rollout["spec"]
    ref = spec.get("workloadRef") or spec["objectRef"]["workloadRef"]
    source = "cloneset.yaml" if ref["kind"] == "CloneSet" else "deployment.yaml"
    (workload,) = _load("kruise", source)
    workload = copy.deepcopy(workload)
    workload["metadata"]["name"] = ref["name"]  # rollout_disabled.yaml names "workload-demo"
    resource = CLONESET if ref["kind"] == "CloneSet" else DEPLOY
    return resource, [workload, *_load("kruise", "service.yaml")]


def _drive_kruise(c: Cluster, name: str) -> dict:
    for _ in range(60):
        c.advance(5)
        status = c.status(KRUISE_RO, name)
        if status.get("phase") == "Healthy" and status.get("currentStepState") == "Completed":
            return status
        key = "blueGreenStatus" if "blueGreenStatus" in status else "canaryStatus"
        if status.get(key, {}).get("currentStepState") == "StepPaused":
            c.patch(KRUISE_RO, name, {"status": {key: {"currentStepState": "StepReady"}}},
                    status=True)
    raise AssertionError(f"rollout {name} did not finish: {c.status(KRUISE_RO, name)}")


@pytest.mark.parametrize("manifest", KRUISE_ROLLOUTS)
def test_kruise_example_is_released_after_an_image_change(manifest):
    (rollout,) = _load("kruise", manifest)
    resource, workload_docs = _kruise_workload(rollout)
    name, workload_name = rollout["metadata"]["name"], workload_docs[0]["metadata"]["name"]
    c = Cluster({"readiness_delay": 1})
    c.apply([*workload_docs, rollout])
    c.advance(5)
    status = c.status(KRUISE_RO, name)
    assert (status["phase"], status["observedGeneration"]) == ("Healthy", 1)
    stored = c.get(KRUISE_RO, name)
    assert stored["apiVersion"] == "rollouts.kruise.io/v1beta1"
    c.set_image(resource, workload_name, NEW_IMAGE)
    c.settle()
    assert c.status(KRUISE_RO, name)["phase"] == "Progressing"
    status = _drive_kruise(c, name)
    assert [cond["status"] for cond in status["conditions"] if cond["type"] == "Succeeded"] == [
        "True"]
    pods = [p for p in c.list("pods") if p["metadata"]["labels"].get("app") == "echoserver"]
    assert pods and {p["spec"]["containers"][0]["image"] for p in pods} == {NEW_IMAGE}
    assert len(pods) == c.get(resource, workload_name)["spec"]["replicas"]
    workload = c.get(resource, workload_name)
    assert "rollouts.kruise.io/in-progressing" not in (
        workload["metadata"].get("annotations") or {})


def _drive_argo(c: Cluster, name: str) -> dict:
    for _ in range(60):
        c.advance(5)
        status = c.status(ARGO_RO, name)
        if status.get("phase") == "Healthy" and status.get("stableRS") == status.get(
            "currentPodHash"
        ):
            return status
        if status.get("pauseConditions"):
            c.patch(ARGO_RO, name, {"status": {"pauseConditions": None}}, status=True)
    raise AssertionError(f"rollout {name} did not finish: {c.status(ARGO_RO, name)}")


@pytest.mark.parametrize("manifest", ARGO_ROLLOUTS)
def test_argo_example_is_released_after_an_image_change(manifest):
    docs = _load("argo", manifest)
    (rollout,) = [d for d in docs if d["kind"] == "Rollout"]
    name = rollout["metadata"]["name"]
    c = Cluster({"readiness_delay": 1})
    c.apply([*_load("argo", "analysis-templates.yaml"), ALWAYS_PASS, *docs])
    c.advance(5)
    status = c.status(ARGO_RO, name)
    assert status["phase"] == "Healthy"
    first = status["stableRS"]
    if "workloadRef" in rollout["spec"]:
        c.set_image(DEPLOY, rollout["spec"]["workloadRef"]["name"], NEW_IMAGE)
    else:
        c.set_image(ARGO_RO, name, NEW_IMAGE)
    c.settle()
    assert c.status(ARGO_RO, name)["currentPodHash"] != first
    status = _drive_argo(c, name)
    assert status["stableRS"] != first
    c.advance(30)  # blue-green keeps the old ReplicaSet for scaleDownDelaySeconds (30)
    owned = {rs["metadata"]["name"]: rs for rs in c.replicasets(name).values()}
    live = [rs for rs in owned.values() if rs["spec"]["replicas"]]
    assert [rs["spec"]["template"]["spec"]["containers"][0]["image"] for rs in live] == [
        NEW_IMAGE]
    assert live[0]["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"


def test_argo_experiment_example_runs_its_analyses_and_finishes():
    c = Cluster({"readiness_delay": 1})
    c.apply([*_load("argo", "analysis-templates.yaml"),
             *_load("argo", "experiment-with-analysis.yaml")])
    c.advance(3)
    exp = c.get("experiments.argoproj.io", "experiment-with-analysis")
    assert exp["status"]["phase"] == "Running"
    rss = c.replicasets("experiment-with-analysis")
    assert sorted(rss) == ["experiment-with-analysis-orange", "experiment-with-analysis-purple"]
    assert sorted(r["analysisRun"] for r in exp["status"]["analysisRuns"]) == [
        "experiment-with-analysis-pass", "experiment-with-analysis-random-fail"]
    c.advance(10)
    exp = c.get("experiments.argoproj.io", "experiment-with-analysis")
    assert exp["status"]["phase"] == "Successful"
    assert {r["phase"] for r in exp["status"]["analysisRuns"]} == {"Successful"}
    assert all(rs["spec"]["replicas"] == 0
               for rs in c.replicasets("experiment-with-analysis").values())
