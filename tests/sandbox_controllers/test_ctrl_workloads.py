"""Deployments, ReplicaSets, pods, CloneSets and StatefulSets in the sandbox (manual clock)."""

from __future__ import annotations

from test_ctrl_support import CLONESET, DEPLOY, RS, STS, Cluster, condition

from rollouts_widgets.sandbox.controllers.pods import crash_back_off
from rollouts_widgets.sandbox.scenarios.builders import App, workload


def _deployment(name: str = "web", replicas: int = 4, image_tag: str = "1.0.0", **spec):
    obj = workload(App("default", name, "kruise", {}, tag=image_tag, replicas=replicas))
    obj["spec"].update(spec)
    return obj


def test_deployment_creates_replicaset_and_pods_with_hash_revision_and_owners():
    c = Cluster({"readiness_delay": 2})
    c.apply([_deployment()])
    c.settle()
    deployment = c.get(DEPLOY, "web")
    (rs,) = c.replicasets("web").values()
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    owner = rs["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "Deployment", "web", deployment["metadata"]["uid"], True)
    pods = c.pods(app="web")
    assert len(pods) == 4
    assert {p["metadata"]["labels"]["pod-template-hash"] for p in pods} == {pod_hash}
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"] for p in pods)
    assert {p["status"]["phase"] for p in pods} == {"Pending"}
    c.advance(1)
    assert {p["status"]["phase"] for p in c.pods(app="web")} == {"Pending"}
    c.advance(1)
    pods = c.pods(app="web")
    assert {p["status"]["phase"] for p in pods} == {"Running"}
    assert all(condition(p["status"], "Ready")["status"] == "True" for p in pods)
    status = c.status(DEPLOY, "web")
    assert (status["replicas"], status["updatedReplicas"], status["readyReplicas"],
            status["availableReplicas"]) == (4, 4, 4, 4)
    assert condition(status, "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert condition(status, "Available")["status"] == "True"
    reasons = [e[1] for e in c.events(pods[0]["metadata"]["name"])]
    assert sorted(reasons) == ["Created", "Pulled", "Scheduled", "Started"]


def test_quiet_cluster_writes_nothing():
    c = Cluster({"readiness_delay": 0})
    c.apply([_deployment()])
    c.settle()
    rv = c.store.resource_version
    assert c.manager.run_until_quiet() == 1
    assert c.store.resource_version == rv


def test_rolling_update_stays_within_max_surge_and_max_unavailable():
    c = Cluster({"readiness_delay": 1})
    c.apply([_deployment(replicas=4, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 1}})])
    c.advance(2)
    seen = []  # (pods, ready pods) after every committed change, as a watcher sees it

    def observe(kind, resource, obj):
        if resource == "pods":
            pods = c.store.page("pods")[0]
            seen.append((len(pods), sum(
                any(x["type"] == "Ready" and x["status"] == "True"
                    for x in (p.get("status") or {}).get("conditions") or []) for p in pods)))

    c.store.add_listener(observe)
    c.set_image(DEPLOY, "web", "ghcr.io/acme/web:2.0.0")
    c.advance(10)
    assert len(seen) > 10
    assert max(total for total, _ in seen) == 5  # replicas + maxSurge
    assert min(ready for _, ready in seen) == 3  # replicas - maxUnavailable
    rss = c.replicasets("web")
    revisions = sorted((rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
                        rs["spec"]["replicas"]) for rs in rss.values())
    assert revisions == [("1", 0), ("2", 4)]
    assert {p["spec"]["containers"][0]["image"] for p in c.pods(app="web")} == {
        "ghcr.io/acme/web:2.0.0"}
    scaling = [e for e in c.events("web") if e[1] == "ScalingReplicaSet"]
    assert scaling and all(e[0] == "Normal" for e in scaling)


def test_paused_deployment_does_not_roll_and_resumes():
    c = Cluster({"readiness_delay": 0})
    c.apply([_deployment(replicas=2)])
    c.settle()
    c.patch(DEPLOY, "web", {"spec": {"paused": True}})
    c.set_image(DEPLOY, "web", "ghcr.io/acme/web:2.0.0")
    c.advance(30)
    assert len(c.replicasets("web")) == 1
    progressing = condition(c.status(DEPLOY, "web"), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("Unknown", "DeploymentPaused")
    c.patch(DEPLOY, "web", {"spec": {"paused": None}})
    c.advance(5)
    assert sorted(rs["spec"]["replicas"] for rs in c.replicasets("web").values()) == [0, 2]


def test_progress_deadline_exceeded_with_crash_looping_image():
    c = Cluster({"readiness_delay": 1, "bad_images": {"2.0.0": "CrashLoopBackOff"}})
    c.apply([_deployment(replicas=2, progressDeadlineSeconds=30)])
    c.advance(2)
    c.set_image(DEPLOY, "web", "ghcr.io/acme/web:2.0.0")
    c.advance(20)
    assert condition(c.status(DEPLOY, "web"), "Progressing")["reason"] == "ReplicaSetUpdated"
    c.advance(15)
    progressing = condition(c.status(DEPLOY, "web"), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False",
                                                              "ProgressDeadlineExceeded")
    new_rs = next(rs for rs in c.replicasets("web").values()
                  if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2")
    assert progressing["message"] == (
        f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.')


def test_crash_loop_restarts_grow_and_events_are_counted():
    c = Cluster({"readiness_delay": 0, "bad_images": {"0.0.1-bad": "CrashLoopBackOff"}})
    c.apply([_deployment(replicas=1, image_tag="0.0.1-bad")])
    c.settle()
    (pod,) = c.pods(app="web")
    container = pod["status"]["containerStatuses"][0]
    assert container["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert container["restartCount"] == 1
    assert condition(pod["status"], "Ready")["status"] == "False"
    assert [crash_back_off(n) for n in (1, 2, 3, 6, 9)] == [10, 20, 40, 300, 300]
    c.advance(9)
    assert c.pods(app="web")[0]["status"]["containerStatuses"][0]["restartCount"] == 1
    c.advance(1)
    assert c.pods(app="web")[0]["status"]["containerStatuses"][0]["restartCount"] == 2
    c.advance(19)
    assert c.pods(app="web")[0]["status"]["containerStatuses"][0]["restartCount"] == 2
    c.advance(1)
    assert c.pods(app="web")[0]["status"]["containerStatuses"][0]["restartCount"] == 3
    back_off = next(e for e in c.list("events") if e["reason"] == "BackOff")
    assert back_off["type"] == "Warning" and back_off["count"] == 3
    assert back_off["message"].startswith("Back-off restarting failed container web in pod ")


def test_image_pull_back_off_pod_stays_pending_with_events():
    c = Cluster({"readiness_delay": 0, "bad_images": ["9.9.9"]})
    c.apply([_deployment(replicas=1, image_tag="9.9.9")])
    c.advance(60)
    (pod,) = c.pods(app="web")
    assert pod["status"]["phase"] == "Pending"
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "ImagePullBackOff",
                       "message": 'Back-off pulling image "ghcr.io/acme/web:9.9.9"'}
    reasons = {(e[0], e[1]) for e in c.events(pod["metadata"]["name"])}
    assert {("Normal", "Scheduled"), ("Normal", "Pulling"), ("Warning", "Failed"),
            ("Normal", "BackOff")} <= reasons


def test_recreate_strategy_removes_old_pods_first():
    c = Cluster({"readiness_delay": 0})
    c.apply([_deployment(replicas=2, strategy={"type": "Recreate"})])
    c.settle()
    c.set_image(DEPLOY, "web", "ghcr.io/acme/web:2.0.0")
    c.manager.reconcile_round()
    c.manager.reconcile_round()
    images = {p["spec"]["containers"][0]["image"] for p in c.pods(app="web")}
    assert "ghcr.io/acme/web:2.0.0" not in images
    c.settle()
    assert {p["spec"]["containers"][0]["image"] for p in c.pods(app="web")} == {
        "ghcr.io/acme/web:2.0.0"}


def test_cloneset_partition_keeps_old_pods_and_tracks_revisions():
    c = Cluster({"readiness_delay": 0})
    cs = workload(App("default", "ledger", "kruise", {}, replicas=4, workload="CloneSet"))
    c.apply([cs])
    c.settle()
    first = c.status(CLONESET, "ledger")
    assert first["currentRevision"] == first["updateRevision"]
    assert first["updateRevision"].startswith("ledger-")
    c.patch(CLONESET, "ledger", {"spec": {"updateStrategy": {"partition": 3}}})
    c.set_image(CLONESET, "ledger", "ghcr.io/acme/ledger:2.0.0")
    c.advance(5)
    status = c.status(CLONESET, "ledger")
    assert (status["updatedReplicas"], status["updatedReadyReplicas"], status["replicas"],
            status["expectedUpdatedReplicas"]) == (1, 1, 4, 1)
    assert status["currentRevision"] == first["currentRevision"] != status["updateRevision"]
    pods = c.pods(app="ledger")
    new = [p for p in pods if p["metadata"]["labels"]["controller-revision-hash"]
           == status["updateRevision"]]
    assert len(new) == 1
    assert new[0]["metadata"]["labels"]["pod-template-hash"] == (
        status["updateRevision"].rsplit("-", 1)[1])
    c.patch(CLONESET, "ledger", {"spec": {"updateStrategy": {"partition": 0}}})
    c.advance(5)
    status = c.status(CLONESET, "ledger")
    assert status["updatedReplicas"] == 4
    assert status["currentRevision"] == status["updateRevision"]


def test_statefulset_partition_updates_highest_ordinals():
    c = Cluster({"readiness_delay": 0})
    sts = workload(App("default", "auth", "kruise", {}, replicas=3, workload="StatefulSet"))
    c.apply([sts])
    c.advance(3)
    assert sorted(p["metadata"]["name"] for p in c.pods(app="auth")) == [
        "auth-0", "auth-1", "auth-2"]
    old_rev = c.status(STS, "auth")["currentRevision"]
    c.patch(STS, "auth", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}}}})
    c.set_image(STS, "auth", "ghcr.io/acme/auth:2.0.0")
    c.advance(5)
    status = c.status(STS, "auth")
    by_name = {p["metadata"]["name"]: p["metadata"]["labels"]["controller-revision-hash"]
               for p in c.pods(app="auth")}
    assert by_name == {"auth-0": old_rev, "auth-1": old_rev, "auth-2": status["updateRevision"]}
    assert (status["currentRevision"], status["updatedReplicas"], status["currentReplicas"]) == (
        old_rev, 1, 2)
    c.patch(STS, "auth", {"spec": {"updateStrategy": {"rollingUpdate": {"partition": 0}}}})
    c.advance(5)
    status = c.status(STS, "auth")
    assert status["currentRevision"] == status["updateRevision"]
    assert status["updatedReplicas"] == 3


def test_replicaset_scale_down_removes_not_ready_pods_first():
    c = Cluster({"readiness_delay": 0, "bad_images": {"bad": "ImagePullBackOff"}})
    c.apply([_deployment(replicas=2)])
    c.settle()
    (rs,) = c.replicasets("web").values()
    bad = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-manual", "namespace": "default",
                     "labels": dict(rs["spec"]["template"]["metadata"]["labels"]),
                     "ownerReferences": rs["metadata"].get("ownerReferences") and [{
                         "apiVersion": "apps/v1", "kind": "ReplicaSet",
                         "name": rs["metadata"]["name"], "uid": rs["metadata"]["uid"],
                         "controller": True}]},
        "spec": {"containers": [{"name": "web", "image": "ghcr.io/acme/web:bad"}]},
    }
    c.store.create("pods", bad)
    c.settle()
    names = {p["metadata"]["name"] for p in c.pods(app="web")}
    assert len(names) == 2 and "web-manual" not in names
    assert c.get(RS, rs["metadata"]["name"])["status"]["readyReplicas"] == 2


def test_pods_of_a_deleted_replicaset_are_garbage_collected_but_not_others():
    c = Cluster({"readiness_delay": 0})
    c.apply([_deployment(replicas=2)])
    c.settle()
    (rs,) = c.replicasets("web").values()
    orphan = {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "leftover", "namespace": "default", "labels": {"x": "y"},
                           "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                                "name": "gone", "uid": "no-such-uid",
                                                "controller": True}]},
              "spec": {"containers": [{"name": "c", "image": "ghcr.io/acme/x:1"}]}}
    job_pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "job-pod", "namespace": "default",
                            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job",
                                                 "name": "nightly", "uid": "job-uid",
                                                 "controller": True}]},
               "spec": {"containers": [{"name": "c", "image": "ghcr.io/acme/x:1"}]}}
    c.store.create("pods", orphan)
    c.store.create("pods", job_pod)
    c.settle()
    names = {p["metadata"]["name"] for p in c.list("pods")}
    assert "leftover" not in names and "job-pod" in names
    assert len([n for n in names if n.startswith(rs["metadata"]["name"])]) == 2


def test_malformed_objects_are_isolated_and_reported():
    from test_ctrl_support import ARGO_RO, KRUISE_RO

    c = Cluster({"readiness_delay": 0})
    hostile = "<script>alert(1)</script>"
    c.apply([_deployment(replicas=1)])
    c.store.create(ARGO_RO, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                             "metadata": {"name": "broken", "namespace": "default"},
                             "spec": {"replicas": "many", "strategy": "fast",
                                      "template": hostile}})
    c.store.create(KRUISE_RO, {"apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
                               "metadata": {"name": "broken", "namespace": "default"},
                               "spec": {"workloadRef": hostile, "strategy": {"canary": {
                                   "steps": "all"}}}})
    c.store.create("deployments.apps", {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "metadata": {"name": "odd", "namespace": "default"},
                                        "spec": {"replicas": 2, "template": hostile}})
    c.settle()
    argo = c.status(ARGO_RO, "broken")
    assert argo["phase"] == "Degraded"
    assert argo["message"].startswith(
        "InvalidSpec: the sandbox controller cannot read this rollout: ")
    kruise = c.status(KRUISE_RO, "broken")
    assert kruise["message"].startswith("the sandbox controller cannot read this rollout: ")
    assert c.get(ARGO_RO, "broken")["spec"]["template"] == hostile  # nothing lost
    # the well-formed Deployment still rolls
    c.set_image(DEPLOY, "web", "ghcr.io/acme/web:2.0.0")
    c.advance(5)
    assert {p["spec"]["containers"][0]["image"] for p in c.pods(app="web")} == {
        "ghcr.io/acme/web:2.0.0"}
    assert c.manager.run_until_quiet() == 1
