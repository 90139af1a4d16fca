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
    as_list = nbtrack.compare([a, nbtrack.get_run(b)], code=False)
    assert [run.name for run in as_list.runs] == ["a", "b"]
    with pytest.raises(UsageError, match="compare takes run ids or runs, not int 5"):
        nbtrack.compare(a, 5)


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


def test_markdown_stays_under_its_cap_with_whole_blocks_when_code_diffs_are_huge(
    store: Store,
) -> None:
    def code(shift: int) -> str:
        return "".join(f"# %%\nx{i} = {i + shift}\n\n" for i in range(400))

    a = add_run(store, "a", snapshot=code(0), metrics={"loss": [math.nan]})
    others = [add_run(store, f"r{k}", snapshot=code(k), metrics={"loss": [1.0]}) for k in (1, 2, 3)]

    comparison = compare_runs(Reader(store, owned=False), [a, *others])

    for cap in (20_000, 4_000):
        text = render_markdown(comparison, cap=cap)
        assert len(text) <= cap
        assert "| `loss` | lower | **nan**" in text
        assert text.count("<details>") == text.count("</details>")
        assert text.count("```") % 2 == 0
    # each diff cut inside its own block, or named when even that does not fit
    roomy = render_markdown(comparison, cap=20_000)
    assert roomy.count("<details>") == 3
    assert "Not shown: " in roomy
    assert "400 modified; its diff is left out to fit the comment" in text
