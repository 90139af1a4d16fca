"""UI tests: a real ``nbtrack ui`` server and Debian's Chromium driven by Playwright.

``chromium`` is one browser per test module; each test opens fresh
contexts from it (``context``), so cookies and storage never carry over
between tests (a "fresh browser context" is what a teammate opening a link
has).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers.ui import chromium_browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright, for one test module.

    Not for the whole session: Playwright's sync API keeps an asyncio loop running
    in the thread while it is open, and a unit test that later runs
    ``asyncio.run`` in the same xdist worker would fail on it.
    """
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies), clipboard allowed, 1280x900."""
    opened = chromium.new_context(
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    opened.set_default_timeout(20_000)
    try:
        yield opened
    finally:
        opened.close()
