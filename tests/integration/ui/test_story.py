"""The issue's browser story, end to end, as one person then a teammate live it.

The real ``nbtrack ui`` over a real store (SQLite and PostgreSQL), Debian's
Chromium: load the runs page, filter, sort by a header, tick two runs,
Compare, pick a metric, the x axis and smoothing, Copy link; a teammate opens
the link in a fresh browser context and sees the same view (the same runs,
baseline, metric, x axis and smoothing, drawn); from there a run's page and
the code diff. One run is full of probes (its name, params, tags, notebook
source): it is on every page the story passes, and nothing fires. Every page
is saved as a screenshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HREF = "javascript:alert(1)"
ESCAPE = "\x1b[31mred\x1b[0m"
SNAPSHOT = "# %%\nlr = {lr}\n\n# %%\nmodel = '{model}'\n"


def _seed(url: str) -> dict[str, str]:
    store = open_store(url)
    try:
        ids = {
            name: add_run(
                store,
                name,
                params={"lr": lr, "optimizer": optimizer, "epochs": 3},
                metrics={"val_acc": acc, "loss": [1 - a for a in acc]},
                snapshot=SNAPSHOT.format(lr=lr, model=name),
            )
            for name, lr, optimizer, acc in [
                ("resnet-slow", 0.01, "adam", [0.30, 0.55, 0.70, 0.78]),
                ("vgg", 0.05, "sgd", [0.20, 0.35, 0.50, 0.52]),
                ("resnet-fast", 0.1, "adam", [0.40, 0.65, 0.80, 0.86]),
            ]
        }
        # a run whose every user-written field is a probe; "adam" keeps it in the filter
        ids["probe"] = add_run(
            store,
            SCRIPT,
            params={"lr": 0.2, "optimizer": "adam", IMG: HREF, "note": ESCAPE},
            metrics={"val_acc": [0.1, float("nan"), 0.2], "loss": [0.9, float("inf"), 0.8]},
            snapshot=SNAPSHOT.format(lr=0.2, model=IMG) + f"# %%\nprint('{SCRIPT}')\n",
        )
        store.set_tags(ids["probe"], {"link": HREF, IMG: SCRIPT})
    finally:
        store.close()
    return ids


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _names(page: Any) -> list[str]:
    return [str(n) for n in page.locator("#runs-table tbody td.name").all_inner_texts()]


def _drawn(page: Any) -> None:
    """Every chart on the page holds uPlot's canvas."""
    charts = page.locator(".nbtrack-chart")
    charts.first.wait_for()
    for chart in charts.all():
        chart.locator("canvas").first.wait_for()


def _view(page: Any) -> dict[str, Any]:
    """What the compare page shows: its runs, baseline, charts, x axis and smoothing."""
    return {
        "runs": page.eval_on_selector_all(
            ".compare-runs a.run-link", "links => links.map(a => a.dataset.run)"
        ),
        "baseline": page.locator("tr.baseline a.run-link").get_attribute("data-run"),
        "charts": {
            node.get_attribute("data-metric"): node.get_attribute("data-runs")
            for node in page.locator(".nbtrack-chart").all()
        },
        "x": page.locator("input[name='chart-x']:checked").get_attribute("value"),
        "smooth": page.locator(".chart-smooth input[type='range']").input_value(),
        "drawn x": page.evaluate("window.nbtrackCharts.state.charts.map(c => c.data.x)"),
        "lines": page.evaluate("window.nbtrackCharts.state.charts.map(c => c.plot.series.length)"),
    }


def test_a_filtered_sorted_comparison_shared_by_link_opens_the_same_in_a_fresh_context(
    store_url: str, chromium: Any, context: Any, tmp_path: Path
) -> None:
    ids = _seed(store_url)
    slow, fast, probe = ids["resnet-slow"], ids["resnet-fast"], ids["probe"]
    with UiServer.start(store_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page

        # 1. the runs page: every run, the probe's name as text
        page.goto(server.base)
        assert sorted(_names(page)) == sorted(["resnet-slow", "vgg", "resnet-fast", SCRIPT])
        screenshot(page, "story-1-runs")

        # 2. filter with the --where language
        page.fill("#where", "params.optimizer = adam and params.lr < 0.15")
        page.press("#where", "Enter")
        page.wait_for_url("**where=*")
        assert sorted(_names(page)) == ["resnet-fast", "resnet-slow"]
        page.fill("#where", "params.optimizer = adam")
        page.press("#where", "Enter")
        page.wait_for_url("**optimizer*adam")
        assert sorted(_names(page)) == sorted(["resnet-slow", "resnet-fast", SCRIPT])

        # 3. sort by clicking a header, then again for descending
        page.click("#runs-table thead a:text-is('metrics.val_acc')")
        page.wait_for_url("**sort=metrics.val_acc*")
        page.click("#runs-table thead a:has-text('metrics.val_acc')")
        page.wait_for_url("**sort=-metrics.val_acc*")
        assert _names(page) == ["resnet-fast", "resnet-slow", SCRIPT]
        screenshot(page, "story-2-runs-filtered-sorted")

        # 4. tick two runs and press Compare: the first ticked is the baseline
        page.check(f"input.select-run[value='{slow}']")
        page.check(f"input.select-run[value='{fast}']")
        assert page.locator("#selection-count").inner_text() == "2 selected"
        page.click("#compare-button")
        page.wait_for_url("**/compare?*")
        assert _query(page.url) == {"run": [slow, fast], "baseline": [slow]}
        _drawn(page)
        assert set(_view(page)["charts"]) == {"val_acc", "loss"}
        screenshot(page, "story-3-compare")

        # 5. one metric, time since start, smoothing: each lands in the URL
        page.locator('form.metric-picker input[value="loss"]').uncheck()
        page.wait_for_url("**metric=val_acc*")
        _drawn(page)
        page.check("input[name='chart-x'][value='relative']")
        page.wait_for_url("**x=relative*")
        page.locator(".chart-smooth input[type='range']").fill("0.6")
        page.wait_for_url("**smooth=0.60*")
        page.wait_for_function(
            "() => window.nbtrackCharts.state.charts.every(c => c.data && c.data.x === 'relative')"
        )
        mine = _view(page)
        assert mine["runs"] == [slow, fast]
        assert mine["baseline"] == slow
        assert mine["charts"] == {"val_acc": f"{slow} {fast}"}
        assert (mine["x"], mine["smooth"], mine["drawn x"]) == ("relative", "0.6", ["relative"])
        assert mine["lines"] == [1 + 2 * 2]  # x, then each run raw and smoothed
        screenshot(page, "story-4-compare-one-metric-relative-smoothed")

        # 6. Copy link: the clipboard holds the whole view
        page.click("#copy-link")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.url
        assert _query(copied) == {
            "run": [slow, fast],
            "baseline": [slow],
            "metric": ["val_acc"],
            "x": ["relative"],
            "smooth": ["0.60"],
        }
        watched.assert_clean()

        # 7. a teammate opens it in a fresh context (no cookie, no storage): the same view
        fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            other = Watched.open(fresh, server.base)
            other.page.goto(copied)
            _drawn(other.page)
            other.page.wait_for_function(
                "() => window.nbtrackCharts.state.charts.every(c => c.data && c.plot)"
            )
            assert _view(other.page) == mine
            assert other.page.url == copied
            screenshot(other.page, "story-5-shared-link-fresh-context")

            # 8. from the comparison: a run's page, and the code diff of the two runs
            other.page.click(f".compare-runs a.run-link[data-run='{fast}']")
            other.page.wait_for_url(f"**/runs/{fast}*")
            assert "resnet-fast" in other.page.locator("h1").inner_text()
            _drawn(other.page)
            screenshot(other.page, "story-6-run")
            other.page.go_back()
            other.page.click("a.code-diff")
            other.page.wait_for_url("**/diff?*")
            assert _query(other.page.url) == {"a": [slow], "b": [fast]}
            assert "model = 'resnet-fast'" in other.page.locator("main").inner_text()
            screenshot(other.page, "story-7-diff")
            other.assert_clean()
        finally:
            fresh.close()

        # 9. the probe run on each page the story passed: text, and nothing fires
        page.goto(f"{server.base}?where=params.optimizer%20%3D%20adam")
        assert SCRIPT in _names(page)
        page.goto(f"{server.base}compare?run={slow}&run={probe}")
        _drawn(page)
        assert SCRIPT in page.locator(".compare-runs").inner_text()
        assert IMG in page.locator("#params").inner_text()
        screenshot(page, "story-8-compare-probe")
        page.goto(f"{server.base}runs/{probe}")
        _drawn(page)
        body = page.locator("main").inner_text()
        assert SCRIPT in body
        assert HREF in body
        assert page.locator(f"a[href='{HREF}']").count() == 0
        screenshot(page, "story-9-run-probe")
        page.goto(f"{server.base}diff?a={slow}&b={probe}")
        assert f"model = '{IMG}'" in page.locator("main").inner_text()
        screenshot(page, "story-10-diff-probe")
        watched.assert_clean()
