"""``rollouts-widgets demo``: the sandbox with the demo scenario, plus Voila (or JupyterLab).

The sandbox runs in this process; the notebook kernels that Voila or JupyterLab start join
it through the kubeconfig named by ``ROLLOUTS_WIDGETS_KUBECONFIG``, the same way kubectl or
a second notebook can.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

KUBECONFIG_ENV = "ROLLOUTS_WIDGETS_KUBECONFIG"
DEMO_SPEED = 5.0


def notebooks_dir() -> Path:
    """The notebooks: from a checkout, else the copy the wheel carries."""
    checkout = Path(__file__).resolve().parents[1] / "notebooks"
    if (checkout / "dashboard.ipynb").exists():
        return checkout
    return Path(__file__).resolve().parent / "_notebooks"


def server_command(args: argparse.Namespace, nbdir: Path, jupyter_dir: Path) -> list[str]:
    if args.lab:
        token = secrets.token_hex(16)
        args.url = f"http://127.0.0.1:{args.port}/lab/tree/quickstart.ipynb?token={token}"
        return [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={args.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={nbdir}",
            "--allow-root",
        ]
    args.url = f"http://127.0.0.1:{args.port}/"
    return [
        sys.executable,
        "-m",
        "voila",
        str(nbdir / "dashboard.ipynb"),
        "--no-browser",
        f"--port={args.port}",
        "--Voila.ip=127.0.0.1",
        "--Voila.port_retries=0",
        "--theme=light",
    ]


def run_demo(args: argparse.Namespace) -> int:
    from rollouts_widgets.sandbox import Sandbox

    nbdir = notebooks_dir()
    with (
        tempfile.TemporaryDirectory(prefix="rollouts-demo-") as tmp,
        Sandbox(scenario="demo", speed=DEMO_SPEED) as sandbox,
    ):
        jupyter_dir = Path(tmp)
        env = dict(os.environ)
        env[KUBECONFIG_ENV] = str(sandbox.kubeconfig_path)
        env["ROLLOUTS_WIDGETS_READ_ONLY"] = (
            "true" if args.read_only else env.get("ROLLOUTS_WIDGETS_READ_ONLY", "false")
        )
        # Keep the demo's Jupyter state out of the user's home directory.
        for var, sub in (("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
            env.setdefault(var, str(jupyter_dir / sub))
        command = server_command(args, nbdir, jupyter_dir)
        proc = subprocess.Popen(command, env=env)
        print(f"rollouts-widgets demo: sandbox at {sandbox.url}", flush=True)
        print(f"  kubeconfig: {sandbox.kubeconfig_path}", flush=True)
        print(f"  kubectl --kubeconfig {sandbox.kubeconfig_path} get rollouts -A", flush=True)
        print(f"  open {args.url}  (Ctrl-C stops everything)", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.is_set() and proc.poll() is None:
                stop.wait(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        print("rollouts-widgets demo: stopped", flush=True)
        return 0 if proc.returncode in (0, -signal.SIGINT, 130) or stop.is_set() else 1
