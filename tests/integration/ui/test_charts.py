"""The metric charts (static/charts.js over uPlot) in Chromium against the real ``nbtrack ui``.

Charts are mounted on the compare page's ``.nbtrack-chart`` containers: a
chart draws with a legend row per run, the x axis and smoothing controls
change the drawing and the URL, a fresh context opening that URL shows the
same controls, and a run a real child process is still logging grows on
screen without a reload (on SQLite and on PostgreSQL).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from nbtrack.compare.curves import ema
from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


def _seed(url: str) -> tuple[str, str, str]:
    store = open_store(url)
    try:
        noisy = [2.0 * math.exp(-i / 300) + 0.15 * math.sin(i * 1.7) for i in range(5_000)]
        a = add_run(store, "wide", params={"lr": 0.1}, metrics={"loss": noisy})
        slope = [1.5 - i / 4000 + 0.1 * math.cos(i) for i in range(4_000)]
        b = add_run(store, IMG, params={"lr": SCRIPT}, metrics={"loss": slope})
        nan, inf = math.nan, math.inf
        c = add_run(store, "odd", params={"lr": 0.5},
                    metrics={"loss": [1.0, 0.9, nan, 0.8, inf, 0.7, -inf, 0.6] * 300})  # fmt: skip
    finally:
        store.close()
    return a, b, c


def _charts(page: Any) -> Any:
    """What each mounted chart holds: its series' labels, their lengths, its x range."""
    return page.evaluate(
        """() => window.nbtrackCharts.state.charts.map((c) => ({
            metric: c.metric,
            x: c.data && c.data.x,
            series: c.plot ? c.plot.series.slice(1).map((s) => s.label) : [],
            raw: c.plot ? c.plot.series.slice(1).map((s) => s.class === "chart-raw") : [],
            points: c.plot ? c.plot.data[0].length : 0,
            xmax: c.plot ? c.plot.scales.x.max : null,
            note: c.note.textContent,
        }))"""
    )


def _wait_drawn(page: Any, count: int = 1) -> None:
    page.wait_for_function(
        f"""() => window.nbtrackCharts && window.nbtrackCharts.state.charts.length >= {count}
            && window.nbtrackCharts.state.charts.every((c) => c.plot || c.note.textContent)"""
    )


def test_a_chart_draws_each_run_and_its_controls_change_the_drawing_and_the_url(
    sqlite_url: str, context: Any, chromium: Any, tmp_path: Path
) -> None:
    a, b, c = _seed(sqlite_url)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={a}&run={b}&run={c}&metric=loss")
        _wait_drawn(page)
        (chart,) = _charts(page)
        # labels are compare.curves.labels' (a param value cut at 24 characters)
        probe = f"{IMG} (lr={SCRIPT[:23]}…)"
        assert chart["series"] == ["wide (lr=0.1)", probe, "odd (lr=0.5)"]
        legend = page.locator(".nbtrack-chart .u-legend tr.chart-run")
        assert legend.count() == 3
        assert IMG in legend.nth(1).inner_text()  # the probe is text in the legend
        assert page.locator(".nbtrack-chart canvas").count() == 1
        assert chart["xmax"] == pytest.approx(4_999, abs=1)
        assert re.search(r"Downsampled \(LTTB\): wide \(lr=0.1\) \d{3,4} of 5,000,", chart["note"])
        assert "±inf values of odd (lr=0.5) are marked" in chart["note"]
        screenshot(page, "charts-step")
        canvas = page.locator(".nbtrack-chart canvas")
        before = canvas.screenshot()

        page.get_by_label("relative").check()
        page.wait_for_function("() => window.nbtrackCharts.state.charts[0].data.x === 'relative'")
        assert "x=relative" in page.url
        (chart,) = _charts(page)
        assert chart["xmax"] == pytest.approx(4.999, abs=0.01)  # add_run logs step / 1000 s

        page.locator(".chart-smooth input").fill("0.8")
        assert "smooth=0.80" in page.url
        assert page.locator(".chart-smooth-value").inner_text() == "0.80"
        (chart,) = _charts(page)
        assert chart["raw"] == [True, True, True, False, False, False]
        assert page.locator(".nbtrack-chart .u-legend tr.chart-run").count() == 3
        assert canvas.screenshot() != before
        screenshot(page, "charts-relative-smoothed")

        # the smoothed line is compare.curves.ema of the points drawn
        drawn = page.evaluate(
            "() => { const p = window.nbtrackCharts.state.charts[0].plot;"
            " return [p.data[3], p.data[6]]; }"
        )
        shown = [v for v in drawn[0] if v is not None]
        smoothed = [v for v in drawn[1] if v is not None]
        assert smoothed == pytest.approx(ema(shown, 0.8).tolist(), rel=1e-9)

        url = page.url
        watched.assert_clean()

    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        # a teammate's fresh browser opens the link: the same controls, the same drawing
        fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            other = Watched.open(fresh, server.base)
            other.page.goto(server.base + url.split("/", 3)[3])
            _wait_drawn(other.page)
            assert other.page.get_by_label("relative").is_checked()
            assert other.page.locator(".chart-smooth input").input_value() == "0.8"
            (chart,) = _charts(other.page)
            assert chart["x"] == "relative"
            assert chart["raw"] == [True, True, True, False, False, False]
            screenshot(other.page, "charts-shared-link")
            other.assert_clean()
        finally:
            fresh.close()


def test_a_run_without_points_is_named_and_nan_and_inf_read_as_such_at_the_cursor(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    nan, inf = math.nan, math.inf
    store = open_store(sqlite_url)
    try:
        a = add_run(store, "has", metrics={"loss": [1.0, nan, 2.0, inf, 3.0, -inf, 4.0]})
        b = add_run(store, "lacks", metrics={"acc": [0.5]})
    finally:
        store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={a}&run={b}&metric=loss")
        _wait_drawn(page)
        (chart,) = _charts(page)
        assert chart["series"] == ["has"]
        assert chart["note"] == (
            "No points of loss in: lacks. ±inf values of has are marked ▲/▼ at the edge."
        )
        over = page.locator(".nbtrack-chart .u-over").bounding_box()
        assert over is not None
        cell = page.locator(".nbtrack-chart tr.chart-run td.u-value")
        seen = {}
        for step in range(7):
            left = page.evaluate(
                f"() => window.nbtrackCharts.state.charts[0].plot.valToPos({step}, 'x')"
            )
            middle = over["y"] + over["height"] / 2
            page.mouse.move(over["x"] + min(left, over["width"] - 1), middle)
            seen[step] = cell.inner_text()
        assert seen == {0: "1", 1: "NaN", 2: "2", 3: "+inf", 4: "3", 5: "-inf", 6: "4"}
        page.get_by_label("time").check()
        page.wait_for_function("() => window.nbtrackCharts.state.charts[0].data.x === 'time'")
        screenshot(page, "charts-missing-metric")
        watched.assert_clean()


def test_hover_shows_values_drag_zooms_double_click_resets_and_the_chart_follows_the_window(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    try:
        a = add_run(store, "up", metrics={"acc": [i / 200 for i in range(200)]})
        b = add_run(store, "down", metrics={"acc": [1 - i / 400 for i in range(400)]})
    finally:
        store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={a}&run={b}&metric=acc")
        _wait_drawn(page)
        over = page.locator(".nbtrack-chart .u-over").bounding_box()
        assert over is not None
        middle = over["y"] + over["height"] / 2
        # hover at a quarter of the width: both runs show a value there (step ~100)
        page.mouse.move(over["x"] + over["width"] / 4, middle)
        values = page.locator(".nbtrack-chart .u-legend tr.chart-run td.u-value").all_inner_texts()
        up, down = (float(v) for v in values)
        assert 0.4 < up < 0.6
        assert 0.7 < down < 0.8
        screenshot(page, "charts-hover")
        # drag across the middle half: x zooms to about steps 100..300
        page.mouse.move(over["x"] + over["width"] / 4, middle)
        page.mouse.down()
        page.mouse.move(over["x"] + over["width"] * 3 / 4, middle, steps=5)
        page.mouse.up()
        low, high = page.evaluate(
            "() => { const s = window.nbtrackCharts.state.charts[0].plot.scales.x;"
            " return [s.min, s.max]; }"
        )
        assert 80 < low < 120
        assert 280 < high < 320
        page.mouse.dblclick(over["x"] + over["width"] / 2, middle)
        assert page.evaluate("() => window.nbtrackCharts.state.charts[0].plot.scales.x.max") > 390
        # the chart takes its container's width, and follows it when the window changes
        fits = (
            "() => { const c = window.nbtrackCharts.state.charts[0];"
            " return [c.plot.width, c.body.clientWidth]; }"
        )
        before, body = page.evaluate(fits)
        assert abs(before - body) <= 2
        page.set_viewport_size({"width": 1000, "height": 900})
        page.wait_for_function(
            "() => { const c = window.nbtrackCharts.state.charts[0];"
            " return Math.abs(c.plot.width - c.body.clientWidth) <= 2"
            f" && c.plot.width !== {before}; }}"
        )
        screenshot(page, "charts-resized")
        # log y: in the URL, a log scale, the one value <= 0 (up's first) left out and said so
        page.get_by_label("log y").check()
        assert "logy=1" in page.url
        assert page.evaluate("() => window.nbtrackCharts.state.charts[0].plot.scales.y.distr") == 3
        assert _charts(page)[0]["note"] == "1 value ≤ 0 is not drawn on the log axis."
        page.goto(page.url)
        _wait_drawn(page)
        assert page.get_by_label("log y").is_checked()
        assert page.evaluate("() => window.nbtrackCharts.state.charts[0].plot.scales.y.distr") == 3
        screenshot(page, "charts-log-y")
        watched.assert_clean()


LIVE = """
import sys, time
from pathlib import Path
import nbtrack

stop = Path(sys.argv[1])
with nbtrack.start_run(name="live-run") as run:
    print(run.id, flush=True)
    for step in range(600):
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
        if stop.exists():
            break
        time.sleep(0.1)
print("done", flush=True)
"""


def _wait_logged(status_url: str, metric: str, count: int) -> None:
    """Until the run's *metric* has *count* points in the store (30 s at most)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(status_url) as response:
            (run,) = json.load(response)["runs"]
        if run["metrics"].get(metric, {}).get("count", 0) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"the live run logged no {count} points of {metric} in 30 s")


def test_a_running_run_grows_on_screen_without_a_reload_and_polling_stops_when_it_ends(
    store_url: str, context: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    store = open_store(store_url)
    try:  # the compare page shows two runs or more: a finished one beside the live one
        done = add_run(store, "done", metrics={"loss": [1.0, 0.5, 0.3]})
    finally:
        store.close()
    stop = tmp_path / "stop"
    (tmp_path / "live.py").write_text(LIVE)
    child = subprocess.Popen(
        [sys.executable, str(tmp_path / "live.py"), str(stop)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert len(run_id) == 32, run_id
        with UiServer.start(store_url, cwd=tmp_path) as server:
            watched = Watched.open(context, server.base)
            page = watched.page
            polls: list[str] = []
            page.on("request", lambda r: polls.append(r.url) if "/api/status" in r.url else None)
            _wait_logged(f"{server.base}api/status?run={run_id}", "loss", 3)
            page.goto(f"{server.base}compare?run={done}&run={run_id}&metric=loss")
            _wait_drawn(page)
            page.evaluate("() => { window.notReloaded = true; }")
            assert page.locator(".chart-live").is_visible()
            first = _charts(page)[0]["points"]
            page.wait_for_function(
                f"() => window.nbtrackCharts.state.charts[0].plot"
                f" && window.nbtrackCharts.state.charts[0].plot.data[0].length > {first + 5}",
                timeout=30_000,
            )
            assert page.evaluate("() => window.notReloaded") is True
            screenshot(page, "charts-live")
            stop.write_text("")
            assert child.wait(timeout=30) == 0
            page.locator(".chart-live").wait_for(state="hidden", timeout=30_000)
            assert page.evaluate("() => window.notReloaded") is True
            final = _charts(page)[0]["points"]
            status = json.loads(page.evaluate(
                f"() => fetch('/api/status?run={run_id}').then((r) => r.text())"
            ))  # fmt: skip
            assert status["runs"][0]["status"] == "FINISHED"
            # every point the finished run logged is on the x axis (steps 0..n-1, with the other's)
            assert final == status["runs"][0]["metrics"]["loss"]["count"]
            asked = len(polls)
            assert asked >= 2
            time.sleep(2.5)  # a poll would have come by now: none did
            assert len(polls) == asked
            assert _charts(page)[0]["points"] == final
            watched.assert_clean()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_the_run_page_draws_a_chart_per_metric_with_the_controls_in_its_url(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    try:
        run_id = add_run(store, "single", params={"lr": 0.1},
                         metrics={"loss": [1 / (i + 1) for i in range(300)],
                                  IMG: [i / 300 for i in range(300)]})  # fmt: skip
    finally:
        store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}runs/{run_id}?x=relative&smooth=0.5")
        _wait_drawn(page, 2)
        charts = {chart["metric"]: chart for chart in _charts(page)}
        assert set(charts) == {"loss", IMG}
        for chart in charts.values():
            assert chart["x"] == "relative"
            assert chart["series"] == ["single", "single"]  # the faint raw line, the smoothed
            assert chart["raw"] == [True, False]
        assert page.get_by_label("relative").is_checked()
        page.locator("#curves").scroll_into_view_if_needed()
        titles = page.locator(".nbtrack-chart .chart-title").all_inner_texts()
        assert sorted(titles) == [IMG, "loss"]  # the probe is a title's text
        # smoothed: the legend shows the smoothed value and the raw one beside it
        over = page.locator(".nbtrack-chart .u-over").first.bounding_box()
        assert over is not None
        page.mouse.move(over["x"] + over["width"] / 2, over["y"] + over["height"] / 2)
        shown = page.locator(".nbtrack-chart").first.locator("tr.chart-run td.u-value")
        assert re.fullmatch(r"[0-9.e-]+ \(raw [0-9.e-]+\)", shown.inner_text())
        screenshot(page, "charts-run-page")
        watched.assert_clean()
