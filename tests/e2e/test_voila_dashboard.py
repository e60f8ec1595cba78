"""The demo's page (notebooks/dashboard.ipynb in Voila) in Debian's Chromium, against the demo
sandbox with a manual clock: the tests move sandbox time and read the result from the DOM.

The tests run in file order on one sandbox: the first watches the demo's first scheduled
release (payments/invoices, 90 sandbox seconds after the opening) go by.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.pages import wait_text

pytestmark = pytest.mark.browser

GRID_ROWS = '.rw-list [role="grid"] [role="row"][data-key]'
DEMO_ROLLOUTS = 17


def row(key: str) -> str:
    return f'.rw-list [role="grid"] [role="row"][data-key="sandbox/{key}"]'


def open_dashboard(page: Any, url: str, query: str = "") -> Any:
    page.goto(url + query)
    page.wait_for_selector(row("shop/checkout"), timeout=90_000)
    return page.locator(".rw-list")


def cell(page: Any, key: str, column: str) -> str:
    return page.locator(f"{row(key)} .rw-col-{column}").inner_text()


def shown_keys(page: Any) -> list[str]:
    return page.eval_on_selector_all(GRID_ROWS, "rows => rows.map(r => r.dataset.key)")


def test_the_list_renders_and_a_release_progresses_live(page, voila_dashboard, demo_sandbox):
    root = open_dashboard(page, voila_dashboard)
    wait_text(page, ".rw-list .rw-shown", f"{DEMO_ROLLOUTS} of {DEMO_ROLLOUTS} shown")
    assert "Live" in root.locator(".rw-conn").inner_text()
    assert cell(page, "shop/checkout", "step") == "2/6"
    assert cell(page, "payments/gateway", "images") == "ghcr.io/acme/gateway:2.0.0-rc1"
    assert cell(page, "payments/invoices", "status").endswith("Healthy")
    assert cell(page, "payments/invoices", "step") == "2/2"
    seen = []
    for _ in range(12):  # the demo's next release starts within 90 sandbox seconds
        demo_sandbox.advance(10)
        page.wait_for_timeout(300)  # the change travels: API -> watch -> kernel -> browser
        seen.append((cell(page, "payments/invoices", "step"),
                     cell(page, "payments/invoices", "status").split()[-1]))
        if ("1/2", "Paused") in seen and seen[-1] == ("2/2", "Healthy"):
            break
    assert ("1/2", "Paused") in seen and seen[-1] == ("2/2", "Healthy"), seen
    assert page.errors == []


def test_filters_search_url_sync_and_the_page_keys(page, voila_dashboard):
    root = open_dashboard(page, voila_dashboard)
    root.hover()
    page.keyboard.press("/")  # focuses the search box
    assert page.evaluate("document.activeElement.getAttribute('role')") == "searchbox"
    page.keyboard.type("team:shop")
    page.wait_for_function(f"document.querySelectorAll('{GRID_ROWS}').length === 6")
    assert {k.split("/")[1] for k in shown_keys(page)} == {"shop"}
    root.locator('[data-status="Failed"]').click()
    page.wait_for_function(f"document.querySelectorAll('{GRID_ROWS}').length === 1")
    assert shown_keys(page) == ["sandbox/shop/cart"]  # its analysis failed
    assert "q=team%3Ashop" in page.url and "status=Failed" in page.url

    page.reload()  # the URL brings the filters back
    page.wait_for_selector(row("shop/cart"), timeout=90_000)
    assert shown_keys(page) == ["sandbox/shop/cart"]
    root = page.locator(".rw-list")
    assert root.locator('[role="searchbox"]').input_value() == "team:shop"

    root.locator(".rw-shown").click()  # focus in the widget, not in an input
    page.keyboard.press("Shift+H")
    dialog = root.locator('[role="dialog"]')
    assert dialog.is_visible() and dialog.get_attribute("aria-label") == "Keyboard shortcuts"
    page.keyboard.press("Escape")
    assert dialog.is_hidden()


def test_select_then_promote_with_confirmation_and_the_step_advances(page, voila_dashboard,
                                                                   demo_sandbox):
    open_dashboard(page, voila_dashboard)
    assert cell(page, "shop/checkout", "step") == "2/6"
    page.locator(row("shop/checkout")).click()
    detail = page.locator(".rw-detail")
    detail.locator("h2.rw-title", has_text="checkout").wait_for(timeout=30_000)
    page.wait_for_function("location.search.includes('selected=sandbox%2Fshop%2Fcheckout')")
    detail.locator(".rw-actions").get_by_role("button", name="PROMOTE", exact=True).click()
    dialog = page.get_by_role("alertdialog")
    dialog.wait_for()
    assert "checkout" in dialog.inner_text()
    dialog.get_by_role("button", name="PROMOTE", exact=True).click()
    dialog.wait_for(state="detached")
    wait_text(page, '.rw-toast[role="status"]', "PROMOTE: OK")
    demo_sandbox.advance(5)  # the controller moves on: 50% then the timed pause
    page.wait_for_function(
        f"document.querySelector('{row('shop/checkout')} .rw-col-step')?.textContent === '4/6'",
        timeout=30_000)
    assert cell(page, "shop/checkout", "weight").startswith("50%")
    assert page.errors == []


def test_a_broken_watch_falls_back_to_polling_then_comes_back_live(page, voila_dashboard,
                                                                   demo_sandbox):
    root = open_dashboard(page, voila_dashboard)
    conn = ".rw-list .rw-conn"
    wait_text(page, conn, "Live")
    demo_sandbox.faults.refuse_connections(8)  # every reconnect fails meanwhile
    wait_text(page, conn, "Polling (fallback)", timeout=30_000)
    assert demo_sandbox.wait_serving(30)
    wait_text(page, conn, "Live", timeout=30_000)
    # and live indeed: a change made after the recovery reaches the page
    demo_sandbox.storage.patch("rollouts.rollouts.kruise.io", "payments", "billing",
                               {"status": {"message": "back after the outage"}},
                               subresource="status")
    page.wait_for_function(
        f"document.querySelector('{row('payments/billing')} .rw-status')?.title"
        " === 'back after the outage'", timeout=30_000)
    assert "Live" in root.locator(".rw-conn").inner_text()


def test_read_only_by_environment_variable(page, voila_read_only):
    open_dashboard(page, voila_read_only)
    page.locator(row("shop/checkout")).click()
    detail = page.locator(".rw-detail")
    detail.locator("h2.rw-title", has_text="checkout").wait_for(timeout=30_000)
    wait_text(page, ".rw-detail .rw-actions", "Read-only")
    buttons = detail.locator(".rw-actions button").all_inner_texts()
    assert not {"PROMOTE", "PROMOTE-FULL", "ABORT", "PAUSE", "RESTART"} & set(buttons), buttons
