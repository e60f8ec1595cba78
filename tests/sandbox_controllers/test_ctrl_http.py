"""End to end through the sandbox's HTTP API with the official kubernetes client: a user's
writes (approve, promote, abort, pause) move the controllers, read back exactly."""

from __future__ import annotations

import pytest
from kubernetes import client

from rollouts_widgets.sandbox import Sandbox
from rollouts_widgets.sandbox.scenarios.builders import ARGO, KRUISE, App, app_objects


@pytest.fixture()
def sandbox():
    with Sandbox(scenario="empty", clock="manual") as sb:
        yield sb


def _apps(sb):
    api_client = sb.api_client()
    return client.CustomObjectsApi(api_client), client.AppsV1Api(api_client), client.CoreV1Api(
        api_client)


def _create_namespace(core, name):
    core.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def test_kruise_release_through_the_api_v1beta1_and_v1alpha1(sandbox):
    custom, apps, core = _apps(sandbox)
    _create_namespace(core, "shop")
    app = App("shop", "catalog", KRUISE, {"canary": {"steps": [
        {"traffic": "20%", "replicas": 1, "pause": {}}, {"replicas": "100%"}]}}, replicas=3)
    _svc, deployment, rollout = app_objects(app)
    apps.create_namespaced_deployment("shop", deployment)
    custom.create_namespaced_custom_object("rollouts.kruise.io", "v1beta1", "shop", "rollouts",
                                           rollout)
    sandbox.advance(5)
    ro = custom.get_namespaced_custom_object("rollouts.kruise.io", "v1beta1", "shop",
                                             "rollouts", "catalog")
    assert ro["status"]["phase"] == "Healthy"
    apps.patch_namespaced_deployment("catalog", "shop", {"spec": {"template": {"spec": {
        "containers": [{"name": "catalog", "image": app.image_at("2.0.0")}]}}}})
    # with the manual clock nothing reacts before advance(): the client reads its own write
    assert apps.read_namespaced_deployment("catalog", "shop").spec.paused is None
    sandbox.advance(5)
    assert apps.read_namespaced_deployment("catalog", "shop").spec.paused is True
    alpha = custom.get_namespaced_custom_object("rollouts.kruise.io", "v1alpha1", "shop",
                                                "rollouts", "catalog")
    assert alpha["spec"]["objectRef"]["workloadRef"]["name"] == "catalog"
    assert alpha["status"]["canaryStatus"]["currentStepState"] == "StepPaused"
    assert alpha["status"]["canaryStatus"]["currentStepIndex"] == 1
    custom.patch_namespaced_custom_object_status(
        "rollouts.kruise.io", "v1beta1", "shop", "rollouts", "catalog",
        {"status": {"canaryStatus": {"currentStepState": "StepReady"}}})
    sandbox.advance(10)
    ro = custom.get_namespaced_custom_object("rollouts.kruise.io", "v1beta1", "shop",
                                             "rollouts", "catalog")
    assert (ro["status"]["phase"], ro["status"]["currentStepState"]) == ("Healthy", "Completed")
    pods = core.list_namespaced_pod("shop", label_selector="app=catalog").items
    assert {p.spec.containers[0].image for p in pods} == {app.image_at("2.0.0")}


def test_argo_promote_abort_retry_and_pause_through_the_api(sandbox):
    custom, _apps_api, core = _apps(sandbox)
    _create_namespace(core, "shop")
    app = App("shop", "checkout", ARGO, {"canary": {"steps": [
        {"setWeight": 50}, {"pause": {}}, {"setWeight": 100}]}}, replicas=2)
    for obj in app_objects(app):
        if obj["kind"] == "Service":
            core.create_namespaced_service("shop", obj)
        else:
            custom.create_namespaced_custom_object("argoproj.io", "v1alpha1", "shop",
                                                   "rollouts", obj)
    sandbox.advance(5)

    def get():
        return custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", "shop",
                                                   "rollouts", "checkout")

    def patch_status(body):
        custom.patch_namespaced_custom_object_status("argoproj.io", "v1alpha1", "shop",
                                                     "rollouts", "checkout", body)

    custom.patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "shop", "rollouts", "checkout",
        {"spec": {"template": {"spec": {"containers": [
            {"name": "checkout", "image": app.image_at("2.0.0")}]}}}})
    sandbox.advance(5)
    status = get()["status"]
    assert (status["phase"], status["message"], status["currentStepIndex"]) == (
        "Paused", "CanaryPauseStep", 1)
    patch_status({"status": {"abort": True}})
    sandbox.advance(5)
    status = get()["status"]
    assert status["phase"] == "Degraded"
    assert status["message"] == "RolloutAborted: Rollout aborted update to revision 2"
    patch_status({"status": {"abort": False}})
    sandbox.advance(5)
    assert get()["status"]["phase"] == "Paused"
    custom.patch_namespaced_custom_object("argoproj.io", "v1alpha1", "shop", "rollouts",
                                          "checkout", {"spec": {"paused": True}})
    sandbox.advance(2)
    assert (get()["status"]["phase"], get()["status"]["message"]) == ("Paused",
                                                                      "manually paused")
    custom.patch_namespaced_custom_object("argoproj.io", "v1alpha1", "shop", "rollouts",
                                          "checkout", {"spec": {"paused": False}})
    patch_status({"status": {"pauseConditions": None}})
    sandbox.advance(10)
    status = get()["status"]
    assert status["phase"] == "Healthy"
    assert status["stableRS"] == status["currentPodHash"]
    events = core.list_namespaced_event("shop").items
    assert {"RolloutPaused", "RolloutAborted", "RolloutCompleted"} <= {e.reason for e in events}


def test_demo_scenario_through_the_api():
    with Sandbox(scenario="demo", clock="manual") as sb:
        sb.advance(60)
        custom, _apps_api, core = _apps(sb)
        argo = custom.list_cluster_custom_object("argoproj.io", "v1alpha1", "rollouts")["items"]
        kruise = custom.list_cluster_custom_object("rollouts.kruise.io", "v1beta1",
                                                   "rollouts")["items"]
        assert len(argo) + len(kruise) == 17
        phases = {r["metadata"]["name"]: r["status"]["phase"] for r in argo + kruise}
        assert phases["checkout"] == "Paused"
        assert phases["billing"] == "Disabled"
        invoices = custom.get_namespaced_custom_object("rollouts.kruise.io", "v1alpha1",
                                                       "payments", "rollouts", "invoices")
        assert invoices["metadata"]["annotations"]["rollouts.kruise.io/rolling-style"] == (
            "partition")
        assert len(core.list_pod_for_all_namespaces().items) > 40
