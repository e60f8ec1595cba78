"""The detail panel's test scene and browser fixtures.

The scene builders (Deployments, CloneSets, Kruise and Argo rollouts, an AnalysisTemplate) are
used by the Python tests (tests/widgets/test_detail_*.py). The browser fixtures start the
sandbox with the demo scenario in the test process, on a manual clock (the test moves time), Voila
serving tests/browser/notebooks/detail.ipynb (which connects through the kubeconfig named by
ROLLOUTS_WIDGETS_KUBECONFIG), and Debian's Chromium through Playwright.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import rollouts_widgets as rw

NS = "shop"
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(__file__).parent / "notebooks" / "detail.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# -- the scene --------------------------------------------------------------------------------

def template(app: str, image: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": app}},
        "spec": {
            "initContainers": [{"name": "migrate", "image": "tools/migrate:1"}],
            "containers": [{"name": "app", "image": image}],
        },
    }


def deployment(name: str, image: str, replicas: int = 4) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": template(name, image)},
    }


def cloneset(name: str, image: str) -> dict[str, Any]:
    obj = deployment(name, image)
    obj.update(apiVersion="apps.kruise.io/v1alpha1", kind="CloneSet")
    return obj


def kruise(name: str, kind: str = "Deployment", api: str = "apps/v1",
           note: str = "") -> dict[str, Any]:
    """A Kruise v1beta1 canary: 1 replica and wait, 50% and wait, then 100%."""
    return {
        "apiVersion": "rollouts.kruise.io/v1beta1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": NS, "annotations": {"note": note}},
        "spec": {
            "workloadRef": {"apiVersion": api, "kind": kind, "name": name},
            "strategy": {"canary": {
                "steps": [{"replicas": 1, "pause": {}}, {"replicas": "50%", "pause": {}},
                          {"replicas": "100%"}],
                "trafficRoutings": [{"service": name, "ingress": {"classType": "nginx",
                                                                  "name": name}}],
            }},
        },
    }


def argo(name: str, image: str) -> dict[str, Any]:
    """An Argo canary with an analysis step (template success-rate) and a timed pause."""
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "replicas": 4, "selector": {"matchLabels": {"app": name}},
            "template": template(name, image),
            "strategy": {"canary": {"steps": [
                {"setWeight": 25},
                {"analysis": {"templates": [{"templateName": "success-rate"}]}},
                {"pause": {}},
                {"setWeight": 75},
                {"pause": {"duration": 30}},
            ]}},
        },
    }


ANALYSIS_TEMPLATE = {
    "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
    "metadata": {"name": "success-rate", "namespace": NS},
    "spec": {"metrics": [{
        "name": "success-rate", "count": 2, "interval": "10s",
        "successCondition": "result[0] >= 0.95",
        "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "up"}},
    }]},
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}


def settle(sb: rw.Sandbox, seconds: float = 10, times: int = 4) -> None:
    """Let pods become ready and controllers move on (readiness counts from pod creation,
    so time moves in several strides)."""
    for _ in range(times):
        sb.advance(seconds)


# -- browser fixtures -------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser_scene() -> Iterator[rw.Sandbox]:
    """The demo scenario on a manual clock, moved on until its opening releases wait: e.g.
    shop/catalog (Kruise) and shop/checkout (Argo) for approval, shop/cart in analysis,
    payments/ledger (a CloneSet) and platform/config-service (paused) mid-release."""
    sb = rw.Sandbox(scenario="demo", clock="manual").start()
    settle(sb, seconds=5)
    yield sb
    sb.stop()


def start_server(sandbox: rw.Sandbox, home: Path, args: list[str], ready_path: str,
                 env_extra: dict[str, str] | None = None) -> tuple[Any, str]:
    """Start ``python -m <args>`` (Voila or JupyterLab) on a free port of 127.0.0.1, with the
    sandbox's kubeconfig in ROLLOUTS_WIDGETS_KUBECONFIG and Jupyter's own directories in
    ``home``; wait until ``ready_path`` answers. Returns (process, base URL)."""
    env = {
        **os.environ,
        "ROLLOUTS_WIDGETS_KUBECONFIG": sandbox.kubeconfig_path,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        **(env_extra or {}),
    }
    port = free_port()
    log_path = home / f"{args[0]}.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", *args, "--no-browser", f"--port={port}"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    proc.log_file = log
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url + ready_path, timeout=2).close()
            return proc, url
        except OSError as err:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_voila(proc)
                raise RuntimeError(f"{args[0]} did not start: {log_path.read_text()}") from err
            time.sleep(0.1)


def start_voila(sandbox: rw.Sandbox, home: Path, env_extra: dict[str, str] | None = None,
                notebook: Path = NOTEBOOK) -> tuple[Any, str]:
    """Voila on a notebook, the detail one by default (ready once a static file answers:
    GET / starts a kernel)."""
    return start_server(sandbox, home, ["voila", str(notebook), "--Voila.ip=127.0.0.1",
                                        "--VoilaConfiguration.allow_theme_override=YES"],
                        "voila/static/voila.js", env_extra)


def stop_voila(proc: Any) -> None:
    """Stop a server from ``start_server`` (Voila or JupyterLab)."""
    proc.terminate()
    proc.wait(10)
    proc.log_file.close()


@pytest.fixture(scope="module")
def voila_factory(browser_scene, tmp_path_factory) -> Iterator[Callable[..., str]]:
    """``voila_factory(**env)``: a Voila server on the scene with extra environment."""
    started: list[Any] = []

    def start(**env: str) -> str:
        proc, url = start_voila(browser_scene, tmp_path_factory.mktemp("jupyter"), env)
        started.append(proc)
        return url

    yield start
    for proc in started:
        stop_voila(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    return pg


def keep_on_failure(pg: Any, request: Any, failed_before: int) -> None:
    if request.session.testsfailed > failed_before:  # keep what a failing test saw
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)


@pytest.fixture
def page(browser, request) -> Iterator[Any]:
    """A fresh page (a fresh Voila kernel once it loads the dashboard)."""
    pg = new_page(browser)
    failed_before = request.session.testsfailed
    yield pg
    keep_on_failure(pg, request, failed_before)
    pg.context.close()


@pytest.fixture(scope="module")
def shared_page(browser) -> Iterator[Any]:
    """One page for the tests that only click around one dashboard (one kernel start)."""
    pg = new_page(browser)
    yield pg
    pg.context.close()


@pytest.fixture
def dash_page(shared_page, request) -> Iterator[Any]:
    failed_before = request.session.testsfailed
    yield shared_page
    keep_on_failure(shared_page, request, failed_before)
    shared_page.keyboard.press("Escape")  # close a dialog a failed test left open


def start_lab(sandbox: rw.Sandbox, home: Path) -> tuple[Any, str]:
    """JupyterLab (no token, 127.0.0.1) on a copy of the detail notebook. Returns (process,
    URL of the notebook)."""
    root = home / "notebooks"
    root.mkdir()
    (root / NOTEBOOK.name).write_bytes(NOTEBOOK.read_bytes())
    proc, url = start_server(sandbox, home, [
        "jupyterlab", "--allow-root", "--ip=127.0.0.1", "--ServerApp.port_retries=0",
        "--ServerApp.token=", "--ServerApp.password=", "--expose-app-in-browser",
        f"--ServerApp.root_dir={root}"], "api")
    return proc, f"{url}lab/tree/{NOTEBOOK.name}"
