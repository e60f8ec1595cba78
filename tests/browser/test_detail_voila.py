"""The dashboard's detail panel in a real headless Chromium (Debian's), served by Voila,
against the sandbox (manual clock: the test moves time after each action).

The scene is the demo scenario. Every action goes through the page: a click, the
confirmation dialog, the request to the kernel, ``cluster.act`` there, the API server; the
result is read back from the DOM.
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
    dash_page,
    page,
    settle,
    shared_page,
    voila_factory,
)

pytestmark = pytest.mark.browser

STEPS = '.rw-detail [role="list"].rw-steps [role="listitem"]'


@pytest.fixture(scope="module")
def voila(voila_factory) -> str:  # noqa: F811
    return voila_factory()


def open_rollout(page: Any, url: str, ref: str, query: str = "") -> Any:  # noqa: F811
    """Select ``ref`` ("namespace/name") in the dashboard's list, as a user does (loading the
    dashboard first unless this page already shows it)."""
    if not page.url.startswith(url) or query:
        page.goto(url + query)
    row = page.locator(f'[role="grid"] [role="row"][data-key="sandbox/{ref}"]')
    row.wait_for(timeout=60_000)
    row.click()
    name = ref.split("/")[1]
    page.wait_for_function(
        "n => document.querySelector('.rw-detail h2.rw-title')?.textContent === n", arg=name,
        timeout=20_000)
    return page.locator(".rw-detail")


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


def ok_toast(page: Any, title: str) -> str:  # noqa: F811
    """The text of the success toast (role="status") titled ``title``, once it shows."""
    toast = page.locator('.rw-toast[role="status"]', has_text=title).last
    toast.wait_for()
    return toast.inner_text()


def container_image(page: Any, name: str) -> str:  # noqa: F811
    return page.eval_on_selector(
        f'.rw-containers tr[data-container="{name}"] td.rw-mono', "e => e.textContent")


def test_select_a_rollout_and_see_its_steps(dash_page, voila):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "shop/catalog")
    assert states(page) == ["awaiting-approval", "pending", "pending"]
    labels = detail.locator(".rw-step-label").all_inner_texts()
    assert labels == ["Traffic: 20%, Replicas: 20%, Pause", "Replicas: 50%, Pause: 30s",
                      "Replicas: 100%"]
    assert detail.locator(".rw-strategy").inner_text() == "Partition"
    assert "Live" in detail.locator(".rw-conn").inner_text()
    assert detail.locator(".rw-revision .rw-role").all_inner_texts() == ["canary", "stable"]
    assert detail.locator(".rw-pods [role=listitem]").count() == 5
    detail.locator('[data-index="1"] .rw-raw-toggle').click()
    assert '"traffic": "20%"' in detail.locator('[data-index="1"] pre.rw-raw').inner_text()
    page.mouse.move(0, 0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "detail-light.png"), full_page=True)
    assert page.errors == []


def test_the_selection_is_in_the_url_and_comes_back_on_load(page, voila):  # noqa: F811
    open_rollout(page, voila, "payments/ledger")
    page.wait_for_function("() => location.search.includes('selected=sandbox%2Fpayments%2Fledger')")
    page.reload()  # a new kernel: the list reads the selection back, the panel opens it
    page.wait_for_function(
        "() => document.querySelector('.rw-detail h2.rw-title')?.textContent === 'ledger'",
        timeout=60_000)


def test_rollback_is_disabled_for_a_cloneset_with_its_tooltip(dash_page, voila):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "payments/ledger")
    assert detail.locator(".rw-summary").inner_text().count("CloneSet ledger") == 1
    button = detail.locator(".rw-revision").get_by_role("button", name="ROLLBACK").first
    assert button.is_disabled()
    assert button.get_attribute("title") == "rollback currently supports Deployment only"
    wrapper_title = button.evaluate("b => b.parentElement.title")
    assert wrapper_title == "rollback currently supports Deployment only"


def test_analysis_dialog_shows_argo_runs_and_the_kruise_placeholder(dash_page, voila):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "shop/cart")
    action(detail, "ANALYSIS").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    runs = dialog.locator(".rw-runs tbody tr[data-run]")
    assert runs.count() >= 1
    assert runs.first.locator(".rw-phase").inner_text() in ("Running", "Failed")
    dialog.get_by_role("tab", name="Metrics").click()
    metric = dialog.locator('[data-metric="error-rate"]').first
    metric.wait_for()
    assert metric.locator("svg.rw-chart circle").count() >= 1
    assert metric.locator(".rw-measurements tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "detail-analysis.png"))
    dialog.get_by_role("button", name="Close").click()

    detail = open_rollout(page, voila, "shop/catalog")
    action(detail, "ANALYSIS").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert dialog.locator(".rw-placeholder").inner_text() == "analysis data source not configured"
    assert dialog.locator(".rw-runs tbody tr[data-run]").count() == 0
    assert dialog.locator(".rw-no-runs").inner_text() == "No analysis runs."


def test_promote_asks_then_the_step_advances(dash_page, voila, browser_scene):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "shop/catalog")
    assert states(page) == ["awaiting-approval", "pending", "pending"]
    action(detail, "PROMOTE").click()
    text = confirm(page, "PROMOTE")
    assert "Approves step 1 of 3 (Traffic: 20%, Replicas: 20%, Pause)." in text
    assert "It moves on to step 2 of 3." in text
    ok_toast(page, "PROMOTE: OK")
    settle(browser_scene, seconds=3, times=3)  # less than step 2's 30 s pause
    page.wait_for_function(
        """() => { const s = Array.from(document.querySelectorAll(
             '.rw-detail [role=list].rw-steps [role=listitem]')).map(e => e.dataset.state);
           return s[0] === 'done' && ['current', 'paused'].includes(s[1]) && s[2] === 'pending'; }
        """, timeout=20_000)
    assert detail.locator(".rw-summary").inner_text().count("2/3") == 1


def test_promote_full_differs_visibly_from_promote(dash_page, voila, browser_scene):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "shop/checkout")
    assert states(page) == ["done", "awaiting-approval", "pending", "pending", "pending",
                            "pending"]
    action(detail, "PROMOTE-FULL").click()
    text = confirm(page, "PROMOTE-FULL")
    assert "Skips every remaining step (from step 2 to 6)" in text
    ok_toast(page, "PROMOTE-FULL: OK")
    settle(browser_scene, seconds=5, times=6)
    # PROMOTE moved catalog one step; PROMOTE-FULL finished checkout outright.
    wait_states(page, ["done"] * 6)
    detail.locator(".rw-status", has_text="Healthy").wait_for(timeout=20_000)


def test_rollback_on_a_deployment_brings_the_stable_revision_back(dash_page, voila,  # noqa: F811
                                                                  browser_scene):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "platform/config-service")
    stable = detail.locator(".rw-revision.rw-role-stable")
    assert "config-service:2.0.0" in stable.inner_text()
    assert container_image(page, "config-service").endswith("config-service:2.1.0")
    stable.get_by_role("button", name="ROLLBACK").click()
    text = confirm(page, "ROLLBACK")
    assert "Roll back platform/config-service to revision 1?" in text
    assert "rolled back Deployment config-service" in ok_toast(page, "ROLLBACK: OK")
    settle(browser_scene, seconds=5, times=6)
    detail.locator(".rw-status", has_text="Healthy").wait_for(timeout=20_000)
    page.wait_for_function(
        """() => document.querySelector('.rw-containers tr[data-container="config-service"]'
             + ' td.rw-mono')?.textContent.endsWith('config-service:2.0.0')""", timeout=20_000)
    serving = detail.locator(".rw-revision", has=page.locator(".rw-pod")).first
    assert "config-service:2.0.0" in serving.inner_text()
    assert serving.locator(".rw-pod-ready").count() == 4


def test_an_image_edit_is_validated_then_applied(dash_page, voila):  # noqa: F811
    page = dash_page  # noqa: F811  (one dashboard page for these tests)
    detail = open_rollout(page, voila, "payments/billing")
    detail.get_by_role("button", name="Edit the image of billing").click()
    field = detail.get_by_role("textbox", name="New image for billing")
    field.fill("Repo/Bad Image")
    assert "Invalid image" in detail.locator(".rw-field-error").inner_text()
    assert detail.get_by_role("button", name="Apply").is_disabled()
    field.fill("ghcr.io/acme/billing:2.3.0")
    detail.get_by_role("button", name="Apply").click()
    assert "ghcr.io/acme/billing:2.3.0" in confirm(page, "SET IMAGE")
    ok_toast(page, "SET-IMAGE: OK")
    page.wait_for_function(
        """() => document.querySelector('.rw-containers tr[data-container="billing"] td.rw-mono')
             ?.textContent === 'ghcr.io/acme/billing:2.3.0'""", timeout=20_000)


def test_read_only_mode_sends_no_write(page, voila_factory, browser_scene):  # noqa: F811
    writes: list[tuple[str, str]] = []

    def record(event_type: str, resource: str, obj: Any) -> None:
        writes.append((event_type, resource))

    url = voila_factory(ROLLOUTS_WIDGETS_READ_ONLY="true")
    browser_scene.storage.add_listener(record)
    try:
        detail = open_rollout(page, url, "shop/checkout")
        assert "Read-only" in detail.locator(".rw-actions").inner_text()
        names = detail.locator("button").all_inner_texts()
        for write in ("PROMOTE", "PROMOTE-FULL", "PAUSE", "RESTART", "ABORT", "ROLLBACK", "Edit"):
            assert write not in names
        action(detail, "ANALYSIS").click()  # reads still work
        page.get_by_role("dialog").wait_for()
        page.get_by_role("dialog").get_by_role("button", name="Close").click()
        assert writes == []  # the manual clock moves nothing: any change would be a write
    finally:
        browser_scene.storage.remove_listener(record)


def test_dark_theme(page, voila):  # noqa: F811
    detail = open_rollout(page, voila, "shop/cart", "?theme=dark")
    background = detail.evaluate("e => getComputedStyle(e).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert sum(channels) < 200, background  # a dark --jp-layout-color1
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "detail-dark.png"), full_page=True)
    assert page.errors == []
