"""Pure parts of the engine: refs, namespace scopes, backoff, related-object selection."""

import pytest

from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.discovery import INSTALL_HINT, Discovery
from rollouts_widgets.kube.resources import (
    ARGO_ANALYSISRUNS,
    ARGO_EXPERIMENTS,
    ARGO_ROLLOUTS,
    CLONESETS,
    DEPLOYMENTS,
    EVENTS,
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
    PODS,
    REPLICASETS,
)
from rollouts_widgets.model.view import RolloutView
from rollouts_widgets.store import namespace_scope, parse_ref
from rollouts_widgets.watch.related import related_gvrs, select_related, workload_ref
from rollouts_widgets.watch.settings import WatchSettings


def test_backoff_is_1_2_5_10_then_10():
    settings = WatchSettings()
    assert [settings.backoff_delay(n) for n in range(1, 8)] == [1, 2, 5, 10, 10, 10, 10]
    assert settings.failures_before_polling == 5
    assert (settings.poll_interval, settings.probe_interval) == (10, 30)
    assert settings.heartbeat_interval == 20
    assert settings.read_timeout == settings.watch_timeout + 30


def test_settings_are_configurable_and_checked():
    settings = WatchSettings(backoff=(0.5,), failures_before_polling=2, stall_timeout=3)
    assert [settings.backoff_delay(n) for n in (1, 2, 3)] == [0.5, 0.5, 0.5]
    assert settings.read_timeout == 3
    with pytest.raises(ValueError):
        WatchSettings(backoff=())
    with pytest.raises(ValueError):
        WatchSettings(failures_before_polling=0)


def test_parse_ref_forms():
    assert parse_ref("shop/checkout") == (None, "shop", "checkout")
    assert parse_ref("prod-eu/shop/checkout") == ("prod-eu", "shop", "checkout")
    # context names may hold slashes (EKS ARNs): the last two parts are namespace and name
    arn = "arn:aws:eks:eu-west-1:1:cluster/prod"
    assert parse_ref(f"{arn}/shop/checkout") == (arn, "shop", "checkout")
    view = RolloutView("c1", "shop", "checkout", "kruise", "rollouts.kruise.io/v1beta1",
                       "Canary", "Healthy", "Healthy", "")
    assert parse_ref(view) == ("c1", "shop", "checkout")


@pytest.mark.parametrize(
    "ref",
    ["checkout", "", "shop/", "/checkout", "shop/<script>", "shop/../../x", "Shop/a",
     "a/b/c/../d", 42, None, "/shop/checkout"],
)
def test_parse_ref_rejects_bad_refs(ref):
    with pytest.raises(RolloutsError) as err:
        parse_ref(ref)
    assert err.value.code == "INVALID_INPUT"


def test_namespace_scope():
    assert namespace_scope(None) == (None,)
    assert namespace_scope("shop") == ("shop",)
    assert namespace_scope(["a", "b", "a"]) == ("a", "b")
    for bad in ([], ["ok", "Not OK"], "x/y"):
        with pytest.raises(RolloutsError) as err:
            namespace_scope(bad)
        assert err.value.code == "INVALID_INPUT"


def test_discovery_prefers_kruise_v1beta1_and_reports_none():
    both = Discovery("v1beta1", True, frozenset({"argoproj.io/v1alpha1"}))
    assert both.rollout_gvrs == [KRUISE_ROLLOUTS_V1BETA1, ARGO_ROLLOUTS]
    assert both.gvr_for("kruise") == KRUISE_ROLLOUTS_V1BETA1
    assert both.gvr_for("argo") == ARGO_ROLLOUTS
    assert (both.none, both.message) == (False, "")
    old = Discovery("v1alpha1", False)
    assert old.rollout_gvrs == [KRUISE_ROLLOUTS_V1ALPHA1]
    assert old.gvr_for("argo") is None
    nothing = Discovery()
    assert nothing.rollout_gvrs == [] and nothing.none and nothing.message == INSTALL_HINT


def _obj(kind, name, uid="", owners=(), labels=None, **extra):
    meta = {"name": name, "namespace": "shop", "uid": uid}
    if owners:
        meta["ownerReferences"] = [{"kind": k, "name": n, "uid": u} for k, n, u in owners]
    if labels:
        meta["labels"] = labels
    return {"kind": kind, "metadata": meta, **extra}


def test_select_related_follows_ownership_for_kruise():
    rollout = {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop", "uid": "r1"},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
    }
    deploy = _obj("Deployment", "web", "d1")
    canary = _obj("Deployment", "web-canary", "d2",
                  labels={"rollouts.kruise.io/canary-deployment": "web"})
    other = _obj("Deployment", "api", "d3")
    rs = _obj("ReplicaSet", "web-abc", "rs1", owners=[("Deployment", "web", "d1")])
    rs_canary = _obj("ReplicaSet", "web-canary-x", "rs2",
                     owners=[("Deployment", "web-canary", "d2")])
    rs_other = _obj("ReplicaSet", "api-abc", "rs3", owners=[("Deployment", "api", "d3")])
    # same name, other uid: a recreated Deployment's leftovers are not ours
    rs_stale = _obj("ReplicaSet", "web-old", "rs4", owners=[("Deployment", "web", "old-uid")])
    pod = _obj("Pod", "web-abc-1", "p1", owners=[("ReplicaSet", "web-abc", "rs1")])
    pod_other = _obj("Pod", "api-abc-1", "p2", owners=[("ReplicaSet", "api-abc", "rs3")])
    ev_rollout = _obj("Event", "e1", involvedObject={"kind": "Rollout", "name": "web"})
    ev_pod = _obj("Event", "e2", involvedObject={"kind": "Pod", "name": "web-abc-1"})
    ev_other = _obj("Event", "e3", involvedObject={"kind": "Pod", "name": "api-abc-1"})
    everything = [deploy, canary, other, rs, rs_canary, rs_other, rs_stale, pod, pod_other,
                  ev_rollout, ev_pod, ev_other, "not an object"]
    picked = select_related(rollout, everything)
    names = sorted(o["metadata"]["name"] for o in picked)
    assert names == ["e1", "e2", "web", "web-abc", "web-abc-1", "web-canary", "web-canary-x"]


def test_select_related_for_argo_owned_sets_and_runs():
    rollout = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
               "metadata": {"name": "web", "namespace": "shop", "uid": "r1"}, "spec": {}}
    rs = _obj("ReplicaSet", "web-1", "rs1", owners=[("Rollout", "web", "r1")])
    pod = _obj("Pod", "web-1-a", "p1", owners=[("ReplicaSet", "web-1", "rs1")])
    run = _obj("AnalysisRun", "web-run", "a1", owners=[("Rollout", "web", "r1")])
    exp = _obj("Experiment", "web-exp", "x1", owners=[("Rollout", "web", "r1")])
    foreign = _obj("AnalysisRun", "other-run", "a2", owners=[("Rollout", "other", "r2")])
    picked = select_related(rollout, [rs, pod, run, exp, foreign])
    assert [o["metadata"]["name"] for o in picked] == ["web-1", "web-1-a", "web-run", "web-exp"]


def test_related_gvrs_are_scoped_to_what_the_rollout_needs():
    discovery = Discovery("v1beta1", True, frozenset(
        {"v1", "apps/v1", "apps.kruise.io/v1alpha1", "argoproj.io/v1alpha1"}))
    kruise_cloneset = {"apiVersion": "rollouts.kruise.io/v1beta1", "spec": {"workloadRef": {
        "apiVersion": "apps.kruise.io/v1alpha1", "kind": "CloneSet", "name": "c"}}}
    assert related_gvrs(kruise_cloneset, discovery) == [
        DEPLOYMENTS, CLONESETS, REPLICASETS, PODS, EVENTS]
    argo_plain = {"apiVersion": "argoproj.io/v1alpha1", "spec": {}}
    assert related_gvrs(argo_plain, discovery) == [
        REPLICASETS, PODS, EVENTS, ARGO_ANALYSISRUNS, ARGO_EXPERIMENTS]
    v1alpha1 = {"spec": {"objectRef": {"workloadRef": {"kind": "Deployment", "name": "d"}}}}
    assert workload_ref(v1alpha1) == {"kind": "Deployment", "name": "d"}
    assert workload_ref({"spec": "garbage"}) == {}


def test_decoded_objects_share_their_strings_within_a_bounded_table():
    from rollouts_widgets.kube import resources

    first = resources.decode_json(b'{"status": {"phase": "Progressing"}, "uid": "a"}')
    second = resources.decode_json(b'{"status": {"phase": "Progressing"}, "uid": "b"}')
    assert first == {"status": {"phase": "Progressing"}, "uid": "a"}
    assert first["status"]["phase"] is second["status"]["phase"]
    assert next(iter(first)) is next(iter(second))
    for i in range(resources._SHARED_LIMIT + 10):
        resources.decode_json(f'{{"v": "value-{i}"}}')
    assert len(resources._shared) <= resources._SHARED_LIMIT + 1


def test_slim_drops_managed_fields_and_last_applied_only():
    from rollouts_widgets.watch.watcher import slim

    obj = {"metadata": {"name": "x", "managedFields": [{"manager": "kubectl"}],
                        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}",
                                        "keep": "me"}}, "spec": {}}
    assert slim(obj) == {"metadata": {"name": "x", "annotations": {"keep": "me"}}, "spec": {}}
    assert slim({"metadata": "odd"}) == {"metadata": "odd"}
