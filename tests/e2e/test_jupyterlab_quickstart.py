"""notebooks/quickstart.ipynb in JupyterLab (Debian's Chromium): run all cells against the demo
sandbox, use the dashboard, and check that the widget's keys stay the widget's: with focus in
it, `a`, `b`, `dd` and `m` (add above/below, delete, to markdown in Lab's command mode) do not
touch the notebook."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.pages import wait_text

pytestmark = pytest.mark.browser

NOTEBOOK = "window.jupyterapp.shell.currentWidget"

RUN_ALL = f"""async () => {{
  const panel = {NOTEBOOK};
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.sessionContext.session.kernel.info;
  await window.jupyterapp.commands.execute('notebook:run-all-cells');
}}"""

# Every code cell ran (an execution count), the kernel is idle: the cells' outputs, as JSON.
FINISHED = f"""() => {{
  const panel = {NOTEBOOK};
  const kernel = panel?.sessionContext?.session?.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  return cells.every(c => c.model.executionCount !== null);
}}"""

CELLS = f"""() => {NOTEBOOK}.content.widgets.map(c => c.model.type)"""

ERRORS = f"""() => {NOTEBOOK}.content.widgets
  .filter(c => c.model.type === 'code')
  .flatMap(c => c.model.outputs.toJSON())
  .filter(o => o.output_type === 'error')
  .map(o => `${{o.ename}}: ${{o.evalue}}`)"""


def open_and_run_all(page: Any, url: str) -> None:
    page.goto(f"{url}lab/tree/quickstart.ipynb")
    page.wait_for_function("!!window.jupyterapp?.shell?.currentWidget?.sessionContext",
                           timeout=90_000)
    page.evaluate(RUN_ALL)
    page.wait_for_function(FINISHED, timeout=120_000, polling=500)


def test_quickstart_runs_in_jupyterlab_and_the_widget_keeps_its_keys(page, jupyterlab):
    open_and_run_all(page, jupyterlab)
    assert page.evaluate(ERRORS) == []
    cells = page.evaluate(CELLS)
    widget = page.locator(".rw-list")
    widget.locator('[role="row"][data-key="sandbox/shop/checkout"]').wait_for(timeout=60_000)
    assert widget.get_attribute("data-lm-suppress-shortcuts") == "true"
    # The last cells cleared the filters the earlier ones set: all 17 rows are back.
    wait_text(page, ".rw-list .rw-shown", "17 of 17 shown")

    widget.locator('[role="row"][data-key="sandbox/shop/checkout"]').click()
    page.locator(".rw-detail h2.rw-title", has_text="checkout").wait_for(timeout=30_000)

    widget.locator(".rw-shown").click()  # focus in the widget, outside its inputs
    for key in ("a", "b", "d", "d", "m"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    assert page.evaluate(CELLS) == cells  # no cell added, deleted or turned into markdown

    page.keyboard.press("/")  # the widget's key: to the search box, not Lab's
    assert page.evaluate("document.activeElement.getAttribute('role')") == "searchbox"
    page.keyboard.type("abd")  # typing in the search box types
    assert widget.locator('[role="searchbox"]').input_value() == "abd"
    assert page.evaluate(CELLS) == cells
    assert page.errors == []
