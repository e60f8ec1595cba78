"""The dashboard's detail panel in JupyterLab (real headless Chromium), against the demo
scenario: the same bundle renders in Lab as in Voila, and its keys stay out of Lab's way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.detail_fixtures import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    browser,
    browser_scene,
    page,
    start_lab,
    stop_voila,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(browser_scene, tmp_path_factory) -> Iterator[str]:  # noqa: F811
    proc, url = start_lab(browser_scene, tmp_path_factory.mktemp("lab"))
    yield url
    stop_voila(proc)


def run_all(page: Any, url: str) -> None:  # noqa: F811
    """Open the notebook, wait for its kernel, run every cell (as toolchain.md says)."""
    page.goto(url)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext",
                           timeout=90_000)
    page.evaluate("""async () => {
        const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
        await ctx.ready;
        await ctx.session.kernel.info;
        await window.jupyterapp.commands.execute('notebook:run-all-cells');
    }""")


def test_detail_renders_and_acts_in_jupyterlab(page, lab):  # noqa: F811
    run_all(page, lab)
    row = page.locator('[role="grid"] [role="row"][data-key="sandbox/shop/checkout"]')
    row.wait_for(timeout=90_000)
    row.click()
    page.wait_for_function(
        "() => document.querySelector('.rw-detail h2.rw-title')?.textContent === 'checkout'",
        timeout=30_000)
    detail = page.locator(".rw-detail")
    states = page.eval_on_selector_all('.rw-detail [role="list"].rw-steps [role="listitem"]',
                                       "els => els.map(e => e.dataset.state)")
    assert states[:2] == ["done", "awaiting-approval"] and len(states) == 6
    assert detail.get_attribute("data-lm-suppress-shortcuts") == "true"
    detail.locator(".rw-actions").get_by_role("button", name="PROMOTE", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    dialog.wait_for()
    assert "Approves step 2 of 6 (Pause)" in dialog.inner_text()
    page.keyboard.press("Escape")  # Esc closes our dialog; nothing was sent
    dialog.wait_for(state="detached")
    detail.locator(".rw-actions").get_by_role("button", name="ANALYSIS", exact=True).click()
    page.get_by_role("dialog", name="Analysis of shop/checkout").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "detail-lab.png"))
    assert page.errors == []
