"""Write the notebooks in notebooks/ from the cell sources below.

Keeping the sources here makes notebook diffs reviewable. After editing a cell run
``.venv/bin/python scripts/make_notebooks.py``: it writes the notebooks, runs each one top to
bottom against a fresh sandbox (as nbval does) and keeps the outputs of the cells marked
``# NBVAL_CHECK_OUTPUT`` only: those are the values ``make test`` compares (nbval-lax); every
other cell must simply run without error, and checks what matters with ``assert``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"

CONNECT = '''\
import os

import rollouts_widgets as rw

# Against your own cluster this whole cell is one line:
#     cluster = rw.connect()                 # kubeconfig's current context; or context="prod-eu"
# Here: the sandbox that `rollouts-widgets demo` runs (it sets ROLLOUTS_WIDGETS_KUBECONFIG), or
# else a sandbox of our own with the demo scenario, 20 times faster than real time.
if os.environ.get("ROLLOUTS_WIDGETS_KUBECONFIG"):
    cluster = rw.connect(kubeconfig=os.environ["ROLLOUTS_WIDGETS_KUBECONFIG"])
else:
    sandbox = rw.Sandbox(scenario="demo", speed=20).start()
    cluster = sandbox.connect()'''


def code(source: str, check: bool = False) -> nbformat.NotebookNode:
    return new_code_cell(f"{CHECK}\n{source}" if check else source)


def quickstart() -> list:
    return [
        new_markdown_cell(
            "# rollouts-widgets: quick start\n\n"
            "Connect to a cluster (the bundled sandbox unless you say otherwise), show the live "
            "dashboard, read its filters and selection from Python, and export every rollout "
            "to pandas."
        ),
        code(CONNECT + "\ncluster", check=True),
        new_markdown_cell(
            "## The dashboard\n\n"
            "Live list on the left, the selected rollout on the right. Click a row (or use the "
            "arrow keys and Enter) to open it; `/` jumps to the search box and `Shift+H` lists "
            "every shortcut. The buttons ask for confirmation before they change anything."
        ),
        code("dash = rw.RolloutsDashboard(cluster)\ndash"),
        new_markdown_cell(
            "## Filters and selection, from Python\n\n"
            "The widget's state is ordinary traitlets: set it here and the page follows; click "
            "in the page and read it here. `team:shop` is a label filter (see the README for "
            "the whole grammar)."
        ),
        code(
            'dash.list.query = "team:shop"\n'
            'dash.list.statuses = ["Paused", "Progressing"]\n'
            'dash.selected = "sandbox/shop/checkout"\n'
            "dash.list.query, dash.list.statuses, dash.selected, dash.detail.rollout",
            check=True,
        ),
        code(
            "assert dash.list.wait_loaded(timeout=30)\n"
            "visible = dash.list.visible_frame()  # exactly the rows the table shows, in order\n"
            'assert set(visible["namespace"]) == {"shop"}, visible\n'
            'assert set(visible["status"]) <= {"Paused", "Progressing"}, visible\n'
            'visible[["name", "status", "step_label"]]'
        ),
        code('dash.list.query = ""\ndash.list.statuses = []'),
        new_markdown_cell(
            "## Export\n\n"
            "Every rollout as one tidy row: the same rows the table shows, ready for pandas "
            "(`frame.to_csv(...)`, `frame.to_parquet(...)`, plots)."
        ),
        code(
            "store = cluster.store()  # the live cache the widgets share\n"
            "assert store.wait_synced(timeout=30)\n"
            "frame = rw.rollouts_frame(store)\n"
            'print(frame[["namespace", "name", "provider", "strategy", "workload_kind"]]\n'
            '      .sort_values(["namespace", "name"]).to_string(index=False))',
            check=True,
        ),
        code('frame.groupby("status", observed=True).size()'),
    ]


def runbook_promote() -> list:
    return [
        new_markdown_cell(
            "# Runbook: promote the `shop/checkout` release\n\n"
            "1. **Preconditions**: the release is waiting for approval, and no analysis is "
            "failing.\n"
            "2. **Promote one step** and wait for the next pause.\n"
            "3. **Inspect** the pods and the analysis.\n"
            "4. **Finish**: promote fully if every check passed, otherwise abort (traffic goes "
            "back to the stable version).\n\n"
            "Every action lands in the audit log (`rw.actions_frame`). Run it against the "
            "sandbox first (this notebook does, by default), then against your cluster."
        ),
        code(CONNECT),
        code(
            'REF = "shop/checkout"\n'
            "# The demo scenario has a release of checkout waiting for approval. (To start one:\n"
            '# cluster.set_image(REF, container="checkout", image="ghcr.io/acme/checkout:1.9.1"))\n'
            "view = cluster.wait_for(REF, status=\"Paused\", timeout=120)\n"
            "view.status, view.step_index, view.step_count, view.step_label, view.set_weight",
            check=True,
        ),
        new_markdown_cell("## 1. Preconditions"),
        code(
            "analysis = cluster.analysis(REF)\n"
            'failing = [run.name for run in analysis.runs if run.phase in ("Failed", "Error")]\n'
            'assert view.status == "Paused", f"not waiting for approval: {view.message}"\n'
            'assert not failing, f"analysis failing: {failing}"\n'
            "allowed = cluster.available_actions(REF)\n"
            'assert allowed["PROMOTE"][0], allowed["PROMOTE"][1]\n'
            "analysis.summary"
        ),
        new_markdown_cell("## 2. Promote one step, then wait for the next pause"),
        code(
            "result = cluster.promote(REF)\n"
            "next_pause = next(s.index for s in view.steps\n"
            '                  if s.kind == "pause" and s.index > view.step_index)\n'
            "view = cluster.wait_for(REF, step=next_pause, timeout=120)\n"
            "result.ok, view.step_index, view.step_label, view.set_weight",
            check=True,
        ),
        new_markdown_cell("## 3. Inspect the pods and the analysis"),
        code(
            "pods = rw.pods_frame(cluster, REF)\n"
            'pods[["name", "state", "ready", "restarts", "revision", "images"]]'
        ),
        code(
            "# The new version's pods: all ready, none restarting; and no failed measurement.\n"
            'canary = pods[pods["revision"] == view.canary_revision]\n'
            'unhealthy = canary[~canary["ready"] | (canary["restarts"] > 0)]\n'
            "analysis = rw.analysis_frame(cluster, REF)\n"
            'failed_checks = analysis[analysis["phase"].isin(["Failed", "Error"])]\n'
            "checks_pass = not canary.empty and unhealthy.empty and failed_checks.empty\n"
            "checks_pass, len(canary), len(unhealthy), len(failed_checks)"
        ),
        new_markdown_cell("## 4. Finish: promote fully, or abort"),
        code(
            "if checks_pass:\n"
            "    cluster.promote(REF, full=True)\n"
            '    final = cluster.wait_for(REF, status="Healthy", timeout=300)\n'
            "else:\n"
            "    cluster.abort(REF)\n"
            '    final = cluster.wait_for(REF, status="Failed", timeout=300)\n'
            "assert final.status == (\"Healthy\" if checks_pass else \"Failed\"), final.message\n"
            "final.status, final.step_index == final.step_count, final.images",
        ),
        new_markdown_cell("## The audit log\nWho did what, when, and with which result."),
        code(
            'actions = rw.actions_frame(cluster)\n'
            'print(actions[["namespace", "name", "action", "ok", "code"]].to_string(index=False))',
            check=True,
        ),
    ]


def investigate() -> list:
    return [
        new_markdown_cell(
            "# Incident: why did the `payments/gateway` release fail?\n\n"
            "The events and the timeline of the failed release, its step/weight plot, the pods "
            "that failed and why, and what changed between the two revisions."
        ),
        code(CONNECT + "\nstore = cluster.store()  # the live cache: it logs every change"),
        code(
            'REF = "payments/gateway"\n'
            'view = cluster.wait_for(REF, status="Failed", timeout=120)\n'
            "view.status, view.native_phase, view.step_label",
            check=True,
        ),
        code("print(view.message)"),
        new_markdown_cell(
            "## What the watch saw\n\n"
            "Every change the store received, with the status and step before and after."
        ),
        code(
            "events = rw.events_frame(store)\n"
            'gateway = events[events["name"] == "gateway"]\n'
            'assert gateway["status_after"].iloc[-1] == "Failed"\n'
            'gateway[["ts", "type", "status_before", "status_after", "step_index_after",\n'
            '         "set_weight_after"]].tail(10)'
        ),
        code(
            "timeline = rw.timeline_frame(store, REF)\n"
            'assert timeline["status"].iloc[-1] == "Failed"\n'
            "timeline.tail()"
        ),
        code("rw.plot_timeline(store, REF);"),
        new_markdown_cell("## The pods that failed, and why"),
        code(
            "pods = rw.pods_frame(cluster, REF)\n"
            'failed = pods[~pods["ready"]]\n'
            'print(failed[["state", "reason", "images"]].to_string(index=False))',
            check=True,
        ),
        new_markdown_cell(
            "## What changed between the revisions\n\n"
            "The stable revision still serves; the canary's image is the difference."
        ),
        code(
            "revisions = rw.revisions_frame(cluster, REF)\n"
            'print(revisions[["role", "revision", "images", "ready_replicas", "replicas"]]'
            ".to_string(index=False))",
            check=True,
        ),
        code(
            'by_role = revisions.set_index("role")["images"]\n'
            'print(f"stable: {by_role[\'stable\']}\\ncanary: {by_role[\'canary\']}")',
            check=True,
        ),
    ]


def dashboard() -> list:
    return [
        new_markdown_cell(
            "# Rollouts\n\nLive progressive delivery across the cluster. Read-only when "
            "`ROLLOUTS_WIDGETS_READ_ONLY=true`."
        ),
        code(
            CONNECT
            + "\n\n# ROLLOUTS_WIDGETS_READ_ONLY=true hides every write path (Flags.from_env).\n"
            "rw.RolloutsDashboard(cluster)"
        ),
    ]


NOTEBOOK_CELLS = {
    "quickstart.ipynb": quickstart,
    "runbook-promote.ipynb": runbook_promote,
    "investigate.ipynb": investigate,
    "dashboard.ipynb": dashboard,
}


def build(cells: list) -> nbformat.NotebookNode:
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # stable ids: a regenerated notebook diffs only where it changed
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def keep_checked_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run ``nb`` (from notebooks/) and keep the outputs of the checked cells only."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # run times: noise in a diff
        if cell.cell_type != "code":
            continue
        if not cell.source.startswith(CHECK):
            cell.outputs = []
            cell.execution_count = None
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    nb.metadata.pop("widgets", None)
    return nb


def main(names: list[str]) -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, cells in NOTEBOOK_CELLS.items():
        if names and name not in names:
            continue
        nb = keep_checked_outputs(build(cells()))
        nbformat.write(nb, NOTEBOOKS / name)
        print(f"wrote {NOTEBOOKS / name}")


if __name__ == "__main__":
    main(sys.argv[1:])
