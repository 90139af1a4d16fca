"""``/diff`` in Chromium against the real ``nbtrack ui``: snapshots, and commits in a git repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.git import git
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

PROBE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _notebook(*sources: str, output: str = "") -> str:
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "source": source,
         "outputs": []}
        for source in sources
    ]  # fmt: skip
    for cell in cells:  # the print cell prints
        if output and cell["source"].startswith("print"):
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": output}]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def test_the_snapshots_diff_side_by_side_with_probes_as_text(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    a = add_run(store, IMG, snapshot=f"# %%\nlr = 0.1\n\n# %%\nname = '{IMG}'\n")
    b = add_run(store, "new", snapshot=f"# %%\nlr = 0.3\n\n# %%\nname = '{PROBE}'\n")
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}diff?a={a[:6]}&b={b[:6]}")  # prefixes: redirected to full ids
        assert page.url.endswith(f"/diff?a={a}&b={b}")
        assert "the snapshots stored with the runs" in page.locator("#source-snapshot").inner_text()
        assert "Shown: the code snapshots" in page.locator("#shown").inner_text()
        assert page.locator("table.sbs td.del").count() == 2
        assert page.locator("table.sbs td.add").first.inner_text() == "lr = 0.3"
        assert PROBE in page.locator(".nbtrack-diff").inner_text()
        assert IMG in page.locator("h1").inner_text()
        assert page.locator(".nbtrack-diff img").count() == 0
        # tmp_path is no git repository: the commits are not offered, and the page says why
        assert "not a git repository" in page.locator("#commits-unavailable").inner_text()
        screenshot(page, "diff-snapshots")
        page.locator("#swap").click()
        page.wait_for_url(f"**/diff?a={b}&b={a}")
        assert page.locator("table.sbs td.add").first.inner_text() == "lr = 0.1"
        watched.assert_clean()


def test_the_notebook_at_two_commits_of_the_repository_the_ui_runs_in(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    path = repo / "notebooks" / "train.ipynb"
    path.write_text(_notebook("lr = 0.1", "print(lr)", output="0.1\n"))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    path.write_text(_notebook("lr = 0.5", "print(lr)", f"# {PROBE}", output=f"0.5 {IMG}\n"))
    git(repo, "commit", "-q", "-am", "second")
    second = git(repo, "rev-parse", "HEAD")
    store = open_store(sqlite_url)
    # the snapshots say something else than the commits: the page must show the commits
    a = add_run(store, "at-first", snapshot="# %%\nsnap = 1\n",
                notebook="notebooks/train.ipynb", commit=first)  # fmt: skip
    b = add_run(store, "at-second", snapshot="# %%\nsnap = 2\n",
                notebook="notebooks/train.ipynb", commit=second, dirty=True)  # fmt: skip
    store.close()
    with UiServer.start(sqlite_url, cwd=repo) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}diff?a={a}&b={b}")
        assert page.locator("table.sbs td.add").first.inner_text() == "snap = 2"
        page.locator("#source-commits").click()
        page.wait_for_url("**source=commits")
        shown = page.locator("#shown").inner_text()
        assert f"as committed at {first[:7]}" in shown
        assert "uncommitted changes" in shown  # run b was dirty: the page warns
        adds = [cell.inner_text() for cell in page.locator("table.sbs td.add").all()]
        assert "lr = 0.5" in adds
        assert f"# {PROBE}" in adds
        assert IMG in page.locator(".nbtrack-diff").inner_text()  # an output, as text
        assert page.locator(".nbtrack-diff img").count() == 0
        screenshot(page, "diff-commits")
        watched.assert_clean()


def test_the_commits_of_another_repository_fall_back_to_the_snapshots(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("x\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    store = open_store(sqlite_url)
    a = add_run(store, "a", snapshot="# %%\nx = 1\n")  # commit c0ffee...: not in this repo
    b = add_run(store, "b", snapshot="# %%\nx = 2\n")
    store.close()
    with UiServer.start(sqlite_url, cwd=repo) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}diff?a={a}&b={b}")
        # a repository, but not the one with the runs' commits: not offered, and why
        assert page.locator("a#source-commits").count() == 0
        assert "does not exist" in page.locator("#commits-unavailable").inner_text()
        page.goto(f"{server.base}diff?a={a}&b={b}&source=commits")  # asked anyway
        assert "cannot be shown" in page.locator("#fallback").inner_text()
        assert "Shown: the code snapshots" in page.locator("#shown").inner_text()
        assert page.locator("table.sbs td.add").first.inner_text() == "x = 2"
        screenshot(page, "diff-commits-fallback")
        response = page.goto(f"{server.base}diff?a={a}&b=nosuchrun")
        assert response is not None
        assert response.status == 404
        assert "nosuchrun" in page.locator("p.error").inner_text()
        watched.assert_clean(allowed_errors=["404"])


def test_reached_from_a_run_page_and_from_the_compare_page(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    a = add_run(store, "before", snapshot="# %%\nlr = 0.1\n", metrics={"loss": [1.0, 0.5]})
    b = add_run(store, "after", snapshot="# %%\nlr = 0.2\n", metrics={"loss": [1.0, 0.4]})
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}runs/{b}")
        page.locator("#diff-link").click()  # the run page's "compare code with the previous run"
        page.wait_for_url("**/diff?*")
        assert {a, b} == {
            node.get_attribute("data-run") for node in page.locator(".diff-runs a").all()
        }
        assert page.locator("table.sbs").count() == 1

        page.goto(f"{server.base}compare?run={a}&run={b}")
        page.locator("a.code-diff").click()  # "code diff" beside the run after the baseline
        page.wait_for_url(f"**/diff?a={a}&b={b}")
        assert page.locator("table.sbs td.add").first.inner_text() == "lr = 0.2"
        watched.assert_clean()
