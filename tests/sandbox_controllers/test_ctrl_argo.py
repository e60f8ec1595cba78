"""The Argo Rollouts controller, transition by transition (reference/argo.md)."""

from __future__ import annotations

from test_ctrl_support import ARGO_RO, DEPLOY, Cluster, condition

from rollouts_widgets.sandbox.controllers.argo_status import compute_phase
from rollouts_widgets.sandbox.scenarios.builders import ARGO, App, analysis_template

CANARY = {"canary": {"steps": [
    {"setWeight": 20}, {"pause": {}}, {"setWeight": 60}, {"pause": {"duration": "30s"}},
]}}
ARGO_CFG = {"readiness_delay": 1}


def _app(**changes) -> App:
    base = {"namespace": "shop", "name": "checkout", "provider": ARGO, "strategy": CANARY,
            "tag": "1.0.0", "replicas": 5}
    base.update(changes)
    return App(**base)


def _cluster(app: App | None = None, config: dict | None = None, extra=()) -> tuple[Cluster, App]:
    c = Cluster(config or ARGO_CFG)
    app = app or _app()
    c.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": app.namespace}},
             *extra])
    c.add_app(app)
    return c, app


def _status(c: Cluster, name: str = "checkout") -> dict:
    return c.status(ARGO_RO, name, "shop")


def _release(c: Cluster, app: App, tag: str = "2.0.0") -> None:
    c.set_image(ARGO_RO, app.name, app.image_at(tag), ns="shop")


def _sizes(c: Cluster, name: str = "checkout") -> dict[str, int]:
    return {rs["metadata"]["labels"]["rollouts-pod-template-hash"]: rs["spec"]["replicas"]
            for rs in c.replicasets(name, "shop").values()}


def test_first_deploy_is_healthy_and_skips_steps():
    c, _ = _cluster()
    status = _status(c)
    (rs,) = c.replicasets("checkout", "shop").values()
    pod_hash = rs["metadata"]["labels"]["rollouts-pod-template-hash"]
    assert rs["metadata"]["name"] == f"checkout-{pod_hash}"
    assert rs["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "1"
    assert (status["phase"], status["message"]) == ("Healthy", "")
    assert (status["stableRS"], status["currentPodHash"], status["currentStepIndex"]) == (
        pod_hash, pod_hash, 4)
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"]) == (5, 5, 5, 5)
    assert status["observedGeneration"] == "1"
    assert condition(status, "Healthy")["status"] == "True"
    assert condition(status, "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_set_weight_then_manual_pause_then_promote_then_timed_pause():
    c, app = _cluster()
    stable = _status(c)["stableRS"]
    _release(c, app)
    c.advance(2)
    status = _status(c)
    new = status["currentPodHash"]
    assert new != stable
    assert (status["phase"], status["message"]) == ("Paused", "CanaryPauseStep")
    assert status["currentStepIndex"] == 1
    assert status["controllerPause"] is True
    assert [p["reason"] for p in status["pauseConditions"]] == ["CanaryPauseStep"]
    assert _sizes(c) == {stable: 4, new: 1}
    assert compute_phase(c.get(ARGO_RO, "checkout", "shop"), status) == (
        "Paused", "CanaryPauseStep")
    # promote as the kubectl plugin does for a step pause: clear the pause conditions
    c.patch(ARGO_RO, "checkout", {"status": {"pauseConditions": None}}, ns="shop", status=True)
    c.advance(3)
    status = _status(c)
    assert status["currentStepIndex"] == 3
    assert _sizes(c) == {stable: 2, new: 3}
    start = status["pauseConditions"][0]["startTime"]
    c.advance(25)
    assert _status(c)["pauseConditions"][0]["startTime"] == start
    c.advance(10)
    status = _status(c)
    assert (status["phase"], status["stableRS"], status["currentStepIndex"]) == (
        "Healthy", new, 4)
    assert _sizes(c) == {stable: 0, new: 5}
    assert "controllerPause" not in status and "pauseConditions" not in status
    assert condition(status, "Completed")["status"] == "True"


def test_promote_without_pause_conditions_moves_the_index():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    c.patch(ARGO_RO, "checkout", {"status": {"pauseConditions": None, "currentStepIndex": 2}},
            ns="shop", status=True)
    c.advance(3)
    status = _status(c)
    assert (status["currentStepIndex"], status["phase"]) == (3, "Paused")
    assert status["pauseConditions"][0]["startTime"] >= "2026-01-01T12:00:07Z"


def test_abort_scales_canary_down_and_is_degraded_then_retry():
    c, app = _cluster()
    stable = _status(c)["stableRS"]
    _release(c, app)
    c.advance(2)
    new = _status(c)["currentPodHash"]
    c.patch(ARGO_RO, "checkout", {"status": {"abort": True}}, ns="shop", status=True)
    c.advance(3)
    status = _status(c)
    assert status["phase"] == "Degraded"
    assert status["message"] == "RolloutAborted: Rollout aborted update to revision 2"
    progressing = condition(status, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "RolloutAborted")
    assert status["abortedAt"] == "2026-01-01T12:00:07Z"
    assert status["currentStepIndex"] == 0
    assert _sizes(c) == {stable: 5, new: 0}
    assert "pauseConditions" not in status
    c.patch(ARGO_RO, "checkout", {"status": {"abort": False}}, ns="shop", status=True)
    c.advance(2)
    status = _status(c)
    assert (status["phase"], status["currentStepIndex"]) == ("Paused", 1)
    assert "abortedAt" not in status
    assert _sizes(c) == {stable: 4, new: 1}


def test_promote_full_skips_the_remaining_steps():
    c, app = _cluster()
    _release(c, app)
    c.advance(2)
    new = _status(c)["currentPodHash"]
    c.patch(ARGO_RO, "checkout", {"status": {"promoteFull": True}}, ns="shop", status=True)
    c.advance(4)
    status = _status(c)
    assert (status["phase"], status["stableRS"], status["currentStepIndex"]) == (
        "Healthy", new, 4)
    assert "promoteFull" not in status


def test_spec_paused_is_manually_paused_and_holds_progress():
    c, app = _cluster(_app(strategy={"canary": {"steps": [
        {"setWeight": 40}, {"pause": {"duration": 10}}]}}))
    c.patch(ARGO_RO, "checkout", {"spec": {"paused": True}}, ns="shop")
    _release(c, app)
    c.advance(60)
    status = _status(c)
    assert (status["phase"], status["message"]) == ("Paused", "manually paused")
    assert status["currentStepIndex"] == 0
    assert condition(status, "Paused")["status"] == "True"
    c.patch(ARGO_RO, "checkout", {"spec": {"paused": False}}, ns="shop")
    c.advance(20)
    status = _status(c)
    assert status["phase"] == "Healthy"
    assert condition(status, "Paused")["reason"] == "RolloutResumed"


def test_restart_at_replaces_every_pod_and_records_restarted_at():
    c, _ = _cluster(_app(replicas=3))
    before = {p["metadata"]["name"] for p in c.pods("shop")}
    c.advance(10)
    restart_at = "2026-01-01T12:00:15Z"
    c.patch(ARGO_RO, "checkout", {"spec": {"restartAt": restart_at}}, ns="shop")
    c.manager.reconcile_round()
    status = _status(c)
    assert (status["phase"], status["message"]) == ("Progressing", "rollout is restarting")
    c.advance(10)
    status = _status(c)
    assert status["restartedAt"] == restart_at
    assert status["phase"] == "Healthy"
    after = {p["metadata"]["name"] for p in c.pods("shop")}
    assert len(after) == 3 and not before & after


def test_undo_to_the_stable_template_is_a_fast_rollback_with_a_new_revision():
    c, app = _cluster()
    stable = _status(c)["stableRS"]
    _release(c, app)
    c.advance(2)
    _release(c, app, "1.0.0")
    c.advance(2)
    status = _status(c)
    assert (status["phase"], status["currentPodHash"], status["stableRS"]) == (
        "Healthy", stable, stable)
    revisions = {rs["metadata"]["labels"]["rollouts-pod-template-hash"]:
                 rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]
                 for rs in c.replicasets("checkout", "shop").values()}
    assert revisions[stable] == "3"
    assert sorted(revisions.values()) == ["2", "3"]


def _analysis_app(series: list, limit: int = 1) -> tuple[Cluster, App]:
    template = analysis_template("shop", "error-rate", [{
        "name": "error-rate", "interval": "10s", "count": 3, "failureLimit": limit,
        "inconclusiveLimit": 0, "provider": {"prometheus": {"query": "x"}}}])
    app = _app(name="cart", replicas=4, strategy={"canary": {"steps": [
        {"setWeight": 25}, {"analysis": {"templates": [{"templateName": "error-rate"}]}},
        {"setWeight": 75}]}})
    return _cluster(app, {"readiness_delay": 1, "analysis": {"cart/error-rate": series}},
                    [template])


def test_failing_analysis_step_aborts_the_rollout():
    c, app = _analysis_app(["successful", {"outcome": "failed", "value": "0.7"}, "failed"])
    _release(c, app)
    c.advance(30)
    status = _status(c, "cart")
    run_name = status["canary"]["currentStepAnalysisRunStatus"]["name"]
    assert run_name == f"cart-{status['currentPodHash']}-2-1"
    run = c.get("analysisruns.argoproj.io", run_name, "shop")
    metric = run["status"]["metricResults"][0]
    assert (run["status"]["phase"], metric["phase"], metric["count"], metric["successful"],
            metric["failed"]) == ("Failed", "Failed", 3, 1, 2)
    assert [m["value"] for m in metric["measurements"]] == ["1", "0.7", "0"]
    assert run["status"]["message"] == (
        'Metric "error-rate" assessed Failed due to failed (2) > failureLimit (1)')
    assert run["metadata"]["labels"]["rollout-type"] == "Step"
    assert status["phase"] == "Degraded"
    assert status["message"].startswith("RolloutAborted: Rollout aborted update to revision 2: "
                                        f'AnalysisRun "{run_name}" failed')
    assert status["abort"] is True
    assert _sizes(c, "cart")[status["currentPodHash"]] == 0


def test_successful_analysis_step_lets_the_rollout_finish():
    c, app = _analysis_app(["successful"])
    _release(c, app)
    c.advance(40)
    status = _status(c, "cart")
    assert status["phase"] == "Healthy"
    assert status["canary"]["currentStepAnalysisRunStatus"]["status"] == "Successful"


def test_inconclusive_analysis_pauses_and_promote_continues():
    c, app = _analysis_app(["inconclusive"])
    _release(c, app)
    c.advance(5)
    status = _status(c, "cart")
    assert (status["phase"], status["message"]) == ("Paused", "InconclusiveAnalysisRun")
    c.patch(ARGO_RO, "cart", {"status": {"pauseConditions": None, "controllerPause": False}},
            ns="shop", status=True)
    c.patch(ARGO_RO, "cart", {"status": {"controllerPause": True}}, ns="shop", status=True)
    c.advance(10)
    assert _status(c, "cart")["phase"] == "Healthy"


def test_background_analysis_runs_during_the_release_and_is_terminated_after():
    template = analysis_template("shop", "latency", [{
        "name": "latency", "interval": "5s", "provider": {"prometheus": {"query": "y"}}}])
    app = _app(name="metrics", replicas=2, strategy={"canary": {
        "analysis": {"templates": [{"templateName": "latency"}]},
        "steps": [{"setWeight": 50}, {"pause": {"duration": 20}}]}})
    c, app = _cluster(app, extra=[template])
    _release(c, app)
    c.advance(10)
    status = _status(c, "metrics")
    name = status["canary"]["currentBackgroundAnalysisRunStatus"]["name"]
    assert name == f"metrics-{status['currentPodHash']}-2"
    assert c.get("analysisruns.argoproj.io", name, "shop")["status"]["phase"] == "Running"
    c.advance(20)
    run = c.get("analysisruns.argoproj.io", name, "shop")
    assert run["spec"]["terminate"] is True
    assert (run["status"]["phase"], run["status"]["message"]) == ("Successful", "Run Terminated")
    assert _status(c, "metrics")["phase"] == "Healthy"


def test_experiment_step_creates_replicasets_and_finishes():
    app = _app(name="search", replicas=2, strategy={"canary": {"steps": [
        {"setWeight": 50},
        {"experiment": {"duration": "10s", "templates": [
            {"name": "canary", "specRef": "canary"}, {"name": "baseline", "specRef": "stable"}]}},
    ]}})
    c, app = _cluster(app)
    _release(c, app)
    c.advance(4)
    status = _status(c, "search")
    exp_name = status["canary"]["currentExperiment"]
    assert exp_name == f"search-{status['currentPodHash']}-2-1"
    exp = c.get("experiments.argoproj.io", exp_name, "shop")
    assert exp["status"]["phase"] == "Running"
    rss = c.replicasets(exp_name, "shop")
    images = {rs["metadata"]["name"]: rs["spec"]["template"]["spec"]["containers"][0]["image"]
              for rs in rss.values()}
    assert images == {f"{exp_name}-canary": app.image_at("2.0.0"),
                      f"{exp_name}-baseline": app.image}
    c.advance(15)
    exp = c.get("experiments.argoproj.io", exp_name, "shop")
    assert exp["status"]["phase"] == "Successful"
    assert [t["status"] for t in exp["status"]["templateStatuses"]] == ["Successful"] * 2
    assert all(rs["spec"]["replicas"] == 0 for rs in c.replicasets(exp_name, "shop").values())
    assert _status(c, "search")["phase"] == "Healthy"


def test_traffic_routed_steps_scale_header_mirror_and_plugin():
    app = _app(name="recs", replicas=4, strategy={"canary": {
        "canaryService": "recs-canary", "stableService": "recs",
        "trafficRouting": {"nginx": {"stableIngress": "recs"}},
        "steps": [{"setCanaryScale": {"replicas": 1}}, {"setWeight": 10},
                  {"setHeaderRoute": {"name": "beta"}}, {"setMirrorRoute": {"name": "m"}},
                  {"plugin": {"name": "acme.io/notify"}}, {"pause": {}}]}})
    c, app = _cluster(app)
    stable = _status(c, "recs")["stableRS"]
    _release(c, app)
    c.advance(4)
    status = _status(c, "recs")
    new = status["currentPodHash"]
    assert (status["phase"], status["currentStepIndex"]) == ("Paused", 5)
    assert _sizes(c, "recs") == {stable: 4, new: 1}
    assert status["canary"]["weights"] == {
        "canary": {"weight": 10, "podTemplateHash": new, "serviceName": "recs-canary"},
        "stable": {"weight": 90, "podTemplateHash": stable, "serviceName": "recs"}}
    (plugin,) = status["canary"]["stepPluginStatuses"]
    assert (plugin["index"], plugin["name"], plugin["phase"]) == (4, "acme.io/notify",
                                                                  "Successful")
    c.patch(ARGO_RO, "recs", {"status": {"pauseConditions": None}}, ns="shop", status=True)
    c.advance(5)
    status = _status(c, "recs")
    assert status["phase"] == "Healthy"
    assert status["canary"]["weights"]["canary"]["weight"] == 100


def test_unknown_step_and_missing_template_are_invalid_spec():
    app = _app(name="odd", replicas=1, strategy={"canary": {"steps": [{"teleport": {}}]}})
    c, app = _cluster(app)
    _release(c, app)
    c.advance(2)
    status = _status(c, "odd")
    assert status["phase"] == "Degraded"
    assert status["message"] == ("InvalidSpec: spec.strategy.canary.steps[0]: unknown step "
                                 "type ['teleport']")
    app2 = _app(name="lost", replicas=1, strategy={"canary": {"steps": [
        {"analysis": {"templates": [{"templateName": "nope"}]}}]}})
    c.add_app(app2)
    _release(c, app2)
    c.advance(2)
    assert _status(c, "lost")["message"] == 'InvalidSpec: AnalysisTemplate "nope" not found'


def test_progress_deadline_exceeded_is_degraded():
    app = _app(name="gateway", replicas=2, spec={"progressDeadlineSeconds": 20},
               strategy={"canary": {"steps": [{"setWeight": 50}]}})
    c, app = _cluster(app, {"readiness_delay": 1, "bad_images": {"2.0.0": "CrashLoopBackOff"}})
    _release(c, app)
    c.advance(15)
    assert _status(c, "gateway")["phase"] == "Progressing"
    c.advance(10)
    status = _status(c, "gateway")
    rs_name = f"gateway-{status['currentPodHash']}"
    assert (status["phase"], status["message"]) == (
        "Degraded", f'ProgressDeadlineExceeded: ReplicaSet "{rs_name}" has timed out progressing.')


def test_blue_green_preview_pause_promote_and_scale_down_delay():
    strategy = {"blueGreen": {"activeService": "web-active", "previewService": "web-preview",
                              "autoPromotionEnabled": False, "scaleDownDelaySeconds": 30}}
    app = _app(name="web", replicas=2, strategy=strategy,
               services=("web-active", "web-preview"))
    c, app = _cluster(app)
    stable = _status(c, "web")["stableRS"]
    selectors = {s["metadata"]["name"]: s["spec"]["selector"].get("rollouts-pod-template-hash")
                 for s in c.list("services", "shop")}
    assert selectors == {"web": None, "web-active": stable, "web-preview": stable}
    _release(c, app)
    c.advance(3)
    status = _status(c, "web")
    new = status["currentPodHash"]
    assert (status["phase"], status["message"]) == ("Paused", "BlueGreenPause")
    assert status["blueGreen"] == {"activeSelector": stable, "previewSelector": new}
    assert c.get("services", "web-preview", "shop")["spec"]["selector"][
        "rollouts-pod-template-hash"] == new
    assert _sizes(c, "web") == {stable: 2, new: 2}
    c.patch(ARGO_RO, "web", {"status": {"pauseConditions": None}}, ns="shop", status=True)
    c.advance(2)
    status = _status(c, "web")
    assert (status["phase"], status["stableRS"]) == ("Healthy", new)
    assert status["blueGreen"]["activeSelector"] == new
    assert c.get("services", "web-active", "shop")["spec"]["selector"][
        "rollouts-pod-template-hash"] == new
    assert _sizes(c, "web") == {stable: 2, new: 2}
    c.advance(30)
    assert _sizes(c, "web") == {stable: 0, new: 2}


def test_blue_green_auto_promotion():
    strategy = {"blueGreen": {"activeService": "api-active"}}
    c, app = _cluster(_app(name="api", replicas=2, strategy=strategy,
                           services=("api-active",)))
    _release(c, app)
    c.advance(3)
    status = _status(c, "api")
    assert status["phase"] == "Healthy"
    assert status["stableRS"] == status["currentPodHash"]


def test_workload_ref_tracks_generation_and_scales_the_deployment_down():
    c, app = _cluster(_app(name="fraud", replicas=2, workload_ref=True, strategy={
        "canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": 5}}]}}))
    rollout = c.get(ARGO_RO, "fraud", "shop")
    deployment = c.get(DEPLOY, "fraud", "shop")
    generation = str(deployment["metadata"]["generation"])
    assert rollout["metadata"]["annotations"]["rollout.argoproj.io/workload-generation"] == (
        generation)
    status = rollout["status"]
    assert status["workloadObservedGeneration"] == generation
    assert deployment["spec"]["replicas"] == 0  # scaleDown: onsuccess
    c.set_image(DEPLOY, "fraud", app.image_at("2.0.0"), ns="shop")
    c.advance(10)
    rollout = c.get(ARGO_RO, "fraud", "shop")
    generation = str(c.get(DEPLOY, "fraud", "shop")["metadata"]["generation"])
    assert rollout["status"]["workloadObservedGeneration"] == generation
    assert rollout["status"]["phase"] == "Healthy"
    images = {p["spec"]["containers"][0]["image"] for p in c.pods("shop")}
    assert images == {app.image_at("2.0.0")}


def test_analysis_run_errors_past_the_consecutive_error_limit():
    c = Cluster({"analysis": {"probe": ["error"]}})
    c.apply([{"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
              "metadata": {"name": "manual-check"},
              "spec": {"metrics": [{"name": "probe", "interval": "1s",
                                    "consecutiveErrorLimit": 2, "provider": {"web": {}}}]}}])
    c.advance(1)  # measurements at 0 s and 1 s
    assert c.status("analysisruns.argoproj.io", "manual-check")["phase"] == "Running"
    c.advance(1)
    status = c.status("analysisruns.argoproj.io", "manual-check")
    metric = status["metricResults"][0]
    assert (status["phase"], metric["phase"], metric["error"], metric["consecutiveError"]) == (
        "Error", "Error", 3, 3)
    assert status["message"] == (
        'Metric "probe" assessed Error due to consecutiveErrors (3) > consecutiveErrorLimit (2)')
    assert metric["measurements"][0]["message"] == "sandbox: metric provider returned an error"
    assert status["runSummary"] == {"count": 1, "error": 1}


def test_failing_experiment_analysis_aborts_the_rollout():
    template = analysis_template("shop", "smoke", [{
        "name": "smoke", "count": 1, "provider": {"job": {}}}])
    app = _app(name="search", replicas=2, strategy={"canary": {"steps": [
        {"setWeight": 50},
        {"experiment": {"templates": [{"name": "canary", "specRef": "canary"}],
                        "analyses": [{"name": "smoke", "templateName": "smoke"}]}},
    ]}})
    c, app = _cluster(app, {"readiness_delay": 1, "analysis": {"smoke": ["failed"]}},
                      [template])
    _release(c, app)
    c.advance(10)
    status = _status(c, "search")
    exp_name = f"search-{status['currentPodHash']}-2-1"
    exp = c.get("experiments.argoproj.io", exp_name, "shop")
    assert exp["status"]["phase"] == "Failed"
    assert exp["status"]["message"].startswith(f'AnalysisRun "{exp_name}-smoke" assessed Failed')
    assert status["phase"] == "Degraded"
    assert f'Experiment "{exp_name}" failed' in status["message"]


def _bg_analysis_cluster(series: list) -> tuple[Cluster, App]:
    templates = [
        analysis_template("shop", "smoke", [{"name": "smoke", "count": 1,
                                             "provider": {"job": {}}}]),
        analysis_template("shop", "soak", [{"name": "soak", "count": 2, "interval": "10s",
                                            "provider": {"job": {}}}]),
    ]
    strategy = {"blueGreen": {
        "activeService": "pay-active", "previewService": "pay-preview",
        "prePromotionAnalysis": {"templates": [{"templateName": "smoke"}]},
        "postPromotionAnalysis": {"templates": [{"templateName": "soak"}]}}}
    app = _app(name="pay", replicas=2, strategy=strategy, services=("pay-active", "pay-preview"))
    return _cluster(app, {"readiness_delay": 1, "analysis": {"pay/soak": series}}, templates)


def test_blue_green_pre_and_post_promotion_analysis():
    c, app = _bg_analysis_cluster(["successful"])
    _release(c, app)
    c.advance(5)
    status = _status(c, "pay")
    assert (status["phase"], status["message"]) == (
        "Progressing", "waiting for post-promotion verification to complete")
    assert status["blueGreen"]["activeSelector"] == status["currentPodHash"]
    c.advance(10)
    status = _status(c, "pay")
    bg = status["blueGreen"]
    assert bg["prePromotionAnalysisRunStatus"]["status"] == "Successful"
    assert bg["postPromotionAnalysisRunStatus"]["status"] == "Successful"
    assert bg["prePromotionAnalysisRunStatus"]["name"] == (
        f"pay-{status['currentPodHash']}-2-pre")
    assert (status["phase"], status["stableRS"]) == ("Healthy", status["currentPodHash"])
    kinds = {r["metadata"]["labels"]["rollout-type"]
             for r in c.list("analysisruns.argoproj.io", "shop")}
    assert kinds == {"PrePromotion", "PostPromotion"}


def test_blue_green_failing_post_promotion_analysis_switches_back():
    c, app = _bg_analysis_cluster(["failed"])
    stable = _status(c, "pay")["stableRS"]
    _release(c, app)
    c.advance(5)
    status = _status(c, "pay")
    assert status["phase"] == "Degraded"
    assert status["blueGreen"]["activeSelector"] == stable
    assert status["stableRS"] == stable
    assert c.get("services", "pay-active", "shop")["spec"]["selector"][
        "rollouts-pod-template-hash"] == stable
    assert _sizes(c, "pay")[status["currentPodHash"]] == 0
    assert status["message"].startswith(
        "RolloutAborted: Rollout aborted update to revision 2: AnalysisRun "
        f'"pay-{status["currentPodHash"]}-2-post" failed')
