"""End-to-end fixtures: the demo sandbox (manual clock: the tests move time), Voila on
notebooks/dashboard.ipynb and JupyterLab on a copy of the notebooks, joined to the sandbox as
`rollouts-widgets demo` joins them (ROLLOUTS_WIDGETS_KUBECONFIG). The browser and page
fixtures (Debian's Chromium; a screenshot in test-artifacts/ when a test fails) are the
widget tests' own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import rollouts_widgets as rw
from tests.browser.detail_fixtures import browser, free_port, page  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"

# Kernels started for these tests reconnect quickly, so that a broken watch reaches polling
# (5 failures) and comes back within seconds. The engine takes its intervals from
# WatchSettings; this IPython start-up file gives the kernel's connections smaller ones.
QUICK_WATCH = """\
import functools

import rollouts_widgets.cluster
from rollouts_widgets.watch.settings import WatchSettings

rollouts_widgets.cluster.WatchSettings = functools.partial(
    WatchSettings, backoff=(0.2, 0.4), poll_interval=1.0, probe_interval=1.0)
"""


def settle(sb: rw.Sandbox, seconds: float = 80, stride: float = 10) -> None:
    """Move the sandbox's manual clock in strides (pods get ready, steps move on)."""
    for _ in range(int(seconds // stride)):
        sb.advance(stride)


@pytest.fixture(scope="session")
def demo_sandbox() -> Iterator[rw.Sandbox]:
    """The demo scenario after its opening: a release of shop/checkout awaits approval."""
    sb = rw.Sandbox(scenario="demo", clock="manual").start()
    settle(sb)
    yield sb
    sb.stop()


def jupyter_env(sandbox: rw.Sandbox, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a Jupyter server joined to ``sandbox``: Jupyter's and IPython's
    directories under ``home``, quick watch reconnects, no news in JupyterLab."""
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-quick-watch.py").write_text(QUICK_WATCH)
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    env = {
        **os.environ,
        "ROLLOUTS_WIDGETS_KUBECONFIG": sandbox.kubeconfig_path,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
    }
    env.pop("ROLLOUTS_WIDGETS_READ_ONLY", None)
    return {**env, **extra}


def serve(command: list[str], env: dict[str, str], home: Path, ready: str) -> subprocess.Popen:
    """Start a Jupyter server and wait until ``ready`` answers."""
    log = (home / "server.log").open("w")
    proc = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(ready, timeout=2).close()
            return proc
        except OSError as err:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"server did not start: {(home / 'server.log').read_text()}"
                                   ) from err
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_voila(sandbox: rw.Sandbox, home: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """Voila serving notebooks/dashboard.ipynb, the demo's page: (process, URL)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = serve([sys.executable, "-m", "voila", str(NOTEBOOKS / "dashboard.ipynb"),
                  "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"],
                 jupyter_env(sandbox, home, **env), home, f"{url}voila/static/voila.js")
    return proc, url


@pytest.fixture(scope="module")
def voila_dashboard(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    proc, url = start_voila(demo_sandbox, tmp_path_factory.mktemp("voila"))
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def voila_read_only(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    """The same page with ROLLOUTS_WIDGETS_READ_ONLY=true, as a shared Voila page runs it."""
    proc, url = start_voila(demo_sandbox, tmp_path_factory.mktemp("voila-ro"),
                            ROLLOUTS_WIDGETS_READ_ONLY="true")
    yield url
    stop(proc)


@pytest.fixture(scope="module")
def jupyterlab(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    """JupyterLab on a copy of the notebooks (Lab saves what it runs: not the repo's copy)."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "notebooks"
    shutil.copytree(NOTEBOOKS, work)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = serve([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
                  "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                  "--IdentityProvider.token=", "--ServerApp.password=",
                  "--expose-app-in-browser", f"--ServerApp.root_dir={work}"],
                 jupyter_env(demo_sandbox, home), home, f"{url}api/status")
    yield url
    stop(proc)
