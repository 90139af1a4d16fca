"""`pytest --nbtrack-smoke`: notebooks as items, same failure text, works with xdist."""

from __future__ import annotations

import pytest

from tests.helpers.notebooks import code, kernel, write_notebook

pytest_plugins = ["pytester"]


def _notebooks(pytester: pytest.Pytester) -> None:
    nbs = pytester.mkdir("notebooks")
    write_notebook(nbs / "good.ipynb", code("x = 1", count=1), code("assert x == 1", count=2))
    write_notebook(
        nbs / "bad.ipynb",
        code("rows = [1]", count=1),
        code("total = sum(rows)\nmean = total / 0", count=2),
    )
    write_notebook(nbs / "r.ipynb", "x <- 1", kernelspec=kernel("R"))
    ckpt = pytester.mkdir("notebooks/.ipynb_checkpoints")
    write_notebook(ckpt / "good-checkpoint.ipynb", "raise SystemExit(3)")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")


def test_notebooks_become_items_with_the_smoke_failure_text(pytester: pytest.Pytester) -> None:
    _notebooks(pytester)

    result = pytester.runpytest_subprocess("--nbtrack-smoke", "-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=2, failed=1, skipped=1)
    text = result.stdout.str()
    assert (
        "FAILED notebooks/bad.ipynb  cell 2 (In [2]), line 2: ZeroDivisionError: division by zero\n"
        "   1 | total = sum(rows)\n"
        ">  2 | mean = total / 0\n" in text
    )
    assert "its kernel language is r, not Python" in text


def test_without_the_option_notebooks_are_not_collected(pytester: pytest.Pytester) -> None:
    _notebooks(pytester)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


def test_params_reach_the_notebooks(pytester: pytest.Pytester) -> None:
    write_notebook(
        pytester.path / "p.ipynb",
        code("n = 1", count=1, tags=["parameters"]),
        code("assert n == 7, n", count=2),
    )

    result = pytester.runpytest_subprocess("--nbtrack-smoke", "--nbtrack-param", "n=7", "p.ipynb")

    result.assert_outcomes(passed=1)


def test_the_plugin_works_with_xdist(pytester: pytest.Pytester) -> None:
    _notebooks(pytester)

    result = pytester.runpytest_subprocess("--nbtrack-smoke", "-n", "2", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert "cell 2 (In [2]), line 2: ZeroDivisionError" in result.stdout.str()


def test_an_unreadable_notebook_fails_its_item_with_one_sentence(pytester: pytest.Pytester) -> None:
    (pytester.path / "broken.ipynb").write_text('{"cells": [,]}')

    result = pytester.runpytest_subprocess("--nbtrack-smoke", "-p", "no:cacheprovider")

    result.assert_outcomes(failed=1)
    assert "Error: broken.ipynb is not valid JSON (line 1, column 12" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_config_exclude_applies_to_collection(pytester: pytest.Pytester) -> None:
    _notebooks(pytester)
    pytester.makepyprojecttoml('[tool.nbtrack.smoke]\nexclude = ["notebooks/bad*"]\n')

    result = pytester.runpytest_subprocess("--nbtrack-smoke", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2, skipped=1)
