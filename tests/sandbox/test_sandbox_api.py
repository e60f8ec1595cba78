"""The sandbox through the official kubernetes client over HTTPS: typed APIs, CustomObjectsApi
and the dict-based ResourceClient."""

from __future__ import annotations

import json

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import (
    ARGO_ROLLOUTS,
    DEPLOYMENTS,
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
    PODS,
    ResourceClient,
)

NS = "api"
CONTAINERS = {"containers": [{"name": "c", "image": "repo/c:1"}]}


@pytest.fixture(scope="module", autouse=True)
def namespace(api):
    client.CoreV1Api(api).create_namespace({"metadata": {"name": NS}})


def deployment(name: str, image: str = "repo/app:1") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                {"name": "app", "image": image, "env": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "repo/side:1"}]}},
        },
    }


def kruise_v1beta1(name: str) -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "strategy": {"canary": {"enableExtraWorkloadForCanary": False, "steps": [
                {"traffic": "20%", "replicas": "20%", "pause": {}},
                {"replicas": "100%"}]}},
        },
    }


def test_version_and_discovery(api):
    assert client.VersionApi(api).get_code().git_version == "v1.37.0-sandbox"
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "argoproj.io", "rollouts.kruise.io", "apps.kruise.io",
            "authorization.k8s.io"} <= set(groups)
    kruise = groups["rollouts.kruise.io"]
    assert [v.version for v in kruise.versions] == ["v1beta1", "v1alpha1"]
    assert kruise.preferred_version.version == "v1beta1"
    resources = client.CustomObjectsApi(api).get_api_resources("argoproj.io", "v1alpha1")
    by_name = {r.name: r for r in resources.resources}
    assert by_name["rollouts"].short_names == ["ro"] and by_name["rollouts"].namespaced
    assert by_name["rollouts/status"].verbs == ["get", "patch", "update"]
    assert "watch" in by_name["analysisruns"].verbs
    core = {r.name for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"pods", "pods/status", "events", "services", "namespaces"} <= core


def test_typed_crud_and_strategic_merge(api):
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment(NS, deployment("shop"))
    assert created.metadata.generation == 1 and created.metadata.uid
    assert created.metadata.namespace == NS
    patched = apps.patch_namespaced_deployment("shop", NS, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "repo/app:2"}]}}}})
    containers = {c.name: c for c in patched.spec.template.spec.containers}
    assert containers["app"].image == "repo/app:2"
    assert containers["app"].env[0].value == "1"  # merged by name, not replaced
    assert containers["sidecar"].image == "repo/side:1"
    assert patched.metadata.generation == 2
    body = apps.read_namespaced_deployment("shop", NS)
    body.spec.replicas = 5
    replaced = apps.replace_namespaced_deployment("shop", NS, body)
    assert replaced.spec.replicas == 5 and replaced.metadata.generation == 3
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_deployment("shop", NS, body)  # body carries the old version
    assert info.value.status == 409
    apps.delete_namespaced_deployment("shop", NS)
    with pytest.raises(ApiException) as info:
        apps.read_namespaced_deployment("shop", NS)
    assert info.value.status == 404


def test_status_subresource_through_typed_api(api):
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(NS, {"metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "x"}]}, "status": {"phase": "Running"}})
    pod = core.read_namespaced_pod("p", NS)
    assert pod.status is None  # a client's create ignores status
    core.patch_namespaced_pod_status("p", NS, {"status": {"phase": "Running"}})
    assert core.read_namespaced_pod_status("p", NS).status.phase == "Running"
    core.patch_namespaced_pod("p", NS, {"status": {"phase": "Failed"}})
    assert core.read_namespaced_pod("p", NS).status.phase == "Running"


def test_scale_subresource(api, viewer_api):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(NS, deployment("scaled"))
    scale = apps.read_namespaced_deployment_scale("scaled", NS)
    assert (scale.spec.replicas, scale.status.selector) == (2, "app=scaled")
    scaled = apps.patch_namespaced_deployment_scale("scaled", NS, {"spec": {"replicas": 6}})
    assert scaled.spec.replicas == 6
    assert apps.read_namespaced_deployment("scaled", NS).spec.replicas == 6
    with pytest.raises(ApiException) as info:
        apps.patch_namespaced_deployment_scale("scaled", NS, {"spec": {"replicas": -1}})
    assert info.value.status == 422
    with pytest.raises(ApiException) as info:
        client.AppsV1Api(viewer_api).patch_namespaced_deployment_scale(
            "scaled", NS, {"spec": {"replicas": 1}})
    assert info.value.status == 403
    resources = {r.name: r for r in apps.get_api_resources().resources}
    assert resources["deployments/scale"].kind == "Scale"


def test_delete_collection_by_label(api):
    core = client.CoreV1Api(api)
    for name, team in (("gc-a", "x"), ("gc-b", "x"), ("gc-c", "y")):
        core.create_namespaced_pod(NS, {"metadata": {"name": name, "labels": {"team": team}},
                                        "spec": CONTAINERS})
    status = core.delete_collection_namespaced_pod(NS, label_selector="team=x")
    assert status.status == "Success"
    left = core.list_namespaced_pod(NS, label_selector="team").items
    assert [p.metadata.name for p in left] == ["gc-c"]
    core.delete_collection_namespaced_pod(NS, label_selector="team", dry_run="All")
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, label_selector="team").items
            ] == ["gc-c"]


def test_namespace_status_subresource(api):
    core = client.CoreV1Api(api)
    assert core.read_namespace_status(NS).status.phase == "Active"
    core.patch_namespace_status(NS, {"status": {"phase": "Terminating"}})
    assert core.read_namespace(NS).status.phase == "Terminating"
    core.patch_namespace_status(NS, {"status": {"phase": "Active"}})


def test_custom_objects_and_status(api):
    custom = client.CustomObjectsApi(api)
    ro = custom.create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", NS, "rollouts",
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r1"},
         "spec": {"replicas": 1}, "status": {"phase": "Healthy"}})
    assert "status" not in ro
    custom.patch_namespaced_custom_object_status(
        "argoproj.io", "v1alpha1", NS, "rollouts", "r1", {"status": {"abort": True}})
    custom.patch_namespaced_custom_object(
        "argoproj.io", "v1alpha1", NS, "rollouts", "r1", {"spec": {"paused": True}})
    got = custom.get_namespaced_custom_object_status("argoproj.io", "v1alpha1", NS,
                                                     "rollouts", "r1")
    assert got["status"] == {"abort": True} and got["spec"]["paused"] is True
    assert got["metadata"]["generation"] == 2
    listed = custom.list_cluster_custom_object("argoproj.io", "v1alpha1", "rollouts")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["r1"]
    assert listed["kind"] == "RolloutList"


def test_resource_client_patch_types_and_errors(rc):
    rc.create(DEPLOYMENTS, NS, deployment("web"))
    json_patched = rc.patch(DEPLOYMENTS, NS, "web", [
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/tier", "value": "fe"}], patch_type="json")
    assert json_patched["spec"]["replicas"] == 4
    assert json_patched["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    with pytest.raises(RolloutsError) as info:
        rc.patch(DEPLOYMENTS, NS, "web", [{"op": "test", "path": "/spec/replicas",
                                           "value": 9}], patch_type="json")
    assert info.value.code == errors.INVALID_INPUT and info.value.status["code"] == 422
    merged = rc.patch(DEPLOYMENTS, NS, "web", {"spec": {"template": {"spec": {
        "containers": [{"name": "only", "image": "x"}]}}}}, patch_type="merge")
    assert [c["name"] for c in merged["spec"]["template"]["spec"]["containers"]] == ["only"]
    rc.create(ARGO_ROLLOUTS, NS, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                  "metadata": {"name": "argo"}, "spec": {}})
    with pytest.raises(RolloutsError) as info:
        rc.patch(ARGO_ROLLOUTS, NS, "argo", {"spec": {"paused": True}}, patch_type="strategic")
    assert info.value.status["code"] == 415
    with pytest.raises(RolloutsError) as info:
        rc.patch(ARGO_ROLLOUTS, NS, "argo", {"metadata": {"resourceVersion": "1"},
                                             "spec": {"paused": True}})
    assert info.value.code == errors.CONFLICT
    with pytest.raises(RolloutsError) as info:
        rc.get(ARGO_ROLLOUTS, NS, "missing")
    assert info.value.code == errors.NOT_FOUND
    assert info.value.status["details"] == {"name": "missing", "group": "argoproj.io",
                                            "kind": "rollouts"}


def test_kruise_pruning_and_version_conversion(rc):
    stored = rc.create(KRUISE_ROLLOUTS_V1BETA1, NS, kruise_v1beta1("conv"))
    # The original dashboard's bug: spec.paused does not exist and is silently dropped.
    dropped = rc.patch(KRUISE_ROLLOUTS_V1BETA1, NS, "conv", {"spec": {"paused": True}})
    assert "paused" not in dropped["spec"]
    assert dropped["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    alpha = rc.get(KRUISE_ROLLOUTS_V1ALPHA1, NS, "conv")
    assert alpha["apiVersion"] == "rollouts.kruise.io/v1alpha1"
    assert alpha["spec"]["objectRef"]["workloadRef"]["name"] == "conv"
    assert alpha["spec"]["strategy"]["canary"]["steps"][0] == {
        "weight": 20, "replicas": "20%", "pause": {}}
    assert alpha["metadata"]["annotations"]["rollouts.kruise.io/rolling-style"] == "partition"
    rc.patch(KRUISE_ROLLOUTS_V1ALPHA1, NS, "conv", {"spec": {"strategy": {"paused": True}}})
    rc.patch(KRUISE_ROLLOUTS_V1ALPHA1, NS, "conv", {"status": {"canaryStatus": {
        "currentStepIndex": 1, "currentStepState": "StepPaused"}}}, subresource="status")
    beta = rc.get(KRUISE_ROLLOUTS_V1BETA1, NS, "conv")
    assert beta["spec"]["strategy"]["paused"] is True
    assert beta["spec"]["strategy"]["canary"]["steps"][0]["traffic"] == "20%"
    assert beta["status"]["currentStepState"] == "StepPaused"
    alpha_obj = {"apiVersion": "rollouts.kruise.io/v1alpha1", "kind": "Rollout",
                 "metadata": {"name": "from-alpha"},
                 "spec": {"objectRef": {"workloadRef": {"apiVersion": "apps/v1",
                                                        "kind": "Deployment", "name": "d"}},
                          "strategy": {"canary": {"steps": [{"weight": 40}]}}}}
    rc.create(KRUISE_ROLLOUTS_V1ALPHA1, NS, alpha_obj)
    beta = rc.get(KRUISE_ROLLOUTS_V1BETA1, NS, "from-alpha")
    assert beta["spec"]["workloadRef"]["name"] == "d"
    assert beta["spec"]["strategy"]["canary"] == {
        "steps": [{"traffic": "40%", "replicas": "40%"}], "enableExtraWorkloadForCanary": True}


def test_list_selectors_and_pagination(rc, sb):
    for n in range(7):
        rc.create(PODS, NS, {"metadata": {"name": f"page-{n}", "labels": {
            "batch": "paging", "parity": "even" if n % 2 == 0 else "odd"}}, "spec": CONTAINERS})
    first = rc.list(PODS, NS, label_selector="batch=paging", limit=3)
    assert [i["metadata"]["name"] for i in first["items"]] == ["page-0", "page-1", "page-2"]
    assert first["metadata"]["continue"]
    items, rv = rc.list_all(PODS, NS, label_selector="batch=paging", page_size=3)
    assert [i["metadata"]["name"] for i in items] == [f"page-{n}" for n in range(7)]
    assert rv == sb.storage.resource_version
    odd = rc.list(PODS, None, label_selector="batch=paging,parity notin (even)")
    assert [i["metadata"]["name"] for i in odd["items"]] == ["page-1", "page-3", "page-5"]
    one = rc.list(PODS, NS, field_selector="metadata.name=page-4")
    assert [i["metadata"]["name"] for i in one["items"]] == ["page-4"]
    other_ns = rc.list(PODS, None, field_selector="metadata.namespace=default")
    assert other_ns["items"] == []
    with pytest.raises(RolloutsError) as info:
        rc.list(PODS, NS, continue_token="not-a-token")
    assert info.value.status["code"] == 400
    rc.create(PODS, NS, {"metadata": {"name": "page-late"}, "spec": CONTAINERS})
    sb.faults.compact()  # the list's resourceVersion is now older than the history
    with pytest.raises(RolloutsError) as info:
        rc.list(PODS, NS, continue_token=first["metadata"]["continue"])
    assert info.value.status["code"] == 410 and info.value.status["reason"] == "Expired"


def test_rbac_viewer_and_self_subject_access_review(api, viewer_api, sb):
    viewer = client.CoreV1Api(viewer_api)
    assert viewer.list_namespaced_pod(NS).items is not None
    with pytest.raises(ApiException) as info:
        viewer.create_namespaced_pod(NS, {"metadata": {"name": "nope"}})
    assert info.value.status == 403
    assert json.loads(info.value.body)["message"] == (
        'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the '
        'namespace "api"')
    with pytest.raises(RolloutsError) as err:
        ResourceClient(viewer_api).patch(KRUISE_ROLLOUTS_V1BETA1, NS, "conv",
                                         {"status": {}}, subresource="status")
    assert err.value.code == errors.FORBIDDEN
    assert err.value.status["details"]["kind"] == "rollouts"
    assert 'cannot patch resource "rollouts/status"' in err.value.message

    def review(api_client, verb, resource, group="argoproj.io", sub=None):
        body = {"spec": {"resourceAttributes": {"verb": verb, "resource": resource,
                                                 "group": group, "namespace": NS,
                                                 "subresource": sub}}}
        return client.AuthorizationV1Api(api_client).create_self_subject_access_review(
            body).status.allowed

    assert review(api, "patch", "rollouts") is True
    assert review(viewer_api, "patch", "rollouts", sub="status") is False
    assert review(viewer_api, "watch", "rollouts") is True
    config = client.Configuration()
    config.host = sb.url
    config.ssl_ca_cert = api.configuration.ssl_ca_cert
    anonymous = client.ApiClient(config)
    with pytest.raises(ApiException) as info:
        client.CoreV1Api(anonymous).list_namespace()
    assert info.value.status == 401
    config.api_key = {"authorization": "Bearer wrong"}
    bad = client.ApiClient(config)
    with pytest.raises(ApiException) as info:
        client.CoreV1Api(bad).list_namespace()
    assert info.value.status == 401


def test_required_fields_of_workloads_and_pods_answer_422(rc, api):
    broken = deployment("broken")
    del broken["spec"]["selector"]
    broken["spec"]["template"]["spec"]["containers"][1] = {"name": "nameless-image"}
    with pytest.raises(RolloutsError) as info:
        rc.create(DEPLOYMENTS, NS, broken)
    causes = info.value.status["details"]["causes"]
    assert [(c["field"], c["message"]) for c in causes] == [
        ("spec.selector", "Required value"),
        ("spec.template.spec.containers[1].image", "Required value")]
    mismatched = deployment("mismatched")
    mismatched["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    with pytest.raises(RolloutsError) as info:
        rc.create(DEPLOYMENTS, NS, mismatched)
    assert info.value.status["details"]["causes"][0]["field"] == \
        "spec.template.metadata.labels"
    with pytest.raises(ApiException) as raised:
        client.CoreV1Api(api).create_namespaced_pod(NS, {"metadata": {"name": "empty"}})
    assert raised.value.status == 422


def test_invalid_names_answer_422(rc):
    with pytest.raises(RolloutsError) as info:
        rc.create(ARGO_ROLLOUTS, NS, {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                                      "metadata": {"name": "Not_Valid"}, "spec": {}})
    status = info.value.status
    assert info.value.code == errors.INVALID_INPUT
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert status["message"].startswith('Rollout.argoproj.io "Not_Valid" is invalid: '
                                        'metadata.name: Invalid value: "Not_Valid"')
