"""rw.connect, Cluster and Fleet against real sandbox API servers (over HTTPS, with tokens)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

import rollouts_widgets as rw
from rollouts_widgets.cluster import Cluster, Fleet
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.discovery import INSTALL_HINT, Discovery
from rollouts_widgets.kube.resources import ARGO_ROLLOUTS, KRUISE_ROLLOUTS_V1BETA1
from rollouts_widgets.watch.settings import WatchSettings

KRUISE = "rollouts.rollouts.kruise.io"
ARGO = "rollouts.argoproj.io"


def kruise(name: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"workloadRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                 "strategy": {"canary": {"steps": [{"traffic": "50%"}]}}},
        "status": {"phase": "Healthy", "observedGeneration": 1},
    }


def argo(name: str, namespace: str = "default") -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"strategy": {"canary": {"steps": [{"setWeight": 50}]}},
                 "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
    }


@pytest.fixture
def sandbox():
    with rw.Sandbox(controllers=False) as sb:
        yield sb


def test_connect_uses_the_current_context_and_discovers_both_families(sandbox, monkeypatch):
    monkeypatch.delenv("ROLLOUTS_WIDGETS_READ_ONLY", raising=False)
    monkeypatch.setenv("KUBECONFIG", sandbox.kubeconfig_path)
    cluster = rw.connect()
    try:
        assert isinstance(cluster, rw.Cluster)
        assert (cluster.name, cluster.context, cluster.user) == ("sandbox", "sandbox",
                                                                 "sandbox-admin")
        assert cluster.server == sandbox.url
        assert cluster.discovery.kruise_version == "v1beta1"
        assert cluster.discovery.argo is True
        assert cluster.discovery.rollout_gvrs == [KRUISE_ROLLOUTS_V1BETA1, ARGO_ROLLOUTS]
        assert cluster.read_only is False and cluster.flags.watch is True
        assert repr(cluster) == ("<Cluster sandbox (rollouts.kruise.io/v1beta1, "
                                 "argoproj.io/v1alpha1)>")
        # the user is a name, never a credential
        assert sandbox.token() not in repr(vars(cluster))
    finally:
        cluster.close()


def test_connect_options(sandbox):
    viewer = rw.connect(kubeconfig=sandbox.kubeconfig_path, context="sandbox-viewer",
                        read_only=True, watch=False)
    assert (viewer.name, viewer.user, viewer.read_only, viewer.flags.watch) == (
        "sandbox-viewer", "sandbox-viewer", True, False)
    viewer.close()
    via_sandbox = sandbox.connect(read_only=True)
    assert isinstance(via_sandbox, Cluster) and via_sandbox.read_only
    via_sandbox.close()
    for kwargs, code in (
        ({"context": "nope"}, "INVALID_INPUT"),
        ({"kubeconfig": "/no/such/kubeconfig"}, "INVALID_INPUT"),
        ({"colour": True}, "INVALID_INPUT"),
    ):
        kwargs.setdefault("kubeconfig", sandbox.kubeconfig_path)
        with pytest.raises(RolloutsError) as err:
            rw.connect(**kwargs)
        assert err.value.code == code


def test_a_dead_api_server_is_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "me", "user": {"token": "x"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "me"}}],
    }))
    with pytest.raises(RolloutsError) as err:
        rw.connect(kubeconfig=path)
    assert err.value.code == "API_UNAVAILABLE"
    assert f"cannot reach http://127.0.0.1:{port} (context dead)" in err.value.message


def test_kruise_v1alpha1_only_cluster():
    with rw.Sandbox(controllers=False, kruise_versions=("v1alpha1",)) as sb:
        cluster = sb.connect()
        try:
            assert cluster.discovery.kruise_version == "v1alpha1"
            assert [g.version for g in cluster.discovery.rollout_gvrs] == ["v1alpha1",
                                                                           "v1alpha1"]
        finally:
            cluster.close()


def test_a_cluster_without_rollout_crds_is_not_an_error(sandbox):
    real = rw.connect(kubeconfig=sandbox.kubeconfig_path)
    bare = Cluster(real.api_client, name="bare", discovery=Discovery())
    with bare.store() as store:
        assert store.views() == []
        assert store.mode == "stopped"
        assert store.mode_reason == f"bare: {INSTALL_HINT}"
    with pytest.raises(RolloutsError) as err:
        bare.get_raw("default/x")
    assert (err.value.code, err.value.message) == ("NOT_FOUND", INSTALL_HINT)
    real.close()


def test_resolve_get_raw_and_related(sandbox):
    sandbox.storage.create(KRUISE, kruise("k"))
    sandbox.storage.create(ARGO, argo("a"))
    cluster = sandbox.connect()
    try:
        assert cluster.resolve("default/k") == ("default", "k", "kruise",
                                                KRUISE_ROLLOUTS_V1BETA1)
        assert cluster.resolve("sandbox/default/a") == ("default", "a", "argo", ARGO_ROLLOUTS)
        assert cluster.get_raw("default/a")["apiVersion"] == "argoproj.io/v1alpha1"
        view = cluster.view("default/k")
        assert (view.provider, view.cluster, view.ref) == ("kruise", "sandbox", "default/k")
        assert cluster.resolve(view)[2] == "kruise"
        assert cluster.related("default/k") == []
        assert cluster.revisions("default/a") == [] and cluster.pods("default/a") == []
        for ref, code in (("default/missing", "NOT_FOUND"), ("other/default/k", "INVALID_INPUT"),
                          ("default/K<", "INVALID_INPUT"), ("k", "INVALID_INPUT")):
            with pytest.raises(RolloutsError) as err:
                cluster.get_raw(ref)
            assert err.value.code == code, ref
    finally:
        cluster.close()


def _merged_kubeconfig(tmp_path, sandboxes: dict[str, rw.Sandbox]) -> str:
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [],
              "contexts": [], "current-context": next(iter(sandboxes))}
    for name, sb in sandboxes.items():
        config = yaml.safe_load(Path(sb.kubeconfig_path).read_text())
        admin = next(c for c in config["contexts"] if c["name"] == "sandbox")["context"]
        cluster = next(c for c in config["clusters"] if c["name"] == admin["cluster"])
        user = next(u for u in config["users"] if u["name"] == admin["user"])
        merged["clusters"].append({"name": name, "cluster": cluster["cluster"]})
        merged["users"].append({"name": f"{name}-admin", "user": user["user"]})
        merged["contexts"].append({"name": name, "context": {"cluster": name,
                                                             "user": f"{name}-admin"}})
    path = tmp_path / "fleet-kubeconfig"
    path.write_text(yaml.safe_dump(merged))
    return str(path)


def test_a_fleet_spans_clusters(tmp_path):
    with rw.Sandbox(controllers=False) as eu, rw.Sandbox(controllers=False) as us:
        eu.storage.create(KRUISE, kruise("checkout"))
        us.storage.create(KRUISE, kruise("checkout"))
        us.storage.create(ARGO, argo("search"))
        path = _merged_kubeconfig(tmp_path, {"eu": eu, "us": us})
        fleet = rw.connect(kubeconfig=path, context=["eu", "us"],
                           watch_settings=WatchSettings(heartbeat_interval=60))
        try:
            assert isinstance(fleet, Fleet) and [c.name for c in fleet] == ["eu", "us"]
            everything = rw.connect(kubeconfig=path, context="*")
            assert everything.name == "eu,us"
            everything.close()
            with fleet.store() as store:
                assert store.wait_synced()
                assert [v.key for v in store.views()] == [
                    "eu/default/checkout", "us/default/checkout", "us/default/search"]
                assert store.get("us/default/search").provider == "argo"
                us.storage.delete(KRUISE, "default", "checkout")
                assert store.wait_until(lambda s: len(s) == 2)
                assert [e.key for e in fleet.events() if e.type == "delete"] == [
                    "us/default/checkout"]
            # per-rollout calls go to the cluster the ref names
            assert fleet.get_raw("eu/default/checkout")["metadata"]["name"] == "checkout"
            assert fleet.resolve("us/default/search")[2] == "argo"
            assert fleet["us"].name == "us"
            # fleet-wide calls: one audit log over both clusters, in time order
            fleet.pause("eu/default/checkout")
            fleet.act("PAUSE", "us/default/search")
            assert [(r.cluster, r.action, r.ok) for r in fleet.audit_log()] == [
                ("eu", "PAUSE", True), ("us", "PAUSE", True)]
            assert list(rw.actions_frame(fleet)["cluster"]) == ["eu", "us"]
            for bad in ("default/checkout", "mars/default/checkout"):
                with pytest.raises(RolloutsError):
                    fleet.get_raw(bad)
            with pytest.raises(AttributeError):
                fleet.no_such_method  # noqa: B018
        finally:
            fleet.close()


def test_no_kubeconfig_and_not_in_a_cluster(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(RolloutsError) as err:
        rw.connect()
    assert err.value.code == "INVALID_INPUT"
    assert "no kubeconfig found" in err.value.message
    assert "not running in a cluster" in err.value.message


def test_a_fleet_serves_the_clusters_it_can_reach(tmp_path):
    with rw.Sandbox(controllers=False) as eu, rw.Sandbox(controllers=False) as us:
        eu.storage.create(KRUISE, kruise("checkout"))
        path = _merged_kubeconfig(tmp_path, {"eu": eu, "us": us})
        us.stop()  # "us" is down when the fleet connects
        fleet = rw.connect(kubeconfig=path, context=["eu", "us"])
        try:
            assert [c.name for c in fleet] == ["eu"]
            assert list(fleet.unreachable) == ["us"]
            assert fleet.unreachable["us"].code == "API_UNAVAILABLE"
            with fleet.store() as store:
                assert store.wait_synced()
                assert [v.key for v in store.views()] == ["eu/default/checkout"]
        finally:
            fleet.close()
        with pytest.raises(RolloutsError) as err:
            rw.connect(kubeconfig=path, context=["us"])
        assert err.value.code == "API_UNAVAILABLE"
