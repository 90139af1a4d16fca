"""A figure logged every epoch on the run page: paged by step, linked at a step.

The run logs a real matplotlib figure per epoch through ``log_figure(fig,
name, step=epoch)``; each epoch's image is a different width, so what the
browser loaded says which step it shows. A real ``nbtrack ui`` server and
Debian's Chromium (Playwright): the slider, the buttons and the arrow keys
page the series, the page's URL and its "link" name the step, a shared link
opens at that step, a step the series lacks shows the last and says so, and
``/runs/ID/artifacts/NAME?step=N`` serves that step's bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import nbtrack
from nbtrack.config import Settings
from tests.helpers.ui import UiServer, Watched, screenshot
from tests.integration.ui.run_page_runs import fetch

pytestmark = pytest.mark.browser

STEPS = (0, 2, 4, 6, 8)
NAME = "confusion_matrix.png"


def width(step: int) -> int:
    """The pixel width of the figure of *step* (matplotlib at 100 dpi)."""
    return 200 + 10 * step


def log_epochs(settings: Settings) -> tuple[str, dict[int, bytes]]:
    """A run with a confusion matrix per epoch and one plain figure; its id and the PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from nbtrack.tracking.api import get_tracker

    with nbtrack.start_run(name="epochs", settings=settings) as run:
        for step in STEPS:
            fig = Figure(figsize=(width(step) / 100, 1.6), dpi=100)
            ax = fig.add_subplot()
            ax.imshow([[9 - step, step + 1], [step, 9]], cmap="Blues")
            ax.set_title(f"epoch {step}")
            nbtrack.log_figure(fig, "confusion_matrix", step=step)
        roc = Figure(figsize=(1.2, 1.2), dpi=100)
        roc.add_subplot().plot([0, 1], [0, 1])
        nbtrack.log_figure(roc, "roc")
    stored = get_tracker().store()
    images = {
        a.step: stored.artifact_path(a).read_bytes()
        for a in nbtrack.get_run(run.id).artifacts
        if a.step is not None
    }
    return run.id, images


def shows(page: Any, label: str, step: int) -> None:
    """The first series says *label* and its image loaded is the figure of *step*."""
    first = page.locator("figure.figure-series").first
    expect(first.locator(".figure-step")).to_have_text(label)
    expect(first.locator("img")).to_have_js_property("naturalWidth", width(step))


def test_a_figure_series_pages_by_step_and_a_link_opens_at_its_step(
    settings: Settings, store_url: str, context: Any, project_root: Path
) -> None:
    run_id, images = log_epochs(settings)
    assert {step: int.from_bytes(data[16:20], "big") for step, data in images.items()} == {
        step: width(step) for step in STEPS
    }
    with UiServer.start(store_url, cwd=project_root) as server:
        # the artifact route serves a step's bytes, the latest without one, 404 for a missing one
        base = f"/runs/{run_id}/artifacts/{NAME}"
        assert fetch(server, f"{base}?step=2")[2] == images[2]
        assert fetch(server, base)[2] == images[8]
        status, _, body = fetch(server, f"{base}?step=3")
        assert status == 404
        assert f"has no artifact named {NAME!r} at step '3'" in body.decode().replace("&#39;", "'")

        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}runs/{run_id}")
        series = page.locator("figure.figure-series")
        assert series.count() == 2
        first = series.first
        assert first.locator(".figure-title").text_content() == NAME
        shows(page, "step 8 (5 of 5)", 8)
        rows = page.eval_on_selector_all(
            "table.artifacts tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.textContent))"
        )
        assert [r[:2] for r in rows] == [[NAME, "5 steps, 0..8"], ["roc.png", ""]]

        first.locator(".figure-prev").click()
        shows(page, "step 6 (4 of 5)", 6)
        assert page.url.endswith(f"/runs/{run_id}?figure={NAME}&step=6")
        # the arrow keys anywhere in the series; Home and End go to the ends
        first.focus()
        page.keyboard.press("ArrowLeft")
        shows(page, "step 4 (3 of 5)", 4)
        page.keyboard.press("Home")
        shows(page, "step 0 (1 of 5)", 0)
        page.keyboard.press("ArrowRight")
        shows(page, "step 2 (2 of 5)", 2)
        link = first.locator(".figure-permalink").get_attribute("href")
        assert link == f"/runs/{run_id}?figure={NAME}&step=2#figures"
        screenshot(page, "run-page-figure-steps")
        page.keyboard.press("End")  # the last is the default: the URL names no figure
        shows(page, "step 8 (5 of 5)", 8)
        assert page.url.endswith(f"/runs/{run_id}")

        # a teammate opens the link of step 2 in a fresh page
        shared = context.new_page()
        shared.goto(server.base.rstrip("/") + link)
        shows(shared, "step 2 (2 of 5)", 2)
        assert shared.locator("figure.figure-series .figure-slider").first.input_value() == "1"
        # a link to a step the series lacks shows the last, says so, and the URL follows
        shared.goto(f"{server.base}runs/{run_id}?figure={NAME}&step=5")
        shows(shared, "step 8 (5 of 5)", 8)
        problem = shared.locator(".figure-problem").text_content()
        assert problem == f"{NAME} has no step 5 (its steps are 0, 2, 4, 6, 8); this is the last."
        assert shared.url.endswith(f"/runs/{run_id}")
        shared.close()
        watched.assert_clean()
