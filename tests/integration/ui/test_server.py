"""``nbtrack ui`` as a user starts it: the real server, a real browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser


def test_the_runs_page_opens_in_chromium_with_nothing_from_another_origin(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    add_run(store, "first", params={"lr": 0.1}, metrics={"loss": [1.0, 0.5]})
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert "?token=" not in server.url  # loopback: no token
        watched = Watched.open(context, server.base)
        response = watched.page.goto(server.url)
        assert response is not None
        assert response.status == 200
        assert watched.page.title() == "Runs · nbtrack"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        screenshot(watched.page, "server-runs-page")
        watched.assert_clean()
