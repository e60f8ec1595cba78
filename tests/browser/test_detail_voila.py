"""The dashboard's detail panel in a real headless Chromium (Debian's), served by Voila,
against the sandbox (manual clock: the test moves time after each action).

Every action goes through the page: a click, the confirmation dialog, the request to the
kernel, ``cluster.act`` there, the API server; the result is read back from the DOM.
Screenshots (light and dark) are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.detail_fixtures import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    browser,
    browser_scene,
    page,
    settle,
    voila_factory,
)

pytestmark = pytest.mark.browser

STEPS = '.rw-detail [role="list"].rw-steps [role="listitem"]'


@pytest.fixture(scope="module")
def voila(voila_factory) -> str:  # noqa: F811
    return voila_factory()


def open_rollout(page: Any, url: str, name: str, query: str = "") -> Any:  # noqa: F811
    """Open the dashboard and select ``shop/<name>`` in the list, as a user does."""
    page.goto(url + query)
    row = page.locator(f'[role="grid"] [role="row"][data-key="sandbox/shop/{name}"]')
    row.wait_for(timeout=60_000)
    row.click()
    detail = page.locator(".rw-detail")
    detail.locator("h2.rw-title", has_text=name).wait_for(timeout=20_000)
    page.wait_for_function(
        "n => document.querySelector('.rw-detail h2.rw-title')?.textContent === n", arg=name)
    return detail


def states(page: Any) -> list[str]:  # noqa: F811
    return page.eval_on_selector_all(STEPS, "els => els.map(e => e.dataset.state)")


def wait_states(page: Any, expected: list[str], timeout: float = 20_000) -> None:  # noqa: F811
    page.wait_for_function(
        """want => JSON.stringify(Array.from(document.querySelectorAll(
             '.rw-detail [role=list].rw-steps [role=listitem]')).map(e => e.dataset.state))
           === JSON.stringify(want)""", arg=expected, timeout=timeout)


def action(detail: Any, name: str) -> Any:
    return detail.locator(".rw-actions").get_by_role("button", name=name, exact=True)


def confirm(page: Any, label: str) -> str:  # noqa: F811
    dialog = page.get_by_role("alertdialog")
    dialog.wait_for()
    text = dialog.inner_text()
    assert dialog.get_by_role("button", name="Cancel").count() == 1
    dialog.get_by_role("button", name=label, exact=True).click()
    dialog.wait_for(state="detached")
    return text


def test_select_a_rollout_and_see_its_steps(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "web")
    assert states(page) == ["awaiting-approval", "pending", "pending"]
    labels = detail.locator(".rw-step-label").all_inner_texts()
    assert labels == ["Replicas: 1, Pause", "Replicas: 50%, Pause", "Replicas: 100%"]
    assert detail.locator(".rw-strategy").inner_text() == "Partition"
    assert "Live" in detail.locator(".rw-conn").inner_text()
    roles = detail.locator(".rw-revision .rw-role").all_inner_texts()
    assert roles == ["canary", "stable"]
    assert detail.locator(".rw-pods [role=listitem]").count() == 4
    page.mouse.move(0, 0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "detail-light.png"), full_page=True)
    assert page.errors == []
    assert page.evaluate("window.__xss") is None


def test_promote_asks_then_the_step_advances(page, voila, browser_scene):  # noqa: F811
    detail = open_rollout(page, voila, "web")
    action(detail, "PROMOTE").click()
    text = confirm(page, "PROMOTE")
    assert "Approves step 1 of 3 (Replicas: 1, Pause). It moves on to step 2 of 3." in text
    toast = page.locator('.rw-toast[role="status"]')
    toast.wait_for()
    assert "PROMOTE: OK" in toast.inner_text()
    settle(browser_scene)
    wait_states(page, ["done", "awaiting-approval", "pending"])


def test_promote_full_differs_visibly_from_promote(page, voila, browser_scene):  # noqa: F811
    detail = open_rollout(page, voila, "full")
    assert states(page) == ["awaiting-approval", "pending", "pending"]
    action(detail, "PROMOTE-FULL").click()
    text = confirm(page, "PROMOTE-FULL")
    assert "Skips every remaining step (from step 1 to 3)" in text
    page.locator('.rw-toast[role="status"]').wait_for()
    settle(browser_scene, times=6)
    # PROMOTE moved "web" one step; PROMOTE-FULL finished "full" outright.
    wait_states(page, ["done", "done", "done"])
    detail.locator(".rw-status", has_text="Healthy").wait_for()


def test_analysis_dialog_shows_argo_runs_and_the_kruise_placeholder(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "api")
    action(detail, "ANALYSIS").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    runs = dialog.locator(".rw-runs tbody tr[data-run]")
    assert runs.count() >= 1
    assert runs.first.locator(".rw-phase").inner_text() in ("Running", "Successful")
    dialog.get_by_role("tab", name="Metrics").click()
    metric = dialog.locator('[data-metric="success-rate"]').first
    metric.wait_for()
    assert metric.locator("svg.rw-chart circle").count() >= 1
    assert metric.locator("line.rw-cond-success").count() == 1
    assert "result[0] >= 0.95" in metric.inner_text()
    page.screenshot(path=str(ARTIFACTS / "detail-analysis.png"))
    dialog.get_by_role("button", name="Close").click()

    detail = open_rollout(page, voila, "cs")
    action(detail, "ANALYSIS").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert dialog.locator(".rw-placeholder").inner_text() == "analysis data source not configured"
    assert dialog.locator(".rw-runs tbody tr[data-run]").count() == 0
    assert dialog.locator(".rw-no-runs").inner_text() == "No analysis runs."


def test_rollback_on_a_deployment_brings_the_stable_revision_back(page, voila,  # noqa: F811
                                                                  browser_scene):  # noqa: F811
    detail = open_rollout(page, voila, "spare")
    stable = detail.locator(".rw-revision.rw-role-stable")
    assert "repo/spare:1" in stable.inner_text()
    stable.get_by_role("button", name="ROLLBACK").click()
    text = confirm(page, "ROLLBACK")
    assert "Roll back shop/spare to revision 1?" in text
    page.locator('.rw-toast[role="status"]').wait_for()
    settle(browser_scene, times=6)
    detail.locator(".rw-status", has_text="Healthy").wait_for(timeout=20_000)
    image = detail.locator('.rw-containers tr[data-container="app"] td.rw-mono')
    page.wait_for_function(
        """() => document.querySelector('.rw-containers tr[data-container="app"] td.rw-mono')
             ?.textContent === 'repo/spare:1'""")
    assert image.inner_text() == "repo/spare:1"
    serving = detail.locator(".rw-revision", has=page.locator(".rw-pod"))
    assert "repo/spare:1" in serving.first.inner_text()


def test_rollback_is_disabled_for_a_cloneset_with_its_tooltip(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "cs")
    button = detail.locator(".rw-revision").get_by_role("button", name="ROLLBACK").first
    assert button.is_disabled()
    assert button.get_attribute("title") == "rollback currently supports Deployment only"
    wrapper_title = button.evaluate("b => b.parentElement.title")
    assert wrapper_title == "rollback currently supports Deployment only"


def test_an_image_edit_is_validated_then_applied(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "img")
    detail.get_by_role("button", name="Edit the image of app").click()
    field = detail.get_by_role("textbox", name="New image for app")
    field.fill("Repo/Bad Image")
    assert "Invalid image" in detail.locator(".rw-field-error").inner_text()
    assert detail.get_by_role("button", name="Apply").is_disabled()
    field.fill("repo/img:7")
    detail.get_by_role("button", name="Apply").click()
    assert "repo/img:7" in confirm(page, "SET IMAGE")
    page.locator('.rw-toast[role="status"]').wait_for()
    page.wait_for_function(
        """() => document.querySelector('.rw-containers tr[data-container="app"] td.rw-mono')
             ?.textContent === 'repo/img:7'""", timeout=20_000)


def test_read_only_mode_sends_no_write(page, voila_factory, browser_scene):  # noqa: F811
    writes: list[tuple[str, str]] = []

    def record(event_type: str, resource: str, obj: Any) -> None:
        writes.append((event_type, resource))

    url = voila_factory(ROLLOUTS_WIDGETS_READ_ONLY="true")
    browser_scene.storage.add_listener(record)
    try:
        detail = open_rollout(page, url, "web")
        assert "Read-only" in detail.locator(".rw-actions").inner_text()
        names = detail.locator("button").all_inner_texts()
        for write in ("PROMOTE", "PROMOTE-FULL", "PAUSE", "RESTART", "ABORT", "ROLLBACK", "Edit"):
            assert write not in names
        action(detail, "ANALYSIS").click()  # reads still work
        page.get_by_role("dialog").wait_for()
        page.get_by_role("dialog").get_by_role("button", name="Close").click()
        assert writes == []
    finally:
        browser_scene.storage.remove_listener(record)


def test_dark_theme(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "api", "?theme=dark")
    background = detail.evaluate("e => getComputedStyle(e).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert sum(channels) < 200, background  # a dark --jp-layout-color1
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "detail-dark.png"), full_page=True)
    assert page.errors == []
