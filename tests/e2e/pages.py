"""Small page helpers shared by the end-to-end browser tests."""

from __future__ import annotations

from typing import Any


def wait_text(page: Any, selector: str, text: str, timeout: float = 30_000) -> None:
    """Wait until the first element matching ``selector`` contains ``text``."""
    page.wait_for_function(
        "([s, t]) => (document.querySelector(s)?.textContent || '').includes(t)",
        arg=[selector, text], timeout=timeout)
