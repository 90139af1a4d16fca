"""The report opened in a real headless Chromium: it renders, runs nothing, loads nothing.

Each check has its control beside it, so it can fail: a page that does run
a script shows the mutation in the DOM the browser dumps, and a page that
does ask for a URL shows that request in the browser's NetLog.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.compare.report import CSP, build_report
from nbtrack.store.base import Store
from tests.helpers.browser import Browser, require_browser
from tests.integration.compare.report_runs import T0, add_run, png
from tests.integration.compare.test_report import Page

pytestmark = pytest.mark.browser

#: what a script that ran would leave on <body>
MARK = re.compile(r"<body[^>]*\bdata-pwned=")


def hostile(mark: str) -> str:
    return f"<img src=x onerror=\"document.body.setAttribute('data-pwned','{mark}')\">"


def script(mark: str) -> str:
    return f"<script>document.body.setAttribute('data-pwned','{mark}')</script>"


@pytest.fixture
def browser() -> Browser:
    return require_browser()


@pytest.fixture(autouse=True)
def in_project(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The package's ``in_project`` without its store: a page is the same on either store."""
    monkeypatch.chdir(project_root)
    return project_root


@pytest.fixture
def sqlite_store(
    sqlite_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """The page is the same whatever the store: these tests need only SQLite."""
    from nbtrack.config import load_settings
    from nbtrack.store import open_store

    monkeypatch.setenv("NBTRACK_STORE", sqlite_url)
    with open_store(settings=load_settings(project_root)) as store:
        yield store


def write_report(store: Store, run_ids: list[str], path: Path, title: str = "report") -> Path:
    with Reader(store, owned=False) as reader:
        path.write_text(build_report(reader, run_ids, title=title), encoding="utf-8")
    return path


def hostile_report(store: Store, path: Path) -> Path:
    first = add_run(
        store, script("name"),
        params={"lr": 0.1, "note": hostile("param")},
        tags={"who": script("tag")},
        metrics={"loss": [1.0, 0.5], hostile("metric"): [0.5, 0.75]},
        notebook="notebooks/" + hostile("path") + ".ipynb",
        artifacts=[(hostile("figure") + ".png", png(8, 8, (200, 0, 0)), "image/png")],
    )  # fmt: skip
    second = add_run(
        store, hostile("name2"), started=T0 + 60,
        params={"lr": 0.01, "note": script("param2")}, metrics={"loss": [1.0, 0.25]},
    )  # fmt: skip
    return write_report(store, [first, second], path, title=script("title"))


def test_the_page_renders_its_runs_table_in_chromium(
    browser: Browser, sqlite_store: Store, tmp_path: Path
) -> None:
    ids = [
        add_run(sqlite_store, f"run {i}", started=T0 + i, params={"lr": 10.0**-i},
                metrics={"loss": [1.0 / (s + i + 1) for s in range(50)]})
        for i in range(3)
    ]  # fmt: skip
    page = write_report(sqlite_store, ids, tmp_path / "report.html", title="Three runs")
    loaded = browser.load(page)
    rows = Page(loaded.dom).table()
    assert [row["name"] for row in rows] == ["run 0", "run 1", "run 2"]
    assert [row["params.lr"] for row in rows] == ["1", "0.1", "0.01"]
    assert "<title>Three runs</title>" in loaded.dom
    charts = [a for t, a in Page(loaded.dom).tags if t == "svg"]
    assert [c["aria-label"] for c in charts] == ["loss"]
    assert len([t for t, _ in Page(loaded.dom).tags if t == "polyline"]) == 3
    assert 'id="comparison"' in loaded.dom
    assert loaded.requests == ()


def test_a_script_in_a_name_param_tag_path_or_title_does_not_run(
    browser: Browser, sqlite_store: Store, tmp_path: Path
) -> None:
    page = hostile_report(sqlite_store, tmp_path / "report.html")
    loaded = browser.load(page)
    assert not MARK.search(loaded.dom)
    parsed = Page(loaded.dom)
    assert not [t for t, _ in parsed.tags if t == "script"]
    assert not [(t, a) for t, a in parsed.tags if any(k.startswith("on") for k in a)]
    rows = parsed.table()
    # each string is there, as the text the user wrote
    assert rows[0]["name"] == script("name")
    assert rows[1]["name"] == hostile("name2")
    assert rows[0]["params.note"] == hostile("param")
    assert rows[0]["tags"] == "who=" + script("tag")
    assert rows[0]["notebook"] == "notebooks/" + hostile("path") + ".ipynb"
    assert rows[0]["metrics." + hostile("metric")] == "0.75"
    assert hostile("metric") in [a["aria-label"] for t, a in parsed.tags if t == "svg"]
    escaped = script("title").replace("<", "&lt;").replace(">", "&gt;")
    assert f"<title>{escaped}</title>" in loaded.dom
    assert f"<h1>{escaped}</h1>" in loaded.dom


def test_escaping_alone_stops_the_scripts_without_the_csp(
    browser: Browser, sqlite_store: Store, tmp_path: Path
) -> None:
    page = hostile_report(sqlite_store, tmp_path / "report.html")
    html = page.read_text(encoding="utf-8")
    assert CSP in html
    page.write_text(html.replace(CSP, "default-src *"), encoding="utf-8")
    assert not MARK.search(browser.load(page).dom)
    # the control: the same markup unescaped does run in this browser
    control = tmp_path / "control.html"
    control.write_text(f"<!DOCTYPE html><html><body><p>{script('control')}</p></body></html>")
    assert 'data-pwned="control"' in browser.load(control).dom


def test_the_report_asks_the_network_for_nothing(
    browser: Browser, sqlite_store: Store, tmp_path: Path
) -> None:
    ids = [
        add_run(
            sqlite_store, "with a figure", params={"data": "https://example.com/train.csv"},
            metrics={"loss": [3.0, 2.0, 1.0]},
            artifacts=[("roc.png", png(40, 30, (0, 90, 200)), "image/png")],
        ),
        add_run(sqlite_store, "second", started=T0 + 5, params={"data": "http://x.test/a.png"}),
    ]  # fmt: skip
    page = write_report(sqlite_store, ids, tmp_path / "report.html")
    loaded = browser.load(page)
    assert loaded.requests == ()
    assert len(Page(loaded.dom).images()) == 1
    # the control: a remote image slipped into the page is seen by the NetLog ...
    html = page.read_text(encoding="utf-8")
    leak = '<img alt="leak" src="http://leak.example.invalid/pixel.png">'
    opened = html.replace("</main>", leak + "</main>").replace(CSP, "default-src *")
    page.write_text(opened, encoding="utf-8")
    assert browser.load(page).requests == ("http://leak.example.invalid/pixel.png",)
    # ... and with the report's CSP in force the browser refuses to ask for it
    page.write_text(html.replace("</main>", leak + "</main>"), encoding="utf-8")
    refused = browser.load(page)
    assert refused.requests == ()
    assert any("Content Security Policy" in line for line in refused.console), refused.console


def test_a_screenshot_of_the_report(browser: Browser, sqlite_store: Store, tmp_path: Path) -> None:
    ids = [
        add_run(
            sqlite_store, f"lr={lr}", started=T0 + i * 100, params={"lr": lr, "seed": 1},
            metrics={"loss": [1.0 / (1 + lr * s) for s in range(200)],
                     "val_acc": [1.0 - 0.5 / (1 + lr * s) for s in range(200)]},
            tags={"sweep": "lr"},
            artifacts=[("confusion.png", png(160, 120, (30 + 60 * i, 120, 200)), "image/png")],
        )
        for i, lr in enumerate((0.1, 0.03, 0.01))
    ]  # fmt: skip
    page = write_report(sqlite_store, ids, tmp_path / "report.html", title="lr sweep")
    shot = browser.screenshot(page, tmp_path / "report.png", width=1280, height=1800)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1800)
    assert len(data) > 20_000  # a page with text, a table and pictures, not a blank canvas
