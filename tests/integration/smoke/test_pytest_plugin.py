"""`pytest --nbtrack-smoke`: notebooks as items, same failure text, works with xdist."""

from __future__ import annotations

import pytest

from tests.unit.smoke.helpers import build

pytest_plugins = ["pytester"]


def _notebooks(pytester: pytest.Pytester) -> None:
    import nbformat

    nbs = pytester.mkdir("notebooks")
    nbformat.write(build([("x = 1", 1), ("assert x == 1", 2)]), nbs / "good.ipynb")
    nbformat.write(
        build([("rows = [1]", 1), ("total = sum(rows)\nmean = total / 0", 2)]), nbs / "bad.ipynb"
    )
    nbformat.write(build(["x <- 1"], language="R"), nbs / "r.ipynb")
    ckpt = pytester.mkdir("notebooks/.ipynb_checkpoints")
    nbformat.write(build(["raise SystemExit(3)"]), ckpt / "good-checkpoint.ipynb")
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
    import nbformat

    nbformat.write(
        build([("n = 1", 1, ["parameters"]), ("assert n == 7, n", 2)]), pytester.path / "p.ipynb"
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
