"""``/compare`` in Chromium against the real ``nbtrack ui``: 2 and 3 runs, the baseline, probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

PROBE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SNAP_A = "# %%\nimport math\nlr = 0.1\n\n# %%\nfor epoch in range(3):\n    print(epoch, lr)\n"
SNAP_B = "# %%\nimport math\nlr = 0.01\n\n# %%\nfor epoch in range(5):\n    print(epoch, lr)\n"


def _seed(url: str) -> tuple[str, str, str]:
    store = open_store(url)
    try:
        a = add_run(store, "baseline-lr", params={"lr": 0.1, "batch": 32}, snapshot=SNAP_A,
                    metrics={"val_acc": [0.5, 0.7, 0.75], "loss": [1.0, 0.6, 0.5]},
                    data=[("data/train.csv", "sha256:aaaa")])  # fmt: skip
        b = add_run(store, "small-lr", params={"lr": 0.01, "batch": 32}, snapshot=SNAP_B,
                    metrics={"val_acc": [0.5, 0.8, 0.85], "loss": [1.0, 0.7, 0.55]},
                    data=[("data/train.csv", "sha256:bbbb")])  # fmt: skip
        nan, inf = float("nan"), float("inf")
        c = add_run(store, PROBE, params={"lr": IMG, "batch": 64}, snapshot=SNAP_A + f"# {PROBE}\n",
                    metrics={"val_acc": [0.4, 0.6, nan], "loss": [1.0, inf]})  # fmt: skip
    finally:
        store.close()
    return a, b, c


def _drawn(page: Any) -> None:
    """Wait until charts.js has drawn every chart (uPlot's canvas in each)."""
    for chart in page.locator(".nbtrack-chart").all():
        chart.locator("canvas").first.wait_for()


def _chart_runs(page: Any) -> dict[str, str]:
    return {
        node.get_attribute("data-metric"): node.get_attribute("data-runs")
        for node in page.locator(".nbtrack-chart").all()
    }


def test_two_runs_then_three_with_the_baseline_switched_by_url(
    store_url: str, context: Any, tmp_path: Path
) -> None:
    a, b, c = _seed(store_url)
    with UiServer.start(store_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={a}&run={b}")
        assert page.title() == "Compare 2 runs · nbtrack"
        assert "baseline baseline-lr" in page.locator("h1").inner_text()
        assert _chart_runs(page) == {"val_acc": f"{a} {b}", "loss": f"{a} {b}"}
        assert page.locator(".chart-controls").count() == 1
        params = page.locator("#params").inner_text()
        assert "lr" in params
        assert "0.01" in params
        assert "batch" not in params
        better = page.locator("#metrics .better").first.inner_text()
        assert better.startswith("0.85 +0.1")
        assert page.locator("#metrics .worse").first.inner_text().startswith("0.55 +0.05")
        assert "changed" in page.locator("#data").inner_text()
        code = page.locator("#code")
        assert "1 modified" in code.inner_text() or "modified" in code.inner_text()
        assert code.locator("td.add").count() >= 1
        _drawn(page)
        screenshot(page, "compare-two-runs")

        page.goto(f"{server.base}compare?run={a}&run={b}&run={c}&baseline={b}")
        assert page.title() == "Compare 3 runs · nbtrack"
        assert _chart_runs(page)["val_acc"] == f"{b} {a} {c}"
        assert page.locator("tr.baseline .run-link").get_attribute("data-run") == b
        # the probe run: its name and params are text, its nan/inf read as such
        assert PROBE in page.locator(".compare-runs").inner_text()
        assert IMG in page.locator("#params").inner_text()
        metrics = page.locator("#metrics").inner_text()
        assert "nan" in metrics
        assert "inf" in metrics
        _drawn(page)
        screenshot(page, "compare-three-runs-baseline-switched")

        # "make baseline" on run a: the URL says so, and a is measured against by the rest
        page.locator(f'tr:has(a[data-run="{a}"]) a.make-baseline').click()
        page.wait_for_url(f"**baseline={a}*")
        assert page.locator("tr.baseline .run-link").get_attribute("data-run") == a
        watched.assert_clean()


def test_the_metric_picker_and_a_shared_link_in_a_fresh_context(
    sqlite_url: str, chromium: Any, context: Any, tmp_path: Path
) -> None:
    a, b, _ = _seed(sqlite_url)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={a}&run={b}")
        page.locator('form.metric-picker input[value="val_acc"]').uncheck()
        page.wait_for_url("**metric=loss*")
        assert list(_chart_runs(page)) == ["loss"]
        link = page.url
        watched.assert_clean()

        fresh = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            other = Watched.open(fresh, server.base)
            other.page.goto(link)
            assert list(_chart_runs(other.page)) == ["loss"]
            assert "val_acc" not in other.page.locator("#metrics").inner_text()
            other.assert_clean()
        finally:
            fresh.close()


def test_no_runs_a_picker_and_bad_ids_a_sentence(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    a, _b, c = _seed(sqlite_url)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare")
        page.locator(f'input[name="run"][value="{a}"]').check()
        page.locator(f'input[name="run"][value="{c}"]').check()
        screenshot(page, "compare-picker")
        page.locator("form.compare-picker button[type=submit]").click()
        page.wait_for_url("**/compare?run=*")
        assert set(_chart_runs(page).values()) == {f"{c} {a}"}  # newest ticked first

        response = page.goto(f"{server.base}compare?run={a}&run=0123456789abcdef")
        assert response is not None
        assert response.status == 404
        assert "0123456789abcdef" in page.locator("p.error").inner_text()
        response = page.goto(f"{server.base}compare?run={a}")
        assert response is not None
        assert response.status == 400
        assert "at least two runs" in page.locator("p.error").inner_text()
        screenshot(page, "compare-one-run-error")
        watched.assert_clean(allowed_errors=["404", "400"])


def test_a_running_runs_status_follows_the_store_while_the_page_is_open(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    import time

    from playwright.sync_api import expect

    from nbtrack.model import RunStatus

    done, _, _ = _seed(sqlite_url)
    store = open_store(sqlite_url)
    live = "f" * 32
    store.create_run(run_id=live, name="still-training", started_at=time.time())
    store.log_metrics(live, [("loss", 0.9, 0, time.time())])
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}compare?run={done}&run={live}")
        cell = page.locator(f'td.run-status[data-run="{live}"]')
        assert cell.inner_text() == "RUNNING"
        assert page.locator("#live-note").is_hidden()
        store.end_run(live, RunStatus.FINISHED, time.time())
        store.close()
        expect(cell).to_have_text("FINISHED", timeout=15_000)  # polled, no reload
        assert "reload for their final numbers" in page.locator("#live-note").inner_text()
        screenshot(page, "compare-live-run-ended")
        watched.assert_clean()
