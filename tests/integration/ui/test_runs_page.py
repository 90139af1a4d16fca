"""The runs page ``/`` in Chromium: the real ``nbtrack ui`` over a real store.

Load, filter (good and bad), sort by clicking, the column picker, select two
and Compare, Copy link opened in a fresh context, probes that must stay text,
and a RUNNING run that finishes (and one that crashes) while the page is open.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from nbtrack.model import RunStatus
from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

PROBES = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "href": "javascript:alert(1)",
    "escape": "\x1b[31mred\x1b[0m",
}
#: the console line Chromium writes for a page answered with 400 (a bad filter's page)
BAD_REQUEST = "status of 400"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UiServer, dict[str, str]]]:
    """One server over a store of five runs (one full of probes), for the read-only tests."""
    root = tmp_path_factory.mktemp("runs-page")
    url = f"sqlite:///{root / 'runs.db'}"
    store = open_store(url)
    ids = {
        name: add_run(
            store,
            name,
            params={"lr": lr, "batch": 32, "optimizer": opt},
            metrics={"val_acc": [0.1, acc], "loss": [1.0, 1 - acc]},
        )
        for name, lr, opt, acc in [
            ("adam-small", 0.001, "adam", 0.81),
            ("sgd-big", 0.1, "sgd", 0.62),
            ("adam-big", 0.01, "adam", 0.93),
            ("sgd-small", 0.05, "sgd", math.nan),
        ]
    }
    ids["probe"] = add_run(
        store,
        PROBES["script"],
        params={"lr": 0.5, PROBES["img"]: PROBES["href"], "optimizer": PROBES["escape"]},
        metrics={"val_acc": [math.inf], PROBES["img"]: [1.0]},
        notebook=PROBES["img"] + ".ipynb",
    )
    store.set_tags(ids["probe"], {PROBES["img"]: PROBES["script"], "link": PROBES["href"]})
    store.set_tags(ids["adam-big"], {"team": "vision"})
    store.close()
    with UiServer.start(url, cwd=root) as server:
        yield server, ids


def _names(page: Any) -> list[str]:
    return [str(n) for n in page.locator("#runs-table tbody td.name").all_inner_texts()]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_the_table_shows_every_run_and_probes_stay_text(seeded: Any, context: Any) -> None:
    server, ids = seeded
    watched = Watched.open(context, server.base)
    response = watched.page.goto(server.base)
    assert response.status == 200
    page = watched.page
    assert _names(page) == [PROBES["script"], "sgd-small", "adam-big", "sgd-big", "adam-small"]
    heads = page.locator("#runs-table thead th").all_inner_texts()
    assert [h.strip() for h in heads[1:9]] == [
        "id", "name", "status", "notebook", "started ▼", "duration", "tags", "params.lr",
    ]  # fmt: skip
    assert "metrics.val_acc" in [h.strip() for h in heads]
    probe = page.locator(f'tr[data-run="{ids["probe"]}"]')
    assert probe.locator("td.name").inner_text() == PROBES["script"]
    assert probe.locator("td.notebook").inner_text() == PROBES["img"] + ".ipynb"
    assert PROBES["img"] + "=" + PROBES["script"] in probe.locator("td.tags").inner_text()
    assert "\\x1b[31mred" in probe.inner_text()  # a terminal escape shows as text
    assert probe.locator("td[data-metric='val_acc']").inner_text() == "inf"
    nan_row = page.locator(f'tr[data-run="{ids["sgd-small"]}"]')
    assert nan_row.locator("td[data-metric='val_acc']").inner_text() == "nan"
    # no link anywhere goes where a run's text says: ids link to /runs/<full id>
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert [h for h in hrefs if not h.startswith("/")] == []  # only paths of this server
    assert page.locator(f'a[href="/runs/{ids["probe"]}"]').inner_text() == ids["probe"][:8]
    assert page.locator("img").count() == 0
    assert page.locator("#pager-text").inner_text() == "Runs 1–5 of 5"
    screenshot(page, "runs-page")
    watched.assert_clean()


def test_a_filter_narrows_the_table_and_a_bad_one_names_its_position(
    seeded: Any, context: Any
) -> None:
    server, _ = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base + "?sort=name")
    page.fill("#where", "params.optimizer = adam and metrics.val_acc > 0.5")
    page.press("#where", "Enter")
    page.wait_for_url("**where=*")
    assert _names(page) == ["adam-big", "adam-small"]  # the sort kept
    assert _query(page.url)["sort"] == ["name"]
    assert page.locator("#pager-text").inner_text() == "Runs 1–2 of 2"
    screenshot(page, "runs-filtered")
    page.fill("#where", "params.lr < and status = FINISHED")
    with page.expect_navigation() as navigation:
        page.press("#where", "Enter")
    assert navigation.value.status == 400
    error = page.locator("#runs-error")
    assert error.inner_text() == (
        "Cannot read --where 'params.lr < and status = FINISHED' at position 13: "
        "expected a value after params.lr <, found 'and'."
    )
    assert page.input_value("#where") == "params.lr < and status = FINISHED"  # kept to fix it
    assert page.locator("#runs-table").count() == 0
    screenshot(page, "runs-bad-filter")
    page.fill("#where", "status = FINISHED and params.lr >= 0.05")
    page.press("#where", "Enter")
    page.wait_for_selector("#runs-table")
    assert _names(page) == [PROBES["script"], "sgd-big", "sgd-small"]
    watched.assert_clean(allowed_errors=[BAD_REQUEST])


def test_clicking_a_header_sorts_on_the_server_and_again_reverses(
    seeded: Any, context: Any
) -> None:
    server, _ = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base)
    page.click("#runs-table thead a:text-is('params.lr')")
    page.wait_for_url("**sort=params.lr")
    assert _names(page) == ["adam-small", "adam-big", "sgd-small", "sgd-big", PROBES["script"]]
    assert page.locator("th[aria-sort='ascending']").inner_text().strip() == "params.lr ▲"
    page.click("#runs-table thead a:has-text('params.lr')")
    page.wait_for_url("**sort=-params.lr")
    assert _names(page) == [PROBES["script"], "sgd-big", "sgd-small", "adam-big", "adam-small"]
    assert page.locator("th[aria-sort='descending']").inner_text().strip() == "params.lr ▼"
    page.click("#runs-table thead a:text-is('name')")
    page.wait_for_url("**sort=name")
    assert _names(page) == [PROBES["script"], "adam-big", "adam-small", "sgd-big", "sgd-small"]
    screenshot(page, "runs-sorted")
    watched.assert_clean()


def test_the_column_picker_shows_the_keys_and_puts_the_choice_in_the_url(
    seeded: Any, context: Any
) -> None:
    server, ids = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base + "?where=status%20%3D%20FINISHED")
    page.click("#column-picker summary")
    picker = page.locator("#picker-form")
    labels = [t.strip() for t in picker.locator("label").all_inner_texts()]
    assert labels == [
        PROBES["img"], "batch", "lr", "optimizer",  # params
        PROBES["img"], "loss", "val_acc",  # metrics
        PROBES["img"], "link", "team",  # tags
    ]  # fmt: skip
    screenshot(page, "runs-column-picker")
    for box in picker.locator("input[type='checkbox']").all():
        box.uncheck()
    picker.locator("input[value='params.batch']").check()
    picker.locator("input[value='tags.team']").check()
    picker.locator("input[value='metrics.loss']").check()
    picker.locator("button[type='submit']").click()
    page.wait_for_url("**columns=*")
    query = _query(page.url)
    assert query["columns"] == ["params.batch,metrics.loss,tags.team"]
    assert query["where"] == ["status = FINISHED"]
    heads = [h.strip() for h in page.locator("#runs-table thead th").all_inner_texts()]
    assert heads[-3:] == ["params.batch", "metrics.loss", "tags.team"]
    adam_big = page.locator(f'tr[data-run="{ids["adam-big"]}"] td').all_inner_texts()
    assert adam_big[-3:] == ["32", "0.07", "vision"]
    probe = page.locator(f'tr[data-run="{ids["probe"]}"] td').all_inner_texts()
    assert probe[-3:] == ["", "", ""]  # keys it does not have: empty cells
    watched.assert_clean()


def test_select_two_and_compare_opens_the_comparison_of_their_full_ids(
    seeded: Any, context: Any
) -> None:
    server, ids = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base)
    assert page.locator("#compare-button").is_disabled()
    page.check(f"input.select-run[value='{ids['sgd-big']}']")
    assert page.locator("#selection-count").inner_text() == (
        "1 selected: select one more to compare"
    )
    page.check(f"input.select-run[value='{ids['adam-small']}']")
    assert page.locator("#selection-count").inner_text() == "2 selected"
    assert _query(page.url)["selected"] == [ids["sgd-big"], ids["adam-small"]]
    screenshot(page, "runs-selected")
    watched.assert_clean()  # the runs page's part (the compare page has its own tests)
    page.click("#compare-button")
    page.wait_for_url("**/compare?*")
    assert urlsplit(page.url).path == "/compare"
    assert _query(page.url) == {
        "run": [ids["sgd-big"], ids["adam-small"]],
        "baseline": [ids["sgd-big"]],  # the first one picked
    }


def test_copy_link_opens_the_same_view_in_a_fresh_context(
    seeded: Any, context: Any, chromium: Any
) -> None:
    server, ids = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base)
    page.fill("#where", "params.lr < 0.2")
    page.press("#where", "Enter")
    page.wait_for_url("**where=*")
    page.click("#runs-table thead a:text-is('metrics.val_acc')")
    page.wait_for_url("**sort=metrics.val_acc")
    page.check(f"input.select-run[value='{ids['adam-big']}']")
    page.check(f"input.select-run[value='{ids['sgd-big']}']")
    # a selection survives a later sort: the header links carry it
    page.click("#runs-table thead a:has-text('metrics.val_acc')")
    page.wait_for_url("**sort=-metrics.val_acc*")
    # ... and so do the filter form and the column picker (their hidden fields)
    page.fill("#where", "params.lr <= 0.2")
    page.press("#where", "Enter")
    page.wait_for_url("**where=params.lr+%3C%3D*")
    assert _query(page.url)["selected"] == [ids["adam-big"], ids["sgd-big"]]
    page.click("#copy-link")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.url
    assert _query(copied) == {
        "where": ["params.lr <= 0.2"],
        "sort": ["-metrics.val_acc"],
        "selected": [ids["adam-big"], ids["sgd-big"]],
    }
    seen = {
        "names": _names(page),
        "heads": page.locator("#runs-table thead th").all_inner_texts(),
        "checked": page.eval_on_selector_all(
            "input.select-run:checked", "els => els.map(e => e.value)"
        ),
    }
    fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        other = Watched.open(fresh, server.base)
        other.page.goto(copied)
        assert (
            _names(other.page)
            == seen["names"]
            == ["adam-big", "adam-small", "sgd-big", "sgd-small"]
        )
        assert other.page.locator("#runs-table thead th").all_inner_texts() == seen["heads"]
        checked = other.page.eval_on_selector_all(
            "input.select-run:checked", "els => els.map(e => e.value)"
        )
        assert (
            sorted(checked) == sorted(seen["checked"]) == sorted([ids["adam-big"], ids["sgd-big"]])
        )
        assert other.page.input_value("#where") == "params.lr <= 0.2"
        assert other.page.locator("#selection-count").inner_text() == "2 selected"
        screenshot(other.page, "runs-shared-link")
        other.assert_clean()
    finally:
        fresh.close()
    watched.assert_clean()


def test_an_empty_store_says_how_to_log_a_first_run(context: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(url).close()
    with UiServer.start(url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        watched.page.goto(server.base)
        empty = watched.page.locator("#empty-state")
        assert "No runs yet in" in empty.inner_text()
        assert "nbtrack.start_run()" in empty.inner_text()
        assert watched.page.locator("#runs-table").count() == 0
        screenshot(watched.page, "runs-empty")
        watched.assert_clean()


def test_running_runs_turn_finished_and_crashed_without_a_reload(
    context: Any, project_root: Path
) -> None:
    # a heartbeat older than 8 s reads CRASHED, as `nbtrack runs` shows it
    (project_root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.nbtrack]\nheartbeat_timeout = 8\n'
    )
    url = f"sqlite:///{project_root / 'runs.db'}"
    store = open_store(url)
    add_run(store, "done", metrics={"loss": [0.9]})
    training, stalled = "1" * 32, "2" * 32
    now = time.time()
    store.create_run(run_id=training, name="training", started_at=now)
    store.heartbeat(training, now, [("loss", 0.8, 0, now)])
    store.create_run(run_id=stalled, name="stalled", started_at=now)
    with UiServer.start(url, cwd=project_root) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        store.heartbeat(stalled, time.time())  # its last beat: CRASHED 8 s from now
        page.goto(server.base)
        row = page.locator(f'tr[data-run="{training}"]')
        assert row.locator(".status-text").inner_text() == "RUNNING"
        stalled_status = page.locator(f'tr[data-run="{stalled}"] .status-text')
        assert stalled_status.inner_text() == "RUNNING"
        assert row.locator("td[data-metric='loss']").inner_text() == "0.8"
        page.evaluate("window.notReloaded = true")
        store.heartbeat(training, time.time(), [("loss", 0.25, 1, time.time())])
        expect(row.locator("td[data-metric='loss']")).to_have_text("0.25", timeout=15_000)
        assert page.locator("#live-note").inner_text().startswith("Live: ")
        store.end_run(training, RunStatus.FINISHED, time.time())
        expect(row.locator(".status-text")).to_have_text("FINISHED", timeout=15_000)
        expect(row).to_have_attribute("data-status", "FINISHED")
        expect(stalled_status).to_have_text("CRASHED", timeout=25_000)
        expect(stalled_status).to_have_class("status-text status-CRASHED")
        # a late heartbeat is not the end: the stalled run is still watched, and finishes
        store.heartbeat(stalled, time.time())
        expect(stalled_status).to_have_text("RUNNING", timeout=15_000)
        store.end_run(stalled, RunStatus.FAILED, time.time())
        expect(stalled_status).to_have_text("FAILED", timeout=15_000)
        expect(page.locator("#live-note")).to_be_hidden()  # nothing left to watch
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "runs-live")
        watched.assert_clean()
    store.close()


@pytest.mark.postgres
def test_the_runs_page_on_postgresql_filters_sorts_and_pages(
    pg_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(pg_url)
    ids = [add_run(store, f"r{i:03d}", params={"i": i, "even": i % 2 == 0}) for i in range(150)]
    store.close()
    with UiServer.start(pg_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(server.base + "?where=params.even%20%3D%20true&sort=-params.i")
        assert page.locator("#pager-text").inner_text() == "Runs 1–75 of 75"
        assert _names(page)[:3] == ["r148", "r146", "r144"]
        page.goto(server.base)
        assert page.locator("#pager-text").inner_text() == "Runs 1–100 of 150 (page 1 of 2)"
        assert page.locator("#pager-text").is_visible()  # below the table's own scroll box
        screenshot(page, "runs-page-of-100-postgres")
        page.click("a[rel='next']")  # a keyset cursor, not an offset
        page.wait_for_url("**/?after=*&start=101")
        assert page.locator("#pager-text").inner_text() == "Runs 101–150 of 150 (page 2 of 2)"
        assert (
            page.eval_on_selector_all("tr[data-run]", "els => els.map(e => e.dataset.run)")
            == ids[::-1][100:]
        )
        page.click("a[rel='prev']")
        page.wait_for_url(server.base)
        assert len(_names(page)) == 100
        watched.assert_clean()


def test_probes_in_the_url_itself_stay_text(seeded: Any, context: Any) -> None:
    server, _ = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    for query in (
        {"where": f"name = '{PROBES['script']}'"},
        {"where": PROBES["img"]},  # not a valid expression: shown in the error
        {"sort": PROBES["img"]},
        {"columns": f"params.{PROBES['img']}", "selected": PROBES["script"]},
    ):
        response = page.goto(server.base + "?" + urlencode(query))
        assert response.status in (200, 400)
        if "where" in query:
            assert page.input_value("#where") == query["where"]
        if response.status == 400:
            assert PROBES["img"] in page.locator("#runs-error").inner_text()
    count = page.locator("#selection-count").inner_text()
    assert count == "1 selected (1 on other pages): select one more to compare"
    assert page.locator("img").count() == 0
    watched.assert_clean(allowed_errors=[BAD_REQUEST])


def test_clicking_a_tag_filters_on_it_and_a_probe_tag_is_only_text(
    seeded: Any, context: Any
) -> None:
    server, ids = seeded
    watched = Watched.open(context, server.base)
    page = watched.page
    page.goto(server.base + "?where=params.lr%20%3C%201")
    page.click("a.tag:text-is('team=vision')")
    page.wait_for_url("**where=*tags.team*")
    assert _query(page.url)["where"] == ['params.lr < 1 and tags.team = "vision"']
    assert _names(page) == ["adam-big"]
    page.goto(server.base)
    probe_tag = page.locator(f'tr[data-run="{ids["probe"]}"] a.tag').first
    probe_tag.click()
    page.wait_for_url("**where=*")
    assert _names(page) == [PROBES["script"]]  # the filter found it: the tag went as text
    watched.assert_clean()
