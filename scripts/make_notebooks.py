"""Write the notebooks in notebooks/ from the cell sources below (outputs stripped).

Keeping the sources here makes notebook diffs reviewable; run it after editing a cell:
``.venv/bin/python scripts/make_notebooks.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

CONNECT = '''\
import os
import rollouts_widgets as rw

# The demo command and the tests point this at a running sandbox; without it we start our own.
# To use your own cluster instead: cluster = rw.connect()  (kubeconfig current context)
kubeconfig = os.environ.get("ROLLOUTS_WIDGETS_KUBECONFIG")
if kubeconfig:
    cluster = rw.connect(kubeconfig=kubeconfig)
else:
    sandbox = rw.Sandbox(scenario="demo", speed=5.0).start()
    cluster = sandbox.connect()
cluster'''


def quickstart() -> list:
    return [
        new_markdown_cell(
            "# rollouts-widgets quick start\n\n"
            "Connect to a cluster (the bundled sandbox by default), show the live dashboard, "
            "read its filters and selection from Python, and export the rows to pandas."
        ),
        new_code_cell(CONNECT),
        new_markdown_cell("## The dashboard\nClick a row to open it; `/` focuses the search box, "
                          "`Shift+H` shows the shortcuts."),
        new_code_cell("dash = rw.RolloutsDashboard(cluster)\ndash"),
        new_markdown_cell("## Filters and selection, from Python\nThe widget's state is "
                          "ordinary traitlets: set it, read it, observe it."),
        new_code_cell(
            'dash.list.query = "checkout, ledger"\n'
            'dash.list.statuses = ["Healthy", "Progressing", "Paused"]\n'
            "(dash.list.query, list(dash.list.statuses), dash.selected)"
        ),
        new_code_cell('dash.list.query = ""\ndash.list.statuses = []\n'
                      "visible = dash.list.visible_frame()\nlen(visible) > 0"),
        new_markdown_cell("## Export\nEvery rollout as one tidy row."),
        new_code_cell(
            "store = cluster.store()\n"
            "frame = rw.rollouts_frame(store)\n"
            'frame[["namespace", "name", "provider", "strategy", "status", "step_label"]]'
            ".sort_values([\"namespace\", \"name\"]).reset_index(drop=True)"
        ),
        new_code_cell('frame.groupby("status", observed=True).size()'),
    ]


def runbook_promote() -> list:
    return [
        new_markdown_cell(
            "# Runbook: promote `shop/checkout`\n\n"
            "1. Check preconditions: the rollout is healthy or waiting at a pause, and no "
            "analysis is failing.\n"
            "2. Promote one step and wait for the next pause.\n"
            "3. Inspect the pods and the analysis.\n"
            "4. Promote fully, or abort if a check fails.\n\n"
            "Every action lands in the audit log (`rw.actions_frame`)."
        ),
        new_code_cell(CONNECT),
        new_code_cell('REF = "shop/checkout"\nstore = cluster.store()\n'
                      "view = cluster.wait_for(REF, timeout=60)\n"
                      "(view.status, view.step_label)"),
        new_markdown_cell("## 1. Preconditions"),
        new_code_cell(
            "analysis = cluster.analysis(REF)\n"
            "failing = [run.name for run in analysis.runs if run.phase in (\"Failed\", \"Error\")]\n"
            'assert view.status in ("Healthy", "Paused", "Progressing"), view.message\n'
            'assert not failing, f"analysis failing: {failing}"\n'
            "cluster.available_actions(REF)"
        ),
        new_markdown_cell("## 2. Promote one step, then wait for the next pause"),
        new_code_cell(
            "if view.status == \"Healthy\":\n"
            "    # Start a release: a new image on the workload.\n"
            '    cluster.set_image(REF, container="app", image="registry.local/shop/checkout:1.5.0")\n'
            '    view = cluster.wait_for(REF, status="Paused", timeout=120)\n'
            "cluster.promote(REF)\n"
            'view = cluster.wait_for(REF, status=["Paused", "Healthy"], timeout=120)\n'
            "(view.status, view.step_index, view.step_count, view.set_weight)"
        ),
        new_markdown_cell("## 3. Inspect"),
        new_code_cell('pods = rw.pods_frame(cluster, REF)\npods[["name", "state", "ready", "restarts"]]'),
        new_code_cell("rw.analysis_frame(cluster, REF)"),
        new_markdown_cell("## 4. Finish: promote fully, or abort"),
        new_code_cell(
            'unhealthy = pods[pods["state"].isin(["CrashLoopBackOff", "ImagePullBackOff", '
            '"ErrImagePull"])]\n'
            "if unhealthy.empty:\n"
            "    cluster.promote(REF, full=True)\n"
            '    final = cluster.wait_for(REF, status="Healthy", timeout=300)\n'
            "else:\n"
            "    cluster.abort(REF)\n"
            '    final = cluster.wait_for(REF, status=["Failed", "Disabled"], timeout=300)\n'
            "final.status"
        ),
        new_code_cell('rw.actions_frame(cluster)[["action", "namespace", "name", "ok", "code"]]'),
    ]


def investigate() -> list:
    return [
        new_markdown_cell(
            "# Incident: why did `payments/ledger` fail?\n\n"
            "Events and timeline of the failed release, the pods that failed and why, and a "
            "comparison of the two revisions' images."
        ),
        new_code_cell(CONNECT),
        new_code_cell('REF = "payments/ledger"\nstore = cluster.store()\n'
                      'view = cluster.wait_for(REF, status="Failed", timeout=120)\n'
                      "(view.status, view.message)"),
        new_markdown_cell("## Timeline of the release (from the live event log)"),
        new_code_cell("rw.events_frame(store).query(\"name == 'ledger'\").tail(10)"),
        new_code_cell("timeline = rw.timeline_frame(store, REF)\ntimeline.tail()"),
        new_code_cell("rw.frames.plot_timeline(store, REF);"),
        new_markdown_cell("## The pods that failed, and why"),
        new_code_cell(
            "pods = rw.pods_frame(cluster, REF)\n"
            'pods[pods["state"] != "Running"][["name", "revision", "state", "reason", "restarts"]]'
        ),
        new_markdown_cell("## What changed between the revisions"),
        new_code_cell(
            "revisions = rw.revisions_frame(cluster, REF)\n"
            'revisions[["role", "revision", "images", "ready", "desired"]]'
        ),
    ]


def dashboard() -> list:
    return [
        new_markdown_cell("# Rollouts"),
        new_code_cell(
            CONNECT.replace("cluster = rw.connect(kubeconfig=kubeconfig)",
                            "cluster = rw.connect(kubeconfig=kubeconfig)  # read-only: "
                            "ROLLOUTS_WIDGETS_READ_ONLY=true")
            .rsplit("\ncluster", 1)[0]
        ),
        new_code_cell("rw.RolloutsDashboard(cluster)"),
    ]


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, NOTEBOOKS / name)


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    write("quickstart.ipynb", quickstart())
    write("runbook-promote.ipynb", runbook_promote())
    write("investigate.ipynb", investigate())
    write("dashboard.ipynb", dashboard())


if __name__ == "__main__":
    main()
