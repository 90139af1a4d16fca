"""A comparison as the Python API, Jupyter and a coloured terminal show it."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack.compare.comparison import Comparison, compare_runs
from nbtrack.compare.reader import Reader
from nbtrack.compare.render_html import COMPARISON_CSS, comparison_html
from nbtrack.compare.render_markdown import render_markdown
from nbtrack.compare.render_terminal import print_terminal
from nbtrack.errors import UsageError
from nbtrack.store.base import Store
from tests.helpers.comparison import add_run


@pytest.fixture
def runs(store: Store) -> tuple[str, str]:
    a = add_run(store, "a", params={"lr": 0.1}, metrics={"val_acc": [0.8], "val_loss": [0.2]})
    b = add_run(store, "b", params={"lr": 0.2}, metrics={"val_acc": [0.9], "val_loss": [0.4]})
    return a, b


def test_colour_marks_a_better_value_green_and_a_worse_one_red(
    store: Store, runs: tuple[str, str]
) -> None:
    comparison = compare_runs(Reader(store, owned=False), list(runs))
    out = io.StringIO()

    print_terminal(comparison, color=True, file=out)

    text = out.getvalue()
    assert "\x1b[32m0.9  +0.1 (+12.5%)" in text
    assert "\x1b[31m0.4  +0.2 (+100.0%)" in text
    assert "\x1b[33m0.2" in text  # a param that differs from the baseline's


def test_the_python_api_returns_a_comparison_that_shows_itself_as_html_and_text(
    store: Store, runs: tuple[str, str]
) -> None:
    a, b = runs

    comparison = nbtrack.compare(a[:8], b[:8], metrics="val_acc", code=False)

    assert isinstance(comparison, Comparison)
    assert [m.key for m in comparison.metrics] == ["val_acc"]
    html = comparison._repr_html_()
    assert html.startswith('<div class="nbtrack-compare">\n<style>')
    assert "<script" not in html
    assert str(comparison) == repr(comparison)
    assert str(comparison).startswith(f"Comparing 2 runs; baseline: run a ({a[:8]})")
    assert COMPARISON_CSS not in comparison_html(comparison, style=False)
    by_where = nbtrack.compare(where="name = 'a' or name = 'b'", code=False)
    assert [run.id for run in by_where.runs] == [a, b]
    with pytest.raises(UsageError, match="not both"):
        nbtrack.compare(a, where="name = 'a'")


def test_nbtrack_compare_is_callable_after_the_compare_package_was_imported(
    store: Store, runs: tuple[str, str], project_root: Path
) -> None:
    code = (
        "import sys, nbtrack, nbtrack.compare.reader\n"
        f"print(nbtrack.compare({runs[0]!r}, {runs[1]!r}, code=False).runs[1].name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "b\n", "")


def test_markdown_stays_under_its_cap_when_the_code_diff_is_huge(store: Store) -> None:
    old = "".join(f"# %%\nx{i} = {i}\n\n" for i in range(400))
    new = "".join(f"# %%\nx{i} = {i + 1}\n\n" for i in range(400))
    a = add_run(store, "a", snapshot=old, metrics={"loss": [math.nan]})
    b = add_run(store, "b", snapshot=new, metrics={"loss": [1.0]})

    text = render_markdown(compare_runs(Reader(store, owned=False), [a, b]), cap=20_000)

    assert len(text) <= 20_000
    assert "| `loss` | lower | **nan**" in text
