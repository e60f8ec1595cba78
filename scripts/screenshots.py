"""Retake the README's screenshots from the real demo (light, dark, narrow).

``.venv/bin/python scripts/screenshots.py``: runs ``rollouts-widgets demo`` on a free port,
lets the demo scenario move for a while, opens shop/checkout and saves docs/screenshot*.png.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip
SETTLE_SECONDS = 25  # real seconds of demo life (sandbox time runs 5x) before the shots


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "rollouts_widgets.cli", "demo", "--port", str(port)],
        stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert demo.stdout is not None
        for line in demo.stdout:  # the URL line is printed once the page answers
            if line.strip().startswith("open "):
                break
        url = f"http://127.0.0.1:{port}/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 950})
            page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
            page.goto(url)
            page.locator('[role="row"][data-key="sandbox/shop/checkout"]').wait_for(timeout=90_000)
            time.sleep(SETTLE_SECONDS)
            for suffix, query, width in (("", "", 1500), ("-dark", "theme=dark&", 1500),
                                         ("-narrow", "", 760)):
                page.set_viewport_size({"width": width, "height": 950})
                page.goto(f"{url}?{query}selected=sandbox/shop/checkout")
                page.get_by_role("button", name="PROMOTE", exact=True).wait_for(timeout=90_000)
                time.sleep(3)
                page.mouse.move(0, 0)
                page.screenshot(path=str(DOCS / f"screenshot{suffix}.png"))
                print(f"saved docs/screenshot{suffix}.png", flush=True)
            browser.close()
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(30)


if __name__ == "__main__":
    main()
