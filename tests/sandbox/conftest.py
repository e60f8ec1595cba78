"""Shared fixtures: one bare sandbox per module (manual clock, no controllers), clients for the
admin and the viewer, and kubectl pointed at it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from kubernetes import client
from sandbox_support import KUBECTL

from rollouts_widgets.kube.resources import ResourceClient
from rollouts_widgets.sandbox import Sandbox


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(clock="manual", controllers=False) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(sb: Sandbox) -> Iterator[client.ApiClient]:
    with sb.api_client() as api_client:
        yield api_client


@pytest.fixture(scope="module")
def viewer_api(sb: Sandbox) -> Iterator[client.ApiClient]:
    with sb.api_client("sandbox-viewer") as api_client:
        yield api_client


@pytest.fixture(scope="module")
def rc(api: client.ApiClient) -> ResourceClient:
    return ResourceClient(api)


@pytest.fixture(scope="module")
def kubectl(sb: Sandbox, tmp_path_factory: pytest.TempPathFactory):
    """Run kubectl against the sandbox: returns (returncode, stdout, stderr)."""
    cache = tmp_path_factory.mktemp("kubectl-cache")
    env = {**os.environ, "KUBECONFIG": sb.kubeconfig_path, "KUBECACHEDIR": str(cache),
           "HOME": str(cache)}

    def run(*args: str, stdin: str | None = None, timeout: float = 30) -> tuple[int, str, str]:
        proc = subprocess.run([str(KUBECTL), *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    return run
