"""A figure logged every epoch in the static report: the last step shown, the others paged.

The page runs no script, so the paging is radio buttons and CSS; a real
Chromium (Playwright, on the file:// page) clicks and presses the arrow keys
to check that the step shown is the step picked. The HTML checks run on
SQLite and PostgreSQL; the browser's on SQLite (the page is the same).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from nbtrack.compare.report_figures import SERIES_PAGES, spread
from nbtrack.model import Artifact
from nbtrack.store.base import Store
from tests.helpers.ui import chromium_browser, screenshot
from tests.integration.compare.report_runs import add_run, png
from tests.integration.compare.test_report import Page, report_of


def image(step: int) -> bytes:
    """A PNG ``10 + step`` pixels wide: its width names its step."""
    return png(10 + step, 6, (min(255, 8 * step), 90, 200))


def with_steps(store: Store, name: str, steps: Sequence[int]) -> str:
    """A run that logged ``confusion_matrix.png`` at *steps*, and one plain figure."""
    run_id = add_run(store, name, artifacts=[("roc.png", png(30, 20, (0, 0, 0)), "image/png")])
    for step in steps:
        digest, size, uri = store.put_artifact_bytes(image(step))
        store.add_artifact(
            run_id, Artifact("confusion_matrix.png", digest, size, "image/png", uri, 1.0, step)
        )
    return run_id


def data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_a_short_series_holds_every_step_the_last_checked(store: Store) -> None:
    run_id = with_steps(store, "three epochs", [0, 1, 2])
    html = report_of(store, [run_id])
    page = Page(html)
    sources = [img["src"] for img in page.images()]
    assert sources == [data_uri(png(30, 20, (0, 0, 0)))] + [data_uri(image(s)) for s in (0, 1, 2)]
    radios = [attrs for tag, attrs in page.tags if tag == "input"]
    assert [r["type"] for r in radios] == ["radio"] * 3
    assert len({r["name"] for r in radios}) == 1
    assert ["checked" in r for r in radios] == [False, False, True]
    text = " ".join("".join(page.text).split())
    assert "confusion_matrix.png: 3 steps, 0..2" in text
    assert "this file holds" not in text
    assert html.count("confusion_matrix.png, step ") == 3  # each page says its step


def test_a_long_series_holds_a_dozen_steps_spread_and_says_how_to_get_the_rest(
    store: Store,
) -> None:
    run_id = with_steps(store, "hundred epochs", range(100))
    html = report_of(store, [run_id])
    held = spread(100, SERIES_PAGES)
    assert held[0] == 0
    assert held[-1] == 99
    assert len(held) == SERIES_PAGES
    sources = [img["src"] for img in Page(html).images()][1:]
    assert sources == [data_uri(image(step)) for step in held]
    text = " ".join("".join(Page(html).text).split())
    assert (
        f"100 steps, 0..99; this file holds {SERIES_PAGES} of them (the first, the last and"
        f" steps evenly between): nbtrack artifacts get {run_id[:8]} confusion_matrix.png"
        " --step N gives any"
    ) in text
    # the file holds 12 of the 100 images, not all of them
    assert len(html) < 30_000 + sum(len(data_uri(image(step))) for step in held)


def test_two_runs_page_their_series_apart(store: Store) -> None:
    first = with_steps(store, "a", [0, 1])
    second = with_steps(store, "b", [0, 1])
    page = Page(report_of(store, [first, second]))
    groups = [attrs["name"] for tag, attrs in page.tags if tag == "input"]
    assert len(groups) == 4
    assert len(set(groups)) == 2
    ids = [attrs["id"] for tag, attrs in page.tags if tag == "input"]
    assert len(set(ids)) == 4


def test_spread_keeps_the_first_and_the_last() -> None:
    assert spread(3, 12) == [0, 1, 2]
    assert spread(100, 5) == [0, 25, 50, 74, 99]
    assert spread(13, 12)[0] == 0
    assert spread(13, 12)[-1] == 12
    assert len(spread(13, 12)) == 12
    assert spread(5, 1) == [4]


@pytest.fixture
def chromium() -> Iterator[Any]:
    with chromium_browser() as browser:
        yield browser


def shown_width(page: Any) -> list[int]:
    """The natural widths of the series images a reader can see (one, when paging works)."""
    widths: list[int] = page.eval_on_selector_all(
        "figure.series img", "imgs => imgs.filter(i => i.offsetParent).map(i => i.naturalWidth)"
    )
    return widths


@pytest.mark.browser
def test_a_reader_pages_the_steps_with_clicks_and_arrow_keys_and_no_script(
    sqlite_url: str, chromium: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.config import load_settings
    from nbtrack.store import open_store

    monkeypatch.setenv("NBTRACK_STORE", sqlite_url)
    with open_store(settings=load_settings(tmp_path)) as store:
        run_id = with_steps(store, "five epochs", [0, 2, 4, 6, 8])
        html = report_of(store, [run_id])
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())

    assert shown_width(page) == [18]  # the last step
    page.locator("figure.series label", has_text="2").click()
    assert shown_width(page) == [12]
    assert page.locator("figure.series .page p.at >> visible=true").inner_text() == (
        "confusion_matrix.png, step 2"
    )
    page.keyboard.press("ArrowRight")  # the radio group has the focus after the click
    assert shown_width(page) == [14]
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert shown_width(page) == [10]
    assert page.evaluate("document.scripts.length") == 0
    assert errors == []
    screenshot(page, "report-figure-steps")  # for a person to look at
