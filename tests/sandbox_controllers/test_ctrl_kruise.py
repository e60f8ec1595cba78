"""The OpenKruise Rollout controller, transition by transition (reference/kruise.md)."""

from __future__ import annotations

import json

from test_ctrl_support import CLONESET, DEPLOY, KRUISE_RO, STS, Cluster, condition

from rollouts_widgets.sandbox.controllers.deployment import deployment_hash
from rollouts_widgets.sandbox.scenarios.builders import KRUISE, App

STEPS = {"canary": {"steps": [
    {"traffic": "20%", "replicas": "20%", "pause": {}},
    {"replicas": "60%", "pause": {"duration": 30}},
    {"replicas": "100%"},
]}}


def _app(**changes) -> App:
    base = {"namespace": "shop", "name": "catalog", "provider": KRUISE, "strategy": STEPS,
            "tag": "1.0.0", "replicas": 5}
    base.update(changes)
    return App(**base)


def _cluster(app: App | None = None) -> tuple[Cluster, App]:
    c = Cluster({"readiness_delay": 1})
    app = app or _app()
    c.add_app(app)
    return c, app


def _release(c: Cluster, app: App, tag: str = "2.0.0", resource: str = DEPLOY) -> None:
    c.set_image(resource, app.name, app.image_at(tag), ns=app.namespace)


def _ro(c: Cluster, name: str = "catalog") -> dict:
    return c.status(KRUISE_RO, name, "shop")


def test_healthy_then_partition_release_waits_for_approval_with_exact_fields():
    c, app = _cluster()
    status = _ro(c)
    assert (status["phase"], status["message"]) == ("Healthy", "Rollout is healthy")
    assert status["observedGeneration"] == 1
    stable = deployment_hash(c.get(DEPLOY, "catalog", "shop"))
    _release(c, app)
    c.settle()
    status = _ro(c)
    deployment = c.get(DEPLOY, "catalog", "shop")
    new = deployment_hash(deployment)
    assert deployment["spec"]["paused"] is True
    annotations = deployment["metadata"]["annotations"]
    assert json.loads(annotations["rollouts.kruise.io/in-progressing"]) == {
        "rolloutName": "catalog"}
    strategy = json.loads(annotations["rollouts.kruise.io/deployment-strategy"])
    assert (strategy["rollingStyle"], strategy["partition"]) == ("Partition", "20%")
    canary = status["canaryStatus"]
    assert status["phase"] == "Progressing"
    assert (canary["currentStepIndex"], canary["currentStepState"], canary["nextStepIndex"]) == (
        1, "StepUpgrade", 2)
    assert (canary["stableRevision"], canary["canaryRevision"]) == (stable, new)
    assert (status["currentStepIndex"], status["currentStepState"]) == (1, "StepUpgrade")
    c.advance(1)
    status = _ro(c)
    canary = status["canaryStatus"]
    assert (canary["currentStepIndex"], canary["currentStepState"]) == (1, "StepPaused")
    assert (canary["canaryReplicas"], canary["canaryReadyReplicas"]) == (1, 1)
    assert canary["podTemplateHash"] == new
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in c.pods("shop")} == {
        stable, new}
    assert status["message"] == canary["message"] == (
        "Rollout is in step(1/3), and you need manually confirm to enter the next step")
    progressing = condition(status, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "InRolling")
    assert "Succeeded" not in {cond["type"] for cond in status["conditions"]}
    c.advance(600)
    assert _ro(c)["canaryStatus"]["currentStepState"] == "StepPaused"


def _approve(c: Cluster, name: str = "catalog", key: str = "canaryStatus") -> None:
    c.patch(KRUISE_RO, name, {"status": {key: {"currentStepState": "StepReady"}}}, ns="shop",
            status=True)


def test_approve_then_timed_pause_then_completion():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    _approve(c)
    c.advance(1)
    canary = _ro(c)["canaryStatus"]
    assert (canary["currentStepIndex"], canary["currentStepState"]) == (2, "StepPaused")
    assert canary["canaryReadyReplicas"] == 3
    assert canary["message"] == (
        "Rollout is in step(2/3), and wait duration(30 seconds) to enter the next step")
    paused_at = canary["lastUpdateTime"]
    c.advance(29)
    canary = _ro(c)["canaryStatus"]
    assert (canary["currentStepState"], canary["lastUpdateTime"]) == ("StepPaused", paused_at)
    c.advance(1)
    c.advance(3)
    status = _ro(c)
    canary = status["canaryStatus"]
    assert status["phase"] == "Healthy"
    assert status["message"] == "Rollout progressing has been completed"
    assert (canary["currentStepState"], canary["finalisingStep"]) == ("Completed", "END")
    new = deployment_hash(c.get(DEPLOY, "catalog", "shop"))
    assert canary["stableRevision"] == new
    progressing, succeeded = condition(status, "Progressing"), condition(status, "Succeeded")
    assert (progressing["status"], progressing["reason"]) == ("False", "Completed")
    assert succeeded["status"] == "True"
    deployment = c.get(DEPLOY, "catalog", "shop")
    assert "paused" not in deployment["spec"]
    assert "annotations" not in deployment["metadata"]
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in c.pods("shop")} == {new}


def test_step_states_are_visited_in_order():
    c, app = _cluster()
    seen = []
    c.store.add_listener(lambda kind, resource, obj: resource == KRUISE_RO and seen.append(
        ((obj.get("status") or {}).get("canaryStatus") or {}).get("currentStepState")))
    _release(c, app)
    c.advance(2)
    _approve(c)
    c.advance(2)
    states = [s for i, s in enumerate(seen) if s and (i == 0 or seen[i - 1] != s)]
    assert states[:11] == [
        "BeforeStepUpgrade", "StepUpgrade", "StepTrafficRouting", "StepMetricsAnalysis",
        "StepPaused", "StepReady", "BeforeStepUpgrade", "StepUpgrade", "StepTrafficRouting",
        "StepMetricsAnalysis", "StepPaused"]


def test_jump_with_next_step_index_and_retry_current_step():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    c.patch(KRUISE_RO, "catalog", {"status": {"canaryStatus": {"nextStepIndex": 3}}}, ns="shop",
            status=True)
    c.advance(2)
    status = _ro(c)
    assert status["phase"] == "Healthy"
    assert status["canaryStatus"]["currentStepIndex"] == 3
    assert condition(status, "Succeeded")["status"] == "True"


def test_retry_restarts_the_current_step():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    c.patch(KRUISE_RO, "catalog", {"status": {"canaryStatus": {"nextStepIndex": 1}}}, ns="shop",
            status=True)
    c.settle()
    canary = _ro(c)["canaryStatus"]
    assert (canary["currentStepIndex"], canary["currentStepState"], canary["nextStepIndex"]) == (
        1, "StepPaused", 2)


def test_strategy_paused_keeps_phase_progressing_with_reason_paused():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    _approve(c)
    c.patch(KRUISE_RO, "catalog", {"spec": {"strategy": {"paused": True}}}, ns="shop")
    c.advance(120)
    status = _ro(c)
    assert status["phase"] == "Progressing"
    assert status["message"] == "Rollout has been paused, you can resume it by kube-cli"
    assert condition(status, "Progressing")["reason"] == "Paused"
    assert status["canaryStatus"]["currentStepIndex"] == 1
    c.patch(KRUISE_RO, "catalog", {"spec": {"strategy": {"paused": False}}}, ns="shop")
    c.advance(2)
    status = _ro(c)
    assert condition(status, "Progressing")["reason"] == "InRolling"
    assert status["canaryStatus"]["currentStepIndex"] == 2


def test_disable_mid_release_finishes_the_new_version_then_enable():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    c.patch(KRUISE_RO, "catalog", {"spec": {"disabled": True}}, ns="shop")
    c.manager.reconcile_round()
    status = _ro(c)
    assert (status["phase"], status["message"]) == ("Disabling",
                                                    "Disabling rollout, release resources")
    c.advance(10)
    status = _ro(c)
    assert (status["phase"], status["message"]) == ("Disabled", "Rollout is disabled")
    assert "canaryStatus" not in status
    new = deployment_hash(c.get(DEPLOY, "catalog", "shop"))
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in c.pods("shop")} == {new}
    assert len(c.pods("shop")) == 5
    c.patch(KRUISE_RO, "catalog", {"spec": {"disabled": False}}, ns="shop")
    c.settle()
    assert _ro(c)["phase"] == "Healthy"


def test_template_revert_cancels_with_succeeded_false():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    _release(c, app, "1.0.0")
    c.manager.reconcile_round()
    status = _ro(c)
    assert condition(status, "Progressing")["reason"] == "Cancelling"
    c.advance(5)
    status = _ro(c)
    assert status["phase"] == "Healthy"
    assert condition(status, "Succeeded")["status"] == "False"
    progressing = condition(status, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "Completed")
    stable = status["canaryStatus"]["stableRevision"]
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in c.pods("shop")} == {stable}
    assert {p["spec"]["containers"][0]["image"] for p in c.pods("shop")} == {app.image}


def test_a_third_version_mid_release_starts_over_from_step_one():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    _approve(c)
    c.advance(2)
    _release(c, app, "3.0.0")
    c.advance(2)
    canary = _ro(c)["canaryStatus"]
    assert (canary["currentStepIndex"], canary["currentStepState"]) == (1, "StepPaused")
    assert canary["canaryRevision"] == deployment_hash(c.get(DEPLOY, "catalog", "shop"))


def test_missing_workload_is_initial_workload_not_found():
    c = Cluster()
    c.apply([{"apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
              "metadata": {"name": "orphan"},
              "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                       "name": "nowhere"}, "strategy": STEPS}}])
    c.settle()
    status = c.status(KRUISE_RO, "orphan")
    assert (status["phase"], status["message"]) == ("Initial", "Workload Not Found")


def test_canary_style_creates_extra_deployment_and_removes_it():
    strategy = {"canary": {"enableExtraWorkloadForCanary": True, "steps": [
        {"traffic": "20%", "replicas": 1, "pause": {}}, {"replicas": "100%"}]}}
    c, app = _cluster(_app(name="search", strategy=strategy, replicas=4))
    _release(c, app)
    c.advance(3)
    stable = c.get(DEPLOY, "search", "shop")
    assert stable["spec"]["paused"] is True
    assert "rollouts.kruise.io/in-progressing" in stable["metadata"]["annotations"]
    canaries = [d for d in c.list(DEPLOY, "shop")
                if d["metadata"]["labels"].get("rollouts.kruise.io/canary-deployment") == "search"]
    assert len(canaries) == 1 and canaries[0]["spec"]["replicas"] == 1
    status = _ro(c, "search")["canaryStatus"]
    assert (status["canaryReplicas"], status["canaryReadyReplicas"]) == (1, 1)
    assert status["podTemplateHash"] == deployment_hash(canaries[0])
    assert len(c.pods("shop")) == 5  # 4 stable + 1 canary
    _approve(c, "search")
    c.advance(5)
    assert _ro(c, "search")["phase"] == "Healthy"
    assert [d["metadata"]["name"] for d in c.list(DEPLOY, "shop")] == ["search"]
    assert {p["spec"]["containers"][0]["image"] for p in c.pods("shop")} == {
        app.image_at("2.0.0")}


def test_cloneset_and_statefulset_partition_gating():
    c = Cluster({"readiness_delay": 0})
    ledger = _app(name="ledger", workload="CloneSet", replicas=4)
    auth = _app(name="auth", workload="StatefulSet", replicas=4)
    c.add_app(ledger)
    c.add_app(auth)
    _release(c, ledger, resource=CLONESET)
    _release(c, auth, resource=STS)
    c.advance(10)
    cs = c.get(CLONESET, "ledger", "shop")
    assert cs["spec"]["updateStrategy"]["partition"] == 3
    ledger_status = _ro(c, "ledger")
    assert ledger_status["canaryStatus"]["canaryReadyReplicas"] == 1
    assert ledger_status["canaryStatus"]["stableRevision"] == (
        cs["status"]["currentRevision"].rsplit("-", 1)[1])
    sts = c.get(STS, "auth", "shop")
    assert sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 3
    auth_status = _ro(c, "auth")["canaryStatus"]
    assert auth_status["podTemplateHash"] == sts["status"]["updateRevision"]
    assert (auth_status["currentStepState"], auth_status["canaryReadyReplicas"]) == (
        "StepPaused", 1)
    for name in ("ledger", "auth"):
        _approve(c, name)
    c.advance(5)
    for name in ("ledger", "auth"):
        _approve(c, name)
    c.advance(40)
    assert _ro(c, "ledger")["phase"] == "Healthy"
    assert _ro(c, "auth")["phase"] == "Healthy"
    cs = c.get(CLONESET, "ledger", "shop")
    assert cs["status"]["currentRevision"] == cs["status"]["updateRevision"]
    assert c.get(STS, "auth", "shop")["status"]["updatedReplicas"] == 4


def test_blue_green_keeps_old_pods_until_the_end():
    strategy = {"blueGreen": {"steps": [
        {"replicas": "100%", "traffic": "0%", "pause": {}}, {"replicas": "100%",
                                                             "traffic": "100%"}]}}
    c, app = _cluster(_app(name="scheduler", strategy=strategy, replicas=2))
    _release(c, app)
    c.advance(3)
    status = _ro(c, "scheduler")
    assert "canaryStatus" not in status
    bg = status["blueGreenStatus"]
    assert (bg["currentStepIndex"], bg["currentStepState"]) == (1, "StepPaused")
    assert (bg["updatedReplicas"], bg["updatedReadyReplicas"]) == (2, 2)
    assert bg["updatedRevision"] == deployment_hash(c.get(DEPLOY, "scheduler", "shop"))
    assert len(c.pods("shop")) == 4  # old and new side by side
    _approve(c, "scheduler", "blueGreenStatus")
    c.advance(1)
    _approve(c, "scheduler", "blueGreenStatus")
    c.advance(5)
    status = _ro(c, "scheduler")
    assert status["phase"] == "Healthy"
    assert status["blueGreenStatus"]["finalisingStep"] == "END"
    deployment = c.get(DEPLOY, "scheduler", "shop")
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}}
    assert "minReadySeconds" not in deployment["spec"]
    assert {p["spec"]["containers"][0]["image"] for p in c.pods("shop")} == {
        app.image_at("2.0.0")}
    assert len(c.pods("shop")) == 2


def test_traffic_routing_grace_period_holds_the_step():
    strategy = {"canary": {
        "trafficRoutings": [{"service": "catalog", "gracePeriodSeconds": 5,
                             "ingress": {"classType": "nginx", "name": "catalog"}}],
        "steps": [{"traffic": "20%", "replicas": 1, "pause": {"duration": 0}},
                  {"replicas": "100%"}]}}
    c, app = _cluster(_app(strategy=strategy))
    c.clock.remove_step_listener(c.manager.run_until_quiet)  # settle by hand, second by second
    _release(c, app)
    c.settle()
    c.clock.advance(1)
    c.settle()  # the canary pod is ready: the step routes traffic
    canary = _ro(c)["canaryStatus"]
    assert (canary["currentStepIndex"], canary["currentStepState"]) == (1, "StepTrafficRouting")
    assert canary["lastUpdateTime"] == "2026-01-01T12:00:06Z"
    c.clock.advance(4)
    c.settle()
    assert _ro(c)["canaryStatus"]["currentStepState"] == "StepTrafficRouting"
    c.clock.advance(1)
    c.settle()
    assert _ro(c)["canaryStatus"]["currentStepIndex"] == 2
