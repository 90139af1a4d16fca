"""The run page's Lineage section: upstream runs as links with the data linking them, downstream.

A real ``nbtrack ui`` server and Debian's Chromium; run names carry markup probes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import open_store
from tests.helpers.lineage import make_run, sha
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"


def _rows(page: Any, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )


def test_lineage_section_links_upstream_and_downstream_runs(
    sqlite_url: str, context: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_root)
    store = open_store(sqlite_url)
    prepare = make_run(store, f"prepare {IMG}", makes={"prepared.csv": b"p"})
    train = make_run(store, "train", reads=[("data/in.csv", b"p")], makes={"model.pkl": b"m"})
    evaluate = make_run(store, "eval", reads=[("models/model.pkl", b"m")])
    store.close()

    with UiServer.start(sqlite_url, cwd=project_root) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        response = page.goto(f"{server.base}runs/{train}#lineage")
        assert response is not None
        assert response.status == 200

        up = _rows(page, "#lineage table.upstream")
        down = _rows(page, "#lineage table.downstream")
        assert up == [
            [f"{prepare[:8]} prepare {IMG}", "FINISHED", "prepared.csv", "data/in.csv",
             sha(b"p")[:19]]
        ]  # fmt: skip
        assert down == [
            [f"{evaluate[:8]} eval", "FINISHED", "model.pkl", "models/model.pkl", sha(b"m")[:19]]
        ]
        links = page.eval_on_selector_all(
            "#lineage a[href^='/runs/']", "a => a.map(x => x.getAttribute('href'))"
        )
        assert links == [f"/runs/{prepare}", f"/runs/{evaluate}"]
        page.locator("#lineage").scroll_into_view_if_needed()
        screenshot(page, "run-page-lineage")
        page.click(f"#lineage a[href='/runs/{prepare}']")
        page.wait_for_url(f"**/runs/{prepare}")
        assert (
            "No run of this store made the data this run read."
            in page.locator("#lineage").inner_text()
        )
        watched.assert_clean()
