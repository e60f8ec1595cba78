"""RolloutList in a real headless Chromium (Debian's), served by Voila, against the sandbox.

The test process starts a bare sandbox API server (no controllers: rows change only when the
test writes), then Voila serving tests/browser/notebooks/list.ipynb, which connects to the
sandbox through the kubeconfig path in ROLLOUTS_WIDGETS_KUBECONFIG. Screenshots of failing tests are
kept in test-artifacts/ (plus one light and one dark screenshot of the list, to look at).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rollouts_widgets as rw
from tests.browser import detail_fixtures as shared
from tests.widgets.test_list_live import kruise_rollout, namespace

# Chromium, the page (CDN routes aborted, failure screenshots) and helpers: shared with the
# detail panel's browser tests.
browser, page = shared.browser, shared.page
ARTIFACTS, free_port = shared.ARTIFACTS, shared.free_port

pytestmark = pytest.mark.browser

NOTEBOOK = Path(__file__).parent / "notebooks" / "list.ipynb"
XSS = "<img src=x onerror=window.__xss=1>"
KRUISE = "rollouts.rollouts.kruise.io"
GRID_ROWS = '[role="grid"] [role="row"][data-key]'


def argo_rollout(name: str, ns: str, image: str, message: str) -> dict[str, Any]:
    """A degraded Argo canary whose image and message hold markup (label values cannot:
    the API server refuses them, as Kubernetes does)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": ns, "labels": {"note": "markup"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
        },
        "status": {"phase": "Degraded", "message": message, "replicas": 2, "readyReplicas": 1,
                   "currentStepIndex": 1},
    }


ROWS = {
    "sandbox/shop/cart": kruise_rollout("cart", "shop", team="basket"),
    "sandbox/shop/checkout": kruise_rollout("checkout", "shop", team="payments"),
    "sandbox/search/indexer": kruise_rollout("indexer", "search", "Disabled", team="search"),
    "sandbox/web/frontend": argo_rollout("frontend", "web", XSS, XSS),
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[rw.Sandbox]:
    sb = rw.Sandbox(controllers=False).start()
    sb.apply([namespace(n) for n in ("shop", "search", "web")])
    sb.apply(list(ROWS.values()))
    yield sb
    sb.stop()


@pytest.fixture(scope="module")
def voila(sandbox, tmp_path_factory) -> Iterator[str]:
    """Voila serving the list notebook; Jupyter's own directories live in a temp dir."""
    proc, url = shared.start_voila(sandbox, tmp_path_factory.mktemp("jupyter"), notebook=NOTEBOOK)
    yield url
    shared.stop_voila(proc)


def open_list(page: Any, url: str, query: str = "") -> Any:
    page.goto(url + query)
    page.wait_for_selector(f'{GRID_ROWS}[data-key="sandbox/shop/cart"]', timeout=60_000)
    return page.locator(".rw-list")


def shown_keys(page: Any) -> list[str]:
    return page.eval_on_selector_all(GRID_ROWS, "rows => rows.map(r => r.dataset.key)")


def test_rows_render_with_accessible_markup(page, voila):
    root = open_list(page, voila)
    page.wait_for_function("document.querySelectorAll('[role=grid] [data-key]').length === 4")
    assert shown_keys(page) == sorted(ROWS)
    assert root.locator(".rw-shown").inner_text() == "4 of 4 shown"
    assert root.get_attribute("data-lm-suppress-shortcuts") == "true"
    assert root.locator('[role="searchbox"]').count() == 1
    assert root.locator('[role="dialog"]').is_hidden()
    assert root.locator('[data-status="Failed"]').get_attribute("aria-pressed") == "false"
    assert root.locator('[data-status="Failed"] .rw-count').inner_text() == "1"
    # the watch may confirm itself a moment after the first listing
    page.wait_for_function("document.querySelector('.rw-conn').textContent.includes('Live')")
    row = root.locator('[data-key="sandbox/web/frontend"]')
    assert row.locator(".rw-col-step").inner_text() == "2/2"
    assert row.locator(".rw-col-weight").inner_text() == "20% / 0%"  # set / actual
    assert row.locator(".rw-col-replicas").inner_text() == "1/2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "list-light.png"))
    assert page.errors == []


def test_markup_from_the_cluster_shows_as_text_and_runs_nothing(page, voila):
    root = open_list(page, voila)
    row = root.locator('[data-key="sandbox/web/frontend"]')
    row.wait_for()
    assert row.locator(".rw-col-images").inner_text() == XSS
    assert row.locator(".rw-status").get_attribute("title") == XSS
    assert root.locator("img").count() == 0
    page.locator('[role="searchbox"]').fill(f'"{XSS}"')  # an image search, quoted
    page.wait_for_function("document.querySelectorAll('[role=grid] [data-key]').length === 1")
    assert page.evaluate("window.__xss") is None


def test_a_sandbox_change_appears_in_the_dom(page, voila, sandbox):
    root = open_list(page, voila)
    status = root.locator('[data-key="sandbox/shop/checkout"] .rw-col-status')
    assert status.inner_text().endswith("Healthy")
    sandbox.storage.patch(KRUISE, "shop", "checkout", {"status": {"phase": "Disabled"}},
                          subresource="status")
    try:
        page.wait_for_function(
            """() => document.querySelector('[data-key="sandbox/shop/checkout"] .rw-col-status')
                 ?.textContent.endsWith('Disabled')""", timeout=15_000)
        assert root.locator('[data-status="Disabled"] .rw-count').inner_text() == "2"
    finally:
        sandbox.storage.patch(KRUISE, "shop", "checkout", {"status": {"phase": "Healthy"}},
                              subresource="status")


def test_filters_combine_and_sync_to_the_url(page, voila):
    root = open_list(page, voila)
    search = root.locator('[role="searchbox"]')
    search.fill("team:pay, indexer")
    page.wait_for_function("document.querySelectorAll('[role=grid] [data-key]').length === 2")
    assert shown_keys(page) == ["sandbox/search/indexer", "sandbox/shop/checkout"]
    disabled = root.locator('[data-status="Disabled"]')
    disabled.click()
    assert disabled.get_attribute("aria-pressed") == "true"
    assert shown_keys(page) == ["sandbox/search/indexer"]
    assert root.locator(".rw-shown").inner_text() == "1 of 4 shown"
    attention = root.locator(".rw-attention-toggle")
    attention.click()
    assert attention.get_attribute("aria-pressed") == "true"
    assert shown_keys(page) == []
    assert "No rollout matches" in root.locator(".rw-empty").inner_text()
    assert "q=team%3Apay%2C+indexer" in page.url and "status=Disabled" in page.url
    assert "attention=1" in page.url

    page.reload()  # the URL brings the filters back
    page.wait_for_selector(".rw-empty:not([hidden])", timeout=60_000)
    root = page.locator(".rw-list")
    assert root.locator('[role="searchbox"]').input_value() == "team:pay, indexer"
    assert root.locator('[data-status="Disabled"]').get_attribute("aria-pressed") == "true"
    root.locator(".rw-empty button", has_text="Clear filters").click()
    page.wait_for_function("document.querySelectorAll('[role=grid] [data-key]').length === 4")
    assert "q=" not in page.url and "status=" not in page.url


def test_favourites_survive_a_reload_and_filter(page, voila):
    root = open_list(page, voila)
    star = root.locator('[data-key="sandbox/shop/cart"] [data-action="favorite"]')
    assert star.get_attribute("aria-label") == "Favourite shop/cart"
    star.click()
    page.wait_for_function(
        """() => document.querySelector('[data-key="sandbox/shop/cart"] .rw-star')
             .getAttribute('aria-pressed') === 'true'""")
    stored = page.evaluate("localStorage.getItem('rollouts-widgets:favorites')")
    assert stored == '["sandbox/shop/cart"]'
    page.reload()
    root = open_list(page, voila)
    assert root.locator('[data-key="sandbox/shop/cart"] .rw-star').get_attribute(
        "aria-pressed") == "true"
    root.locator(".rw-fav-toggle").click()
    assert shown_keys(page) == ["sandbox/shop/cart"]
    assert "favorites=1" in page.url


def test_a_selection_in_the_url_is_restored_on_load(page, voila):
    root = open_list(page, voila, "?selected=sandbox%2Fsearch%2Findexer&sort=-name")
    page.wait_for_selector('.rw-open[data-key="sandbox/search/indexer"]', timeout=30_000)
    assert root.locator('[aria-selected="true"]').get_attribute("data-key") == (
        "sandbox/search/indexer")
    assert shown_keys(page) == [  # -name
        "sandbox/search/indexer", "sandbox/web/frontend", "sandbox/shop/checkout",
        "sandbox/shop/cart"]
    assert root.locator(".rw-alert").is_hidden()


def test_sort_by_header(page, voila):
    root = open_list(page, voila)
    root.locator('[data-sort="status"]').click()
    assert shown_keys(page)[:2] == ["sandbox/web/frontend", "sandbox/shop/cart"]
    assert root.locator('[role="columnheader"].rw-col-status').get_attribute(
        "aria-sort") == "ascending"
    assert "sort=status" in page.url


def test_keyboard_shortcuts_and_typing_in_the_search_box(page, voila):
    root = open_list(page, voila)
    root.hover()
    page.keyboard.press("/")
    search = root.locator('[role="searchbox"]')
    assert page.evaluate("document.activeElement.getAttribute('role')") == "searchbox"
    page.keyboard.type("cHeck")  # Shift+H inside the search box types an H
    assert search.input_value() == "cHeck"
    assert root.locator('[role="dialog"]').is_hidden()
    page.wait_for_function("document.querySelectorAll('[role=grid] [data-key]').length === 1")
    search.fill("")
    root.locator(".rw-shown").click()  # focus leaves the input, stays in the widget
    page.keyboard.press("Shift+H")
    dialog = root.locator('[role="dialog"]')
    assert dialog.is_visible() and dialog.get_attribute("aria-label") == "Keyboard shortcuts"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "list-help.png"))
    page.keyboard.press("Escape")
    assert dialog.is_hidden()

    root.hover()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert root.locator('[aria-selected="true"]').get_attribute("data-key") == "sandbox/shop/cart"
    page.keyboard.press("Enter")  # Python validates it, sets `selected`, the URL follows
    page.wait_for_function("location.search.includes('selected=sandbox%2Fshop%2Fcart')")
    assert root.locator(".rw-open").get_attribute("data-key") == "sandbox/shop/cart"
    page.keyboard.press("Escape")
    page.wait_for_function("!location.search.includes('selected=')")


def test_dark_theme_uses_jupyter_colours(page, voila):
    open_list(page, voila, "?theme=dark")
    colours = page.evaluate("""() => {
        const s = getComputedStyle(document.querySelector('.rw-root'));
        return [s.backgroundColor, s.color];
    }""")

    def luminance(css: str) -> float:
        r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
        return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255

    background, text = (luminance(c) for c in colours)
    assert background < 0.3 and text > 0.6, colours
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "list-dark.png"))
