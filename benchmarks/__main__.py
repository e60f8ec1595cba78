"""The performance report: every ``benchmarks/bench_*.py`` in one run, then the goals.

    .venv/bin/python -m benchmarks [--only engine,widgets]

Each benchmark runs in a fresh process (so one's memory and threads cannot skew another) and
prints its own detailed figures, each measured side by side with its baseline in the same run
(bare ``json.loads``, a bare paginated list, the raw JSON size, the row size). This command
then collects the figures the goals are about and prints them as one table: figure, baseline,
ratio or value, goal, met or missed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Goal:
    """One goal of the report: how to read its figure and baseline from the benchmarks' output."""

    name: str
    goal: str
    read: Callable[[str], tuple[str, str, float] | None]  # -> (figure, baseline, value)
    met: Callable[[float], bool]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _search(pattern: str, output: str) -> re.Match | None:
    return re.search(pattern, output, re.MULTILINE)


def _json_line(label: str, output: str) -> dict | None:
    found = _search(rf"^{label}: (\{{.*\}})$", output)
    return json.loads(found.group(1)) if found else None


def _ingest(out: str) -> tuple[str, str, float] | None:
    bare = _search(r"bare json\.loads:\s+([\d,]+) ev/s", out)
    ours = _search(r"watcher\+store\+model:\s+([\d,]+) ev/s", out)
    if not (bare and ours):
        return None
    return (f"{ours.group(1)} events/s", f"{bare.group(1)} events/s (json.loads)",
            _number(ours.group(1)) / _number(bare.group(1)))


def _load(out: str) -> tuple[str, str, float] | None:
    rows = _search(r"initial load: (\d+) rollouts", out)
    bare = _search(r"bare paginated list\+decode:\s+([\d.]+) s", out)
    ours = _search(r"store synced \(views built\):\s+([\d.]+) s", out)
    if not (bare and ours):
        return None
    n = rows.group(1) if rows else "?"
    return (f"{ours.group(1)} s for {n}", f"{bare.group(1)} s (bare list+decode)",
            _number(ours.group(1)) / _number(bare.group(1)))


def _memory(out: str) -> tuple[str, str, float] | None:
    found = _search(r"memory: store of (\d+) rollouts ([\d.]+) MB .* raw JSON ([\d.]+) MB", out)
    if not found:
        return None
    return (f"{found.group(2)} MB", f"{found.group(3)} MB (raw JSON)",
            _number(found.group(2)) / _number(found.group(3)))


def _change_bytes(out: str) -> tuple[str, str, float] | None:
    data = _json_line("bytes", out)
    if not data:
        return None
    row = data["snapshot_bytes"] / data["rows"]  # one row's share of the snapshot message
    change = data["single_row_change_bytes"]
    return f"{change:.0f} B per change", f"{row:.0f} B per row", change / row


def _front_end(key: str, label: str) -> Callable[[str], tuple[str, str, float] | None]:
    def read(out: str) -> tuple[str, str, float] | None:
        data = _json_line("front end", out)
        if not data:
            return None
        value = data[key]
        value = statistics.median(value) if isinstance(value, list) else value
        return f"{value:.0f} ms ({label}, {data['rows']} rows)", "-", value

    return read


def _keystroke(out: str) -> tuple[str, str, float] | None:
    """Keystroke to the next painted frame (what the user waits for); the synchronous filter
    and DOM update alone is shown next to it."""
    data = _json_line("front end", out)
    if not data:
        return None
    value = data["keystroke_ms_p95"]
    return (f"{value:.0f} ms p95 to paint (filter+DOM work p95 "
            f"{data['keystroke_work_ms_p95']:.0f} ms, {data['rows']} rows)", "-", value)


def _api_to_dom(out: str) -> tuple[str, str, float] | None:
    data = _json_line("end to end", out)
    if not data:
        return None
    value = data["api_change_to_dom_ms_p95"]
    return (f"{value} ms p95 (p50 {data['api_change_to_dom_ms_p50']} ms, "
            f"{data['rows']} rows)", "-", float(value))


GOALS = (
    Goal("ingest rate", ">= 0.5x bare JSON decoding", _ingest, lambda r: r >= 0.5),
    Goal("10,000-rollout load", "<= 2x bare list+decode", _load, lambda r: r <= 2.0),
    Goal("bytes per change", "<= 1.5x row size", _change_bytes, lambda r: r <= 1.5),
    Goal("first paint", "<= 300 ms at 10,000 rows", _front_end("first_paint_ms", "median of 3"),
         lambda v: v <= 300),
    Goal("filter keystroke", "<= 50 ms", _keystroke, lambda v: v <= 50),
    Goal("API-to-DOM", "p95 <= 500 ms", _api_to_dom, lambda v: v <= 500),
    Goal("memory", "<= 3x raw JSON", _memory, lambda r: r <= 3.0),
)


def run_benchmark(name: str) -> tuple[str, float, int]:
    """Run ``benchmarks.<name>`` and echo its output as it comes; returns (output, s, rc)."""
    print(f"\n=== {name}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", f"benchmarks.{name}"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    rc = proc.wait()
    return "".join(lines), time.perf_counter() - start, rc


def report(output: str) -> list[str]:
    """The goals table, read from every benchmark's output."""
    rows = [("goal", "figure", "baseline (same run)", "value", "target", "")]
    for goal in GOALS:
        found = goal.read(output)
        if found is None:
            rows.append((goal.name, "not reported", "", "", goal.goal, "?"))
            continue
        figure, baseline, value = found
        shown = f"{value:.2f}x" if baseline != "-" else f"{value:.0f} ms"
        rows.append((goal.name, figure, baseline, shown, goal.goal,
                     "met" if goal.met(value) else "MISSED"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated: engine,sandbox,widgets")
    args = parser.parse_args(argv)
    wanted = {f"bench_{n.strip()}" for n in args.only.split(",") if n.strip()}
    names = sorted(p.stem for p in HERE.glob("bench_*.py") if not wanted or p.stem in wanted)
    outputs, failed = [], []
    for name in names:
        output, seconds, rc = run_benchmark(name)
        outputs.append(output)
        print(f"--- {name}: {seconds:.0f} s" + (f", exit status {rc}" if rc else ""), flush=True)
        if rc:
            failed.append(name)
    print("\n=== goals (issue 9)")
    print("\n".join(report("\n".join(outputs))))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
