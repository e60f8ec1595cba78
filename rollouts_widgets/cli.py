"""The ``rollouts-widgets`` command: ``sandbox`` and ``demo``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rollouts-widgets")
    sub = parser.add_subparsers(dest="command", required=True)

    sb = sub.add_parser("sandbox", help="serve the bundled Kubernetes-API-compatible sandbox")
    sb.add_argument("--port", type=int, default=0)
    sb.add_argument("--kubeconfig", default=None, help="where to write the kubeconfig")
    sb.add_argument("--scenario", default="demo")
    sb.add_argument("--speed", type=float, default=1.0)
    sb.add_argument("--data-dir", default=None, help="load objects from and save them to DIR")

    demo = sub.add_parser("demo", help="sandbox + the Voila dashboard on 127.0.0.1")
    demo.add_argument("--port", type=int, default=8866)
    demo.add_argument("--lab", action="store_true", help="open JupyterLab on the notebooks")
    demo.add_argument("--read-only", action="store_true")

    args = parser.parse_args(argv)
    if args.command == "sandbox":
        from rollouts_widgets.sandbox.cli import serve

        return serve(args)
    from rollouts_widgets.demo import run_demo

    return run_demo(args)


if __name__ == "__main__":
    sys.exit(main())
