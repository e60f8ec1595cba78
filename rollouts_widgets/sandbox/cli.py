"""``rollouts-widgets sandbox``: serve until interrupted and say how to point kubectl at it."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from rollouts_widgets.sandbox.sandbox import Sandbox


def serve(args: argparse.Namespace) -> int:
    kubeconfig = args.kubeconfig or str(Path.home() / ".kube" / "rollouts-widgets-sandbox")
    sandbox = Sandbox(
        scenario=args.scenario, speed=args.speed, port=args.port, kubeconfig_path=kubeconfig,
        data_dir=args.data_dir,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with sandbox:
        print(f"Sandbox API server on {sandbox.url} (scenario {args.scenario!r})")
        print(f"Kubeconfig: {sandbox.kubeconfig_path}")
        print(f"  export KUBECONFIG={sandbox.kubeconfig_path}")
        print("  kubectl get rollouts.rollouts.kruise.io,rollouts.argoproj.io -A")
        print("  kubectl --context sandbox-viewer get pods -A    # read-only user")
        print("Press Ctrl+C to stop.", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0
