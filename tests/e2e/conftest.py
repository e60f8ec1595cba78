"""End-to-end fixtures: the demo sandbox (manual clock: the tests move time), Voila on
notebooks/dashboard.ipynb and JupyterLab on a copy of the notebooks, joined to the sandbox as
`rollouts-widgets demo` joins them (ROLLOUTS_WIDGETS_KUBECONFIG). The browser and page
fixtures (Debian's Chromium; a screenshot in test-artifacts/ when a test fails) are the
widget tests' own."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import rollouts_widgets as rw
from tests.browser.detail_fixtures import (  # noqa: F401  (browser, free_port, page: fixtures)
    browser,
    free_port,
    page,
    start_server,
    stop_voila,
)

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


def quick_kernels(home: Path, **extra: str) -> dict[str, str]:
    """Prepare ``home`` for a Jupyter server of these tests (quick watch reconnects in its
    kernels, no news in JupyterLab) and return the environment to add to
    ``start_server``'s own (which joins the sandbox and keeps Jupyter's dirs in ``home``)."""
    startup = home / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-quick-watch.py").write_text(QUICK_WATCH)
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}')
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
        "ROLLOUTS_WIDGETS_READ_ONLY": "false",
        **extra,
    }


def start_voila(sandbox: rw.Sandbox, home: Path, **env: str) -> tuple[subprocess.Popen, str]:
    """Voila serving notebooks/dashboard.ipynb, the demo's page: (process, URL)."""
    return start_server(sandbox, home, ["voila", str(NOTEBOOKS / "dashboard.ipynb"),
                                        "--Voila.ip=127.0.0.1"],
                        "voila/static/voila.js", quick_kernels(home, **env))


@pytest.fixture(scope="module")
def voila_dashboard(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    proc, url = start_voila(demo_sandbox, tmp_path_factory.mktemp("voila"))
    yield url
    stop_voila(proc)


@pytest.fixture(scope="module")
def voila_read_only(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    """The same page with ROLLOUTS_WIDGETS_READ_ONLY=true, as a shared Voila page runs it."""
    proc, url = start_voila(demo_sandbox, tmp_path_factory.mktemp("voila-ro"),
                            ROLLOUTS_WIDGETS_READ_ONLY="true")
    yield url
    stop_voila(proc)


@pytest.fixture(scope="module")
def jupyterlab(demo_sandbox, tmp_path_factory) -> Iterator[str]:
    """JupyterLab on a copy of the notebooks (Lab saves what it runs: not the repo's copy)."""
    home = tmp_path_factory.mktemp("lab")
    work = home / "notebooks"
    shutil.copytree(NOTEBOOKS, work)
    proc, url = start_server(demo_sandbox, home,
                             ["jupyterlab", "--allow-root", "--ip=127.0.0.1",
                              "--ServerApp.port_retries=0", "--IdentityProvider.token=",
                              "--ServerApp.password=", "--expose-app-in-browser",
                              f"--ServerApp.root_dir={work}"],
                             "api/status", quick_kernels(home))
    yield url
    stop_voila(proc)
