"""The Sandbox handle: lifecycle, kubeconfig, manifests, persistence, versions, admin endpoints
and the ``rollouts-widgets sandbox`` command."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from sandbox_support import EXAMPLES, KUBECTL

import rollouts_widgets as rw
from rollouts_widgets import errors
from rollouts_widgets.errors import RolloutsError
from rollouts_widgets.kube.resources import (
    KRUISE_ROLLOUTS_V1ALPHA1,
    KRUISE_ROLLOUTS_V1BETA1,
    ResourceClient,
)
from rollouts_widgets.sandbox import Sandbox


def test_public_name_and_idempotent_lifecycle():
    assert rw.Sandbox is Sandbox
    sb = Sandbox(clock="manual", controllers=False)
    assert sb.start() is sb and sb.start() is sb
    url, path = sb.url, sb.kubeconfig_path
    assert url.startswith("https://127.0.0.1:") and Path(path).is_file()
    with sb.api_client() as api:
        assert client.CoreV1Api(api).read_namespace("default").status.phase == "Active"
    sb.stop()
    sb.stop()
    assert not Path(path).exists()
    with pytest.raises(RolloutsError):
        sb.kubeconfig_path  # noqa: B018


def test_kubeconfig_has_admin_and_viewer_contexts():
    with Sandbox(clock="manual", controllers=False) as sb:
        config = yaml.safe_load(Path(sb.kubeconfig_path).read_text())
        assert config["current-context"] == "sandbox"
        assert {c["name"] for c in config["contexts"]} == {"sandbox", "sandbox-viewer"}
        assert config["clusters"][0]["cluster"]["server"] == sb.url
        assert oct(os.stat(sb.kubeconfig_path).st_mode & 0o777) == "0o600"
        with sb.api_client("sandbox-viewer") as viewer:
            review = client.AuthorizationV1Api(viewer).create_self_subject_access_review(
                {"spec": {"resourceAttributes": {"verb": "delete", "resource": "pods"}}})
            assert review.status.allowed is False


def test_manual_clock_sets_timestamps_and_advance():
    with Sandbox(clock="manual", controllers=False) as sb:
        first = sb.storage.create("pods", {"metadata": {"name": "a"}})
        sb.advance(90)
        second = sb.storage.create("pods", {"metadata": {"name": "b"}})
        assert first["metadata"]["creationTimestamp"] == "2026-01-01T12:00:00Z"
        assert second["metadata"]["creationTimestamp"] == "2026-01-01T12:01:30Z"
    real = Sandbox(controllers=False)
    with pytest.raises(RolloutsError) as info:
        real.advance(1)
    assert info.value.code == errors.INVALID_INPUT


def test_apply_files_text_and_dicts():
    with Sandbox(clock="manual", controllers=False) as sb:
        applied = sb.apply(EXAMPLES / "argo" / "rollout-bluegreen.yaml")
        assert [o["kind"] for o in applied] == ["Rollout", "Service", "Service"]
        sb.apply(EXAMPLES / "kruise" / "rollout_canary_base.yaml")
        stored = sb.storage.get("rollouts.rollouts.kruise.io", "default", "rollouts-demo")
        assert stored["apiVersion"] == "rollouts.kruise.io/v1beta1"
        assert stored["spec"]["strategy"]["canary"]["steps"][0] == {
            "traffic": "20%", "replicas": "20%", "pause": {}}
        text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n" \
               "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\n"
        assert [o["metadata"]["name"] for o in sb.apply(text)] == ["shop", "web"]
        again = sb.apply({"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "web", "namespace": "shop",
                                       "labels": {"v": "2"}}})
        assert again[0]["metadata"]["labels"] == {"v": "2"}
        with pytest.raises(RolloutsError) as info:
            sb.apply({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}})
        assert info.value.code == errors.INVALID_INPUT
        with pytest.raises(RolloutsError) as info:
            sb.apply("kind: [unclosed\n")
        assert info.value.code == errors.INVALID_INPUT


def test_data_dir_round_trip_keeps_status(tmp_path):
    with Sandbox(clock="manual", controllers=False, data_dir=tmp_path) as sb:
        sb.storage.create("namespaces", {"metadata": {"name": "shop"}})
        owner = sb.storage.create("rollouts.argoproj.io", {
            "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 3},
            "status": {"phase": "Paused"}})
        ref = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web",
               "uid": owner["metadata"]["uid"]}
        sb.storage.create("replicasets.apps", {
            "metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": [ref]},
            "spec": {}})
    saved = tmp_path / "rollouts.argoproj.io" / "shop" / "web.yaml"
    assert yaml.safe_load(saved.read_text())["status"] == {"phase": "Paused"}
    with Sandbox(clock="manual", controllers=False, data_dir=tmp_path) as sb:
        got = sb.storage.get("rollouts.argoproj.io", "shop", "web")
        assert got["spec"] == {"replicas": 3} and got["status"] == {"phase": "Paused"}
        assert got["metadata"]["uid"] == owner["metadata"]["uid"]
        sb.storage.delete("rollouts.argoproj.io", "shop", "web")  # owner references still hold
        assert sb.storage.list("replicasets.apps", "shop")[0] == []
    # The second save replaced the first: the deleted objects do not come back.
    with Sandbox(clock="manual", controllers=False, data_dir=tmp_path) as sb:
        assert sb.storage.list("rollouts.argoproj.io")[0] == []
        assert sb.storage.list("replicasets.apps")[0] == []
        assert [n["metadata"]["name"] for n in sb.storage.list("namespaces")[0]] == [
            "default", "shop"]


def test_served_kruise_versions_are_configurable():
    with Sandbox(clock="manual", controllers=False, kruise_versions=("v1alpha1",)) as sb:
        with sb.api_client() as api:
            groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
            assert [v.version for v in groups["rollouts.kruise.io"].versions] == ["v1alpha1"]
            rc = ResourceClient(api)
            with pytest.raises(RolloutsError) as info:
                rc.list(KRUISE_ROLLOUTS_V1BETA1, "default")
            assert info.value.code == errors.NOT_FOUND
            rc.create(KRUISE_ROLLOUTS_V1ALPHA1, "default", {
                "apiVersion": "rollouts.kruise.io/v1alpha1", "kind": "Rollout",
                "metadata": {"name": "old"},
                "spec": {"objectRef": {"workloadRef": {"apiVersion": "apps/v1",
                                                       "kind": "Deployment", "name": "d"}}}})
        stored = sb.storage.get("rollouts.rollouts.kruise.io", "default", "old")
        assert stored["spec"]["workloadRef"]["name"] == "d"
    with pytest.raises(RolloutsError):
        Sandbox(kruise_versions=("v2",))


def _admin_post(sb: Sandbox, path: str) -> tuple[int, dict]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(sb.server.host, sb.server.port, context=context,
                                       timeout=10)
    try:
        conn.request("POST", path, headers={"Authorization": f"Bearer {sb.token()}"})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_admin_endpoints_only_when_enabled():
    with Sandbox(clock="manual", controllers=False) as sb:
        assert _admin_post(sb, "/_sandbox/faults/fail_next?n=1")[0] == 404
    with Sandbox(clock="manual", controllers=False, admin_endpoints=True) as sb:
        assert _admin_post(sb, "/_sandbox/faults/fail_next?n=1&status=500&verb=get") == (
            200, {"ok": True, "result": None})
        with sb.api_client() as api:
            with pytest.raises(client.exceptions.ApiException) as info:
                client.CoreV1Api(api).read_namespace("default")
            assert info.value.status == 500
        status, body = _admin_post(sb, "/_sandbox/advance?seconds=60")
        assert status == 200 and body["result"] == "2026-01-01T12:01:00+00:00"
        assert _admin_post(sb, "/_sandbox/faults/delay?seconds=-1")[0] == 400
        assert _admin_post(sb, "/_sandbox/nothing")[0] == 404
    with Sandbox(controllers=False, admin_endpoints=True) as sb:  # a real clock
        status, body = _admin_post(sb, "/_sandbox/advance?seconds=1")
        assert status == 400 and "clock='manual'" in body["message"]


def test_cli_serves_until_interrupted(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rollouts_widgets.cli", "sandbox", "--scenario", "empty",
         "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("Sandbox API server on https://127.0.0.1:"), proc.stderr.read()
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].strip() == f"Kubeconfig: {kubeconfig}"
        env = {**os.environ, "KUBECONFIG": str(kubeconfig),
               "KUBECACHEDIR": str(tmp_path / "cache")}
        out = subprocess.run([str(KUBECTL), "get", "ns", "-o", "name"], capture_output=True,
                             text=True, env=env, timeout=30)
        assert out.stdout.split() == ["namespace/default"], out.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_plain_http_without_tls():
    with Sandbox(clock="manual", controllers=False, tls=False) as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        config = yaml.safe_load(Path(sb.kubeconfig_path).read_text())
        assert "certificate-authority-data" not in config["clusters"][0]["cluster"]
        with sb.api_client("sandbox-viewer") as api:
            assert [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items] == [
                "default"]
            with pytest.raises(client.exceptions.ApiException) as info:
                client.CoreV1Api(api).delete_namespace("default")
            assert info.value.status == 403
