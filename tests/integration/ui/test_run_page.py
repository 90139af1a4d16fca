"""``/runs/{id}``: one run's page, in the real server and a real Chromium.

The run every section of the page is filled from carries probes in its
name, params, tags, note, notebook snapshot, error message, git diff, data
path, package list and artifact names: the page shows them as text and no
dialog opens. Its metrics are NaN and ±inf.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from nbtrack.model import RunStatus
from nbtrack.store import open_store
from tests.helpers.ui import UiServer, Watched, screenshot
from tests.integration.ui.run_page_runs import (
    IMG,
    JS_LINK,
    SCRIPT,
    get,
    hostile_run,
    plain_run,
)

pytestmark = pytest.mark.browser


def texts(page: Any, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_text_contents()]


def test_every_section_of_a_run_shows_its_probes_as_text_and_fires_nothing(
    store_url: str, context: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_root)  # a PostgreSQL store keeps artifacts in the project
    store = open_store(store_url)
    now = time.time()
    before = plain_run(store, "before", started=now - 5000)
    run_id = hostile_run(store, started=now - 1000)
    plain_run(store, "after", started=now - 10)
    plain_run(store, "elsewhere", started=now - 3000, notebook="other.ipynb")
    store.close()
    with UiServer.start(store_url, cwd=project_root) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        response = page.goto(f"{server.base}runs/{run_id}")
        assert response is not None
        assert response.status == 200
        assert page.locator("#run-name").text_content() == f"{SCRIPT} {IMG}"
        assert page.title() == f"{SCRIPT} {IMG} · nbtrack"
        assert page.locator("#run-id").text_content() == run_id
        assert page.locator("#run-status").text_content() == "FAILED"
        assert set(texts(page, "#run-tags .tag-value")) == {IMG, SCRIPT, "\\x1b[31mred\\x1b[0m"}
        assert f"first line {SCRIPT}\nsecond line {IMG}" in page.locator("pre.note").inner_text()
        # nothing the run wrote became an element, a handler or a link
        only_ours = "[...document.scripts].every(s => s.src || s.id === 'page-data')"
        assert page.evaluate(only_ours)
        assert page.locator("[onerror], img[src='x'], a[href^='javascript']").count() == 0

        params = {r[0]: r[1:] for r in _rows(page, "table.params")}
        assert params["comment"] == [SCRIPT, "notebook"]
        assert params["link"] == [JS_LINK, "file"]
        assert params["lr"] == ["0.1", "cli"]
        assert params[IMG] == [f'{{"nested": [1, "{IMG}"]}}', "code"]

        metrics = {r[0]: r[1:] for r in _rows(page, "table.metrics")}
        # min and max with the step they were logged at
        assert metrics["loss"] == ["nan", "0.5 @1", "1 @0", "3", "2"]
        assert metrics["ratio"] == ["inf", "1 @0", "inf @1", "2", "1"]
        assert metrics["margin"] == ["-2", "-inf @1", "0 @0", "3", "2"]
        assert metrics[f"acc{SCRIPT}"] == ["0.875", "0.5 @0", "0.875 @2", "3", "2"]

        charts = page.eval_on_selector_all(
            ".nbtrack-chart", "nodes => nodes.map(n => [n.dataset.metric, n.dataset.runs])"
        )
        assert sorted(charts) == sorted(
            [[k, run_id] for k in ("loss", "ratio", "margin", f"acc{SCRIPT}")]
        )
        assert page.locator(".chart-controls").count() == 1

        assert _rows(page, "table.data-refs") == [
            [f"data/{IMG}.csv", "file", "sha256:abababababab", "2.0 KB"]
        ]
        names = [r[0] for r in _rows(page, "table.artifacts")]
        assert names == [
            "cm_epoch1.png",
            "cm_epoch2.png",
            "cm_epoch3.png",
            f"{IMG}.png",
            "figure.svg",
            "report.html",
            "notes/readme.txt",
        ]
        svg = page.locator("table.artifacts a", has_text="figure.svg")
        assert svg.get_attribute("download") == ""

        _check_figures(page, run_id)
        _check_code_git_env_events(page, run_id, before)
        page.evaluate("window.scrollTo(0, 0)")  # the section bar sticks where it was
        screenshot(page, f"run-page-{store_url.split(':')[0].split('+')[0]}")
        watched.assert_clean()
        # the secret in the remote's URL never reaches the browser
        assert "s3cr3tT0ken" not in page.content()
        # the code link opens lane compare's side-by-side diff of the two snapshots
        with page.expect_navigation():
            page.locator("#diff-link").click()
        assert page.url == f"{server.base}diff?a={run_id}&b={before}"
        assert JS_LINK in page.locator("main").inner_text()
        watched.assert_clean()


def _rows(page: Any, table: str) -> list[list[str]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        f"{table} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    return rows


def _path(url: str | None) -> str:
    """A URL without its query (an artifact's ``?v=`` digest)."""
    return (url or "").split("?")[0]


def _check_figures(page: Any, run_id: str) -> None:
    """Two series: cm_epoch1..3 paged by the slider and buttons, and the probe-named image."""
    series = page.locator("figure.figure-series")
    assert series.count() == 2
    first, second = series.nth(0), series.nth(1)
    assert first.locator(".figure-title").text_content() == "cm_epoch*.png"
    img = first.locator("img")
    assert _path(img.get_attribute("src")) == f"/runs/{run_id}/artifacts/cm_epoch3.png"
    first.locator(".figure-prev").click()
    assert _path(img.get_attribute("src")) == f"/runs/{run_id}/artifacts/cm_epoch2.png"
    assert first.locator(".figure-step").text_content() == "cm_epoch2.png (step 2, 2 of 3)"
    first.locator(".figure-slider").focus()
    page.keyboard.press("Home")
    assert _path(img.get_attribute("src")) == f"/runs/{run_id}/artifacts/cm_epoch1.png"
    first.locator(".figure-prev").click()  # already at the first: stays
    assert _path(img.get_attribute("src")) == f"/runs/{run_id}/artifacts/cm_epoch1.png"
    # the image loaded (served inline) and is the red one of epoch 1
    expect(img).to_have_js_property("naturalWidth", 64)
    assert page.url.endswith(f"/runs/{run_id}?figure=cm_epoch1.png")  # a link to this view
    shared = page.context.new_page()
    shared.goto(page.url)
    again = shared.locator("figure.figure-series").nth(0)
    first_src = _path(again.locator("img").get_attribute("src"))
    assert first_src == f"/runs/{run_id}/artifacts/cm_epoch1.png"
    assert again.locator(".figure-slider").input_value() == "0"
    assert again.locator(".figure-step").text_content() == "cm_epoch1.png (step 1, 1 of 3)"
    again.locator(".figure-next").click()
    assert shared.url.endswith("?figure=cm_epoch2.png")
    again.locator(".figure-next").click()  # the last image is the default: no query
    assert shared.url.endswith(f"/runs/{run_id}")
    shared.close()
    assert second.locator(".figure-title").text_content() == f"{IMG}.png"
    assert second.locator(".figure-slider").count() == 0
    second_img = second.locator("img")
    assert second_img.get_attribute("alt") == f"{IMG}.png"
    expect(second_img).to_have_js_property("naturalWidth", 40)


def _check_code_git_env_events(page: Any, run_id: str, before: str) -> None:
    cells = page.locator("li.cell")
    assert cells.count() == 3
    assert page.locator("#cell-1").get_attribute("class") == "cell cell-markdown"
    assert SCRIPT in page.locator("#cell-2 pre").inner_text()
    assert "cell-failed" in (page.locator("#cell-3").get_attribute("class") or "")
    assert JS_LINK in page.locator("#cell-3 pre").inner_text()
    # the code of this run against the run of the same notebook before it
    link = page.locator("#diff-link")
    assert link.get_attribute("href") == f"/diff?a={run_id}&b={before}"
    options = page.eval_on_selector_all("#diff-other option", "os => os.map(o => o.value)")
    assert len(options) == 2  # "before" and "after": the same notebook only
    assert page.locator("#diff-other").input_value() == before

    git = page.locator("#git")
    assert "feature/" + SCRIPT in git.inner_text()
    assert "https://ana:***@git.example.com/team/repo.git" in git.inner_text()
    git.locator("details.git-diff summary").click()
    diff = git.locator("pre.diff").inner_text()
    assert f"+lr = 0.1  # {SCRIPT}" in diff
    assert "truncated" in git.locator("summary").inner_text()
    assert git.locator("pre.diff .add").count() == 1  # "+++ b/train.py" is a file line
    assert git.locator("pre.diff .del").count() == 1

    env = page.locator("#environment")
    assert "3 packages installed" in env.inner_text()
    env.locator("summary").click()
    assert [r[0] for r in _rows(page, "#environment table")] == ["evil" + SCRIPT, "numpy", "torch"]

    events = _rows(page, "table.events")
    assert len(events) == 1
    assert events[0][1:3] == ["cell_error", "cell 3"]
    assert f"ValueError: {JS_LINK}{IMG}" in events[0][3]
    assert JS_LINK in page.locator("table.events pre.event-code").inner_text()
    assert page.locator("table.events a").get_attribute("href") == "#cell-3"


def test_bad_urls_get_one_sentence_and_a_prefix_redirects_to_the_full_id(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    run_id = plain_run(store, "only", started=time.time() - 100, metrics=[1.0, 0.5])
    bare = plain_run(store, None, started=time.time() - 50, notebook=None)
    deleted = plain_run(store, "gone", started=time.time() - 40)
    store.delete_run(deleted, time.time())
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        status, _, body = get(server, "/runs/0123456789abcdef")
        assert status == 404
        assert "0123456789abcdef" in body
        assert "Traceback" not in body

        status, headers, _ = get(server, f"/runs/{run_id[:6]}?metric=loss&x=time")
        assert status == 307
        assert headers["location"] == f"/runs/{run_id}?metric=loss&x=time"

        status, _, body = get(server, f"/runs/{run_id}?x=sideways")
        assert status == 400
        assert "Unknown x axis &#39;sideways&#39;" in body

        status, _, body = get(server, f"/runs/{run_id}?smooth=1.5")
        assert status == 400
        assert "not &#39;1.5&#39;" in body

        status, _, body = get(server, f"/runs/{run_id}?metric=nope&metric=loss")
        assert status == 200
        assert "has no metric &#39;nope&#39;; it has &#39;loss&#39;." in body
        assert 'data-metric="loss"' in body
        assert 'data-metric="nope"' not in body

        status, _, body = get(server, f"/runs/{deleted}")
        assert status == 200
        assert f"<code>nbtrack restore {deleted[:8]}</code> brings it back" in body

        # a run with nothing but an id still renders every section
        status, _, body = get(server, f"/runs/{bare}")
        assert status == 200
        for empty in ("No params logged.", "No metrics logged.", "No artifacts logged."):
            assert empty in body
        assert "No events." in body


def test_a_running_run_updates_its_status_and_last_values_without_a_reload(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    started = time.time() - 30
    run_id = plain_run(store, "training", started=started, metrics=[1.0, 0.8], status=None)
    store.heartbeat(run_id, time.time())
    fresh = plain_run(store, "just started", started=time.time(), status=None)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}runs/{run_id}")
        assert page.locator("#run-status").text_content() == "RUNNING"
        loss = page.locator("#metrics-table tr[data-key='loss']")
        assert loss.locator("td.last").text_content() == "0.8"
        page.evaluate("window.loadedOnce = true")  # gone if the page reloads

        store.log_metrics(run_id, [("loss", 0.25, 2, time.time()), ("acc", 0.5, 2, time.time())])
        store.heartbeat(run_id, time.time())
        expect(loss.locator("td.last")).to_have_text("0.25")
        assert loss.locator("td.count").text_content() == "3"
        assert loss.locator("td.last-step").text_content() == "2"
        acc = page.locator("#metrics-table tr[data-key='acc']")  # a metric that appeared
        assert acc.locator("td.last").text_content() == "0.5"

        store.log_metrics(run_id, [("loss", float("nan"), 3, time.time())])
        store.end_run(run_id, RunStatus.FINISHED, time.time())
        expect(page.locator("#run-status")).to_have_text("FINISHED")
        expect(page.locator("#live-notice")).to_be_visible()
        assert loss.locator("td.last").text_content() == "nan"
        assert "The run ended: FINISHED." in page.locator("#live-notice").inner_text()
        assert page.locator("#fact-ended").text_content() != "—"
        assert page.locator("#metrics-count").text_content() == "(2)"
        assert page.locator("#fact-duration").text_content() != "30.0s"  # to the end now
        assert page.evaluate("window.loadedOnce") is True
        screenshot(page, "run-page-live-finished")
        watched.assert_clean()

        # a run that has logged nothing yet grows its metric table as it logs
        page.goto(f"{server.base}runs/{fresh}")
        expect(page.locator("#no-metrics")).to_be_visible()
        assert page.locator("#metrics-table").is_hidden()
        store.log_metrics(fresh, [("loss", 2.5, 0, time.time())])
        store.heartbeat(fresh, time.time())
        expect(page.locator("#metrics-table tr[data-key='loss'] td.last")).to_have_text("2.5")
        assert page.locator("#no-metrics").is_hidden()
        assert page.locator("#metrics-count").text_content() == "(1)"
        watched.assert_clean()
    store.close()


def test_the_edit_controls_are_on_the_page_only_with_allow_edit(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    run_id = plain_run(store, "editable", started=time.time() - 100)
    store.close()
    for args, shown in (((), False), (("--allow-edit",), True)):
        with UiServer.start(sqlite_url, *args, cwd=tmp_path) as server:
            status, _, body = get(server, f"/runs/{run_id}")
            assert status == 200
            assert ('id="edit-run"' in body) is shown
            assert ('href="#edit-run"' in body) is shown
