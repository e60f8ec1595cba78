"""``rollouts-widgets demo`` as a user runs it: a subprocess on a free port, its URL line, the
page, a second client joining its sandbox through the printed kubeconfig, then Ctrl-C (SIGINT):
a clean exit that leaves no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

import rollouts_widgets as rw
from tests.browser.detail_fixtures import free_port

pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).with_name("rollouts-widgets")
DEMO_ROLLOUTS = 17  # the demo scenario's inventory
DEMO_ARGO_ROLLOUTS = 9


class Demo:
    """The demo command in a subprocess, its stdout collected line by line."""

    def __init__(self, tmp_path: Path, port: int, *options: str) -> None:
        self.port = port
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
               "JUPYTER_DATA_DIR": str(tmp_path / "data"), "IPYTHONDIR": str(tmp_path / "ipy")}
        env.pop("ROLLOUTS_WIDGETS_KUBECONFIG", None)
        self.proc = subprocess.Popen(
            [str(COMMAND), "demo", "--port", str(self.port), *options], env=env,
            stdout=subprocess.PIPE, stderr=(tmp_path / "demo.err").open("w"), text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 120) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                found = re.search(pattern, line)
                if found:
                    return found
            assert self.proc.poll() is None, f"demo exited early: {self.lines}"
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in {self.lines}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def demo_factory(tmp_path):
    started: list[Demo] = []

    def start(*options: str, port: int | None = None) -> Demo:
        started.append(Demo(tmp_path, port or free_port(), *options))
        return started[-1]

    yield start
    for demo in started:
        demo.stop()


def interrupt_and_check_clean_exit(demo: Demo) -> None:
    descendants = psutil.Process(demo.proc.pid).children(recursive=True)
    assert descendants, "the demo runs its server as a child process"
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(60) == 0
    demo._reader.join(10)
    assert demo.lines[-1] == "rollouts-widgets demo: stopped"
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert alive == [], f"left running: {[p.cmdline() for p in alive]}"


def test_demo_serves_the_dashboard_shares_its_sandbox_and_stops_on_ctrl_c(demo_factory):
    demo = demo_factory()
    kubeconfig = demo.wait_line(r"kubeconfig: (\S+)").group(1)
    url = demo.wait_line(r"open (http://127\.0\.0\.1:\d+/)\s").group(1)
    assert url == f"http://127.0.0.1:{demo.port}/"
    with urllib.request.urlopen(f"{url}voila/static/voila.js", timeout=10) as answer:
        assert answer.status == 200
    # The page runs dashboard.ipynb in a kernel that joined the demo's sandbox.
    with urllib.request.urlopen(url, timeout=90) as answer:
        page = answer.read().decode()
    assert "RolloutsDashboard(cluster=\\u0027sandbox\\u0027, namespace=None)" in page
    assert "Traceback" not in page
    # kubectl or a second notebook joins the same sandbox through the printed kubeconfig.
    command = demo.wait_line(r"  (kubectl --kubeconfig \S+ get rollouts\.argoproj\.io -A)$")
    kubectl = subprocess.run([str(COMMAND.with_name("kubectl")), *command.group(1).split()[1:],
                              "-o", "name"], capture_output=True, text=True, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr
    assert len(kubectl.stdout.split()) == DEMO_ARGO_ROLLOUTS
    with rw.connect(kubeconfig=kubeconfig) as cluster, cluster.store() as store:
        assert store.wait_synced(30)
        assert len(store.views()) == DEMO_ROLLOUTS
    interrupt_and_check_clean_exit(demo)
    assert not Path(kubeconfig).exists()  # the sandbox's temp files went with it


def test_demo_lab_read_only_serves_jupyterlab_on_the_notebooks(demo_factory):
    demo = demo_factory("--lab", "--read-only")
    found = demo.wait_line(r"open (http://127\.0\.0\.1:\d+/lab/tree/quickstart\.ipynb"
                           r"\?token=(\w+)) \(read-only\)")
    token = found.group(2)
    api = f"http://127.0.0.1:{demo.port}/api/contents?token={token}"
    with urllib.request.urlopen(api, timeout=10) as answer:
        names = {item["name"] for item in json.load(answer)["content"]}
    assert {"quickstart.ipynb", "runbook-promote.ipynb", "investigate.ipynb",
            "dashboard.ipynb"} <= names
    interrupt_and_check_clean_exit(demo)


def test_demo_reports_a_port_in_use(demo_factory):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        demo = demo_factory(port=port)
        assert demo.proc.wait(120) == 1
    demo._reader.join(10)
    assert demo.lines[-1] == "rollouts-widgets demo: stopped"
