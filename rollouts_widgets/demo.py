"""``rollouts-widgets demo``: the sandbox with the demo scenario, plus Voila (or JupyterLab).

The sandbox runs in this process; the notebook kernels that Voila or JupyterLab start join
it through the kubeconfig named by ``ROLLOUTS_WIDGETS_KUBECONFIG``, the same way kubectl or
a second notebook can. The server runs in its own session, so Ctrl-C reaches only this
process, which then stops the server (SIGTERM: it shuts its kernels down) and the sandbox.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

KUBECONFIG_ENV = "ROLLOUTS_WIDGETS_KUBECONFIG"
READ_ONLY_ENV = "ROLLOUTS_WIDGETS_READ_ONLY"
DEMO_SPEED = 5.0  # sandbox time runs 5x: a release visibly moves within seconds
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


@dataclass(frozen=True)
class Server:
    command: list[str]
    url: str  # what the user opens
    ready_url: str  # answers once the server is up, without starting a kernel


def notebooks_dir() -> Path:
    """The notebooks: from a checkout, else the copy the wheel carries."""
    checkout = Path(__file__).resolve().parents[1] / "notebooks"
    if (checkout / "dashboard.ipynb").exists():
        return checkout
    return Path(__file__).resolve().parent / "_notebooks"


def server_for(port: int, lab: bool, nbdir: Path) -> Server:
    """Voila on the dashboard notebook, or JupyterLab on the notebooks folder."""
    base = f"http://127.0.0.1:{port}/"
    if lab:
        token = secrets.token_hex(16)
        return Server(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={nbdir}", "--allow-root"],
            f"{base}lab/tree/quickstart.ipynb?token={token}",
            f"{base}api/status?token={token}",
        )
    return Server(
        [sys.executable, "-m", "voila", str(nbdir / "dashboard.ipynb"), "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--theme=light",
         "--VoilaConfiguration.allow_theme_override=YES"],  # ?theme=dark for dark rooms
        base,
        f"{base}voila/static/voila.js",
    )


def wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    """Poll ``url`` until it answers; False when the server exits or time runs out."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM (Jupyter shuts its kernels down), then SIGKILL the group if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    try:  # anything of the server's session left (a kernel that ignored the shutdown)
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def run_demo(args: argparse.Namespace) -> int:
    from rollouts_widgets.sandbox import Sandbox

    nbdir = notebooks_dir()
    if not (nbdir / "dashboard.ipynb").exists():
        print(f"rollouts-widgets demo: no notebooks at {nbdir} (run it from a checkout)",
              file=sys.stderr, flush=True)
        return 2
    server = server_for(args.port, args.lab, nbdir)
    # Ctrl-C stops the demo even when started with SIGINT ignored (`cmd &` in a script), and
    # SIGTERM (a service manager, `kill`) stops it the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="rollouts-demo-") as tmp,
            Sandbox(scenario="demo", speed=DEMO_SPEED) as sandbox,
        ):
            env = dict(os.environ)
            env[KUBECONFIG_ENV] = sandbox.kubeconfig_path
            if args.read_only:
                env[READ_ONLY_ENV] = "true"
            # The demo's runtime files (kernel connection files) stay out of the home folder.
            env.setdefault("JUPYTER_RUNTIME_DIR", str(Path(tmp) / "runtime"))
            print(f"rollouts-widgets demo: sandbox at {sandbox.url}", flush=True)
            print(f"  kubeconfig: {sandbox.kubeconfig_path}", flush=True)
            print(f"  kubectl --kubeconfig {sandbox.kubeconfig_path} get rollouts.argoproj.io -A",
                  flush=True)
            proc = subprocess.Popen(server.command, env=env, cwd=nbdir,
                                    start_new_session=True)
            try:
                return serve(proc, server, args)
            finally:
                stop_server(proc)  # before the sandbox goes: kernels close their watches
    except KeyboardInterrupt:
        return 0
    finally:
        print("rollouts-widgets demo: stopped", flush=True)


def serve(proc: subprocess.Popen, server: Server, args: argparse.Namespace) -> int:
    """Wait for the server, say where it is, and run until it exits (1) or Ctrl-C."""
    if not wait_ready(server.ready_url, proc, START_TIMEOUT):
        print(f"rollouts-widgets demo: the server did not start on port {args.port} "
              "(is the port in use? try --port)", file=sys.stderr, flush=True)
        return 1
    mode = " (read-only)" if args.read_only else ""
    print(f"  open {server.url}{mode}   (Ctrl-C stops everything)", flush=True)
    proc.wait()
    print("rollouts-widgets demo: the server exited", file=sys.stderr, flush=True)
    return 1
