"""Widget benchmarks in a real headless Chromium (Debian's /usr/bin/chromium).

    .venv/bin/python -m benchmarks.bench_widgets [--rows 10000] [--changes 40]

1. Front end alone (the built static/list.js on a local page, its model stubbed in-page):
   first paint of N rows after the snapshot arrives; filter keystroke -> repaint; a scroll
   step -> repaint.
2. Python: bytes of the custom message for a single-row change (real sandbox, store, widget).
3. End to end (sandbox -> store -> widget -> Voila -> Chromium): navigation -> first rows
   shown, and API change -> DOM latency (p50/p95), by writing to the sandbox and timing when
   the row's cell text changes in the page.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "rollouts_widgets" / "widgets" / "static"
NOTEBOOK = ROOT / "tests" / "browser" / "notebooks" / "list.ipynb"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARGO = "rollouts.argoproj.io"

# The real bundle on a plain page with an in-page model (no kernel): it times the front
# end's own work from the moment the rows are handed over.
BENCH_PAGE = Path(__file__).with_name("bench_list.html")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)


# -- 1. the front end alone ---------------------------------------------------------------------


def bench_front_end(playwright: Any, rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as tmp:
        for name in ("list.js", "list.css"):
            (Path(tmp) / name).write_bytes((STATIC / name).read_bytes())
        (Path(tmp) / "index.html").write_bytes(BENCH_PAGE.read_bytes())
        handler = functools.partial(QuietHandler, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.wait_for_function("window.benchReady === true")
            paints = [page.evaluate("n => bench.firstPaint(n)", rows) for _ in range(3)]
            words = ["s", "se", "ser", "serv", "service-1", "service-12", "team-3", "!team-3",
                     "app:service-9", "team:team-4, team:team-5", "", "x"] * 3
            keys = page.evaluate("w => bench.keystrokes(w)", words)
            page.evaluate("() => bench.keystrokes([''])")
            wheel = page.evaluate("([n, px]) => bench.scrolls(n, px)", [60, 120])
            page.evaluate("() => { document.querySelector('.rw-scroller').scrollTop = 0; }")
            jump = page.evaluate("([n, px]) => bench.scrolls(n, px)", [40, 2000])
        finally:
            browser.close()
            server.shutdown()
    return {
        "rows": rows,
        "first_paint_ms": [round(p["ms"], 1) for p in paints],
        "rendered_dom_rows": paints[-1]["rendered"],
        "shown": paints[-1]["shown"],
        "keystroke_ms_p50": round(statistics.median(keys["times"]), 1),
        "keystroke_ms_p95": round(pct(keys["times"], 95), 1),
        "keystroke_work_ms_p50": round(statistics.median(keys["work"]), 1),
        "keystroke_work_ms_p95": round(pct(keys["work"], 95), 1),
        # a wheel notch (120 px) and a jump (2000 px: every row in view is new)
        "wheel_scroll_to_paint_ms_p50": round(statistics.median(wheel["times"]), 1),
        "wheel_scroll_work_ms_p95": round(pct(wheel["work"], 95), 1),
        "jump_scroll_to_paint_ms_p50": round(statistics.median(jump["times"]), 1),
        "jump_scroll_work_ms_p95": round(pct(jump["work"], 95), 1),
    }


# -- sandbox helpers ------------------------------------------------------------------------------


def argo_rollout(i: int, image_tag: str = "1.0") -> dict[str, Any]:
    name, ns = f"service-{i}", f"team-{i % 20}"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "team": ns}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app",
                                                  "image": f"repo/{name}:{image_tag}"}]}},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}},
                                              {"setWeight": 60}]}},
        },
        "status": {"phase": "Healthy", "replicas": 3, "readyReplicas": 3},
    }


def start_sandbox(rows: int) -> Any:
    import rollouts_widgets as rw

    sb = rw.Sandbox(controllers=False).start()
    sb.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"team-{i}"}}
              for i in range(20)])
    sb.apply([argo_rollout(i) for i in range(rows)])
    return sb


def set_image(sb: Any, i: int, tag: str) -> None:
    name, ns = f"service-{i}", f"team-{i % 20}"
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app",
                                                            "image": f"repo/{name}:{tag}"}]}}}}
    sb.storage.patch(ARGO, ns, name, patch)


# -- 2. bytes per single-row change ------------------------------------------------------------


def bench_bytes(sb: Any, rows: int) -> dict[str, Any]:
    from rollouts_widgets.widgets.list import RolloutList

    cluster = sb.connect()
    widget = RolloutList(cluster)
    sent: list[dict[str, Any]] = []
    got = threading.Condition()

    def send(content: dict[str, Any], buffers: Any = None) -> None:
        with got:
            sent.append(content)
            got.notify_all()

    widget.send = send
    try:
        assert widget.wait_loaded(120), "the store never loaded"
        widget._handle_custom_msg({"type": "ready", "view": "bench"}, [])
        with got:
            got.wait_for(lambda: any(m["type"] == "snapshot" and m["chunk"] == m["chunks"] - 1
                                     for m in sent), 60)
        snapshot = [m for m in sent if m["type"] == "snapshot"]
        snapshot_bytes = sum(len(json.dumps(m, ensure_ascii=False).encode()) for m in snapshot)
        sizes = []
        for k in range(5):
            start = len(sent)
            set_image(sb, 7, f"bytes-{k}")
            with got:
                got.wait_for(lambda start=start: any(m["type"] == "patch" for m in sent[start:]),
                             30)
            patches = [m for m in sent[start:] if m["type"] == "patch"]
            sizes.append(sum(len(json.dumps(m, ensure_ascii=False).encode()) for m in patches))
    finally:
        widget.close()
        cluster.close()
    return {
        "rows": rows,
        "snapshot_bytes": snapshot_bytes,
        "snapshot_chunks": len(snapshot),
        "single_row_change_bytes": statistics.median(sizes),
    }


# -- 3. end to end in Voila -----------------------------------------------------------------------


def start_voila(sb: Any, home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "ROLLOUTS_WIDGETS_KUBECONFIG": sb.kubeconfig_path,
           **{var: str(home / var.lower()) for var in
              ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")}}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=home,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}voila/static/voila.js", timeout=2).close()
            return proc, url
        except OSError as err:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("voila did not start") from err
            time.sleep(0.1)


WATCH_CELL = """key => {
  window.__changes = {};
  const grid = document.querySelector('[role=grid]');
  new MutationObserver(() => {
    const cell = document.querySelector(`[data-key="${key}"] .rw-col-images`);
    const m = cell && cell.textContent.match(/:lat-(\\d+)$/);
    if (m && !(m[1] in window.__changes)) window.__changes[m[1]] = Date.now();
  }).observe(grid, {subtree: true, childList: true, characterData: true});
}"""


def bench_end_to_end(playwright: Any, sb: Any, rows: int, changes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="rw-bench-voila-") as tmp:
        proc, url = start_voila(sb, Path(tmp))
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.route("**/cdn.jsdelivr.net/**", lambda route: route.abort())
            t0 = time.monotonic()
            page.goto(url)
            page.wait_for_selector("[role=grid] [data-key]", timeout=180_000)
            first_rows_s = time.monotonic() - t0
            page.wait_for_function(
                f"document.querySelector('.rw-shown')?.textContent === '{rows} of {rows} shown'",
                timeout=180_000)
            all_rows_s = time.monotonic() - t0
            # Watch a row that is on screen (the first one, sorted by key).
            key = page.eval_on_selector("[role=grid] [data-key]", "r => r.dataset.key")
            i = int(key.rsplit("-", 1)[1])
            page.evaluate(WATCH_CELL, key)
            latencies = []
            for n in range(changes):
                before = time.time()
                set_image(sb, i, f"lat-{n}")
                page.wait_for_function(f"window.__changes['{n}'] !== undefined", timeout=30_000)
                latencies.append(page.evaluate(f"window.__changes['{n}']") - before * 1000)
                time.sleep(0.15)  # let each change travel alone (else they coalesce)
        finally:
            browser.close()
            proc.terminate()
            proc.wait(10)
    return {
        "rows": rows,
        "navigation_to_first_rows_s": round(first_rows_s, 2),
        "navigation_to_all_rows_counted_s": round(all_rows_s, 2),
        "api_change_to_dom_ms_p50": round(statistics.median(latencies)),
        "api_change_to_dom_ms_p95": round(pct(latencies, 95)),
        "changes": changes,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--front-end-only", action="store_true")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    with sync_playwright() as playwright:
        results["front_end"] = bench_front_end(playwright, args.rows)
        print("front end:", json.dumps(results["front_end"]), flush=True)
        if args.front_end_only:
            return results
        sb = start_sandbox(args.rows)
        try:
            results["bytes"] = bench_bytes(sb, args.rows)
            print("bytes:", json.dumps(results["bytes"]), flush=True)
            results["end_to_end"] = bench_end_to_end(playwright, sb, args.rows, args.changes)
            print("end to end:", json.dumps(results["end_to_end"]), flush=True)
        finally:
            sb.stop()
    return results


if __name__ == "__main__":
    main()
