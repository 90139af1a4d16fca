"""The static hidden-state check: what a saved notebook gives away."""

from __future__ import annotations

from nbtrack.smoke.lint import lint_notebook
from nbtrack.smoke.result import LintWarning
from tests.helpers.notebooks import code, kernel, load, markdown, notebook


def _codes(warnings: tuple[LintWarning, ...]) -> list[str]:
    return [w.code for w in warnings]


def test_a_clean_top_to_bottom_notebook_has_no_findings() -> None:
    nb = load(
        notebook(
            code("import math", count=1), code("x = math.pi", count=2), code("print(x)", count=3)
        )
    )
    assert lint_notebook(nb) == ()


def test_counts_out_of_order_name_both_cells() -> None:
    nb = load(notebook(code("a = 1", count=1), code("b = a", count=5), code("c = b", count=3)))
    (warning,) = lint_notebook(nb)
    assert warning.code == "out-of-order"
    assert "cell 3 (In [3]) ran before cell 2 (In [5])" in warning.message
    assert warning.cell == 2


def test_never_executed_cells_are_named_when_others_ran() -> None:
    nb = load(notebook(code("a = 1", count=1), code("b = a"), code("c = a", count=2)))
    (warning,) = lint_notebook(nb)
    assert warning.code == "never-executed"
    assert warning.message.startswith("cell 2 was never executed")


def test_stripped_counts_are_a_note_that_the_order_check_had_nothing_to_go_on() -> None:
    nb = load(notebook("a = 1", "b = a"))
    (note,) = lint_notebook(nb)
    assert (note.code, note.severity) == ("stripped-counts", "note")
    assert "order check had nothing to go on" in note.message


def test_a_name_no_cell_defines_is_reported_with_cell_and_line() -> None:
    nb = load(
        notebook(
            code("import numpy as np", count=1),
            code("X = np.ones(3)\nY = scaler.transform(X)", count=2),
        )
    )
    (warning,) = lint_notebook(nb)
    assert warning.code == "undefined-name"
    assert "cell 2 (In [2]), line 2 uses 'scaler', which no cell of the notebook defines" in (
        warning.message
    )


def test_a_name_defined_only_further_down_is_used_before_defined() -> None:
    nb = load(notebook(code("y = model(1)", count=2), code("def model(x):\n    return x", count=1)))
    codes = _codes(lint_notebook(nb))
    assert "used-before-defined" in codes
    (warning,) = [w for w in lint_notebook(nb) if w.code == "used-before-defined"]
    assert "(cell 2 (In [1]) does, further down)" in warning.message


def test_a_name_only_a_skipped_cell_defines() -> None:
    nb = load(
        notebook(
            code("secret = 1", count=1, tags=["skip-execution"]), code("print(secret)", count=2)
        )
    )
    assert "defined-in-skipped-cell" in _codes(lint_notebook(nb))


def test_builtins_ipython_names_functions_comprehensions_and_magics_are_not_flagged() -> None:
    nb = load(
        notebook(
            code("%matplotlib inline\nimport os as system", count=1),
            code("files = !ls\nprint(len(files), In, Out, _, display)", count=2),
            code(
                "def f(a, *args, k=1, **kw):\n    local = a + k\n    return local, sum(args)",
                count=3,
            ),
            code("squares = [i * i for i in range(3)]\ntotal = sum(v for v in squares)", count=4),
            code("%%capture captured\nprint(1)", count=5),
            code("print(captured.stdout)\n%time late = 1\nprint(late)", count=6),
            code("with open(__name__ and 'x', 'w') as fh:\n    fh.write('1')", count=7),
            code(
                "try:\n    import yaml\nexcept ImportError as err:\n    yaml = None\nprint(err)",
                count=8,
            ),
            code("class A:\n    k = 1\n    j = k + 1\nif (n := 3) > 2:\n    print(n)", count=9),
            code("for idx, val in enumerate([1]):\n    print(idx, val)", count=10),
        )
    )
    assert lint_notebook(nb) == ()


def test_a_function_body_using_a_name_nobody_defines_is_flagged() -> None:
    nb = load(notebook(code("def f():\n    return helper(1)", count=1)))
    (warning,) = lint_notebook(nb)
    assert warning.code == "undefined-name"
    assert "a function uses 'helper'" in warning.message


def test_star_imports_and_run_magic_turn_the_name_check_into_a_note() -> None:
    nb = load(notebook(code("from math import *", count=1), code("print(pi, mystery)", count=2)))
    assert [(w.code, w.severity) for w in lint_notebook(nb)] == [("names-unchecked", "note")]
    nb = load(notebook(code("%run helpers.py", count=1), code("print(mystery)", count=2)))
    assert _codes(lint_notebook(nb)) == ["names-unchecked"]


def test_an_absolute_path_into_a_home_folder_is_flagged() -> None:
    nb = load(
        notebook(
            code("import pandas as pd\ndf = pd.read_csv('/home/alice/data/train.csv')", count=1)
        )
    )
    (warning,) = lint_notebook(nb)
    assert warning.code == "home-path"
    assert "'/home/alice/data/train.csv'" in warning.message
    assert "line 2" in warning.message


def test_a_cell_with_a_syntax_error_is_flagged() -> None:
    nb = load(notebook(code("def f(:\n    pass", count=1)))
    (warning,) = lint_notebook(nb)
    assert warning.code == "syntax-error"
    assert "cell 1 (In [1]) is not valid Python (line 1" in warning.message


def test_markdown_cells_count_in_cell_numbers() -> None:
    nb = load(notebook(markdown("# Title"), code("print(missing)", count=1)))
    (warning,) = lint_notebook(nb)
    assert warning.message.startswith("cell 2 (In [1]), line 1 uses 'missing'")


def test_a_notebook_in_another_kernel_language_is_not_read_as_python() -> None:
    nb = load(
        notebook(
            code("x <- read.csv('data.csv')", count=1),
            code("summary(x)", count=3),
            code("y <- 2", count=2),
            kernelspec=kernel("R"),
        )
    )
    (note,) = lint_notebook(nb)
    assert (note.code, note.severity) == ("not-python", "note")
    assert note.message.startswith("its kernel language is r, not Python")


def test_a_cell_that_installs_packages_gets_a_note_not_a_warning() -> None:
    nb = load(
        notebook(
            code("!pip install -q requests==2.32.3", count=1),
            code("%pip install tqdm", count=2),
            code("x = 1", count=3),
        )
    )
    found = lint_notebook(nb)
    assert _codes(found) == ["installs-packages", "installs-packages"]
    assert {w.severity for w in found} == {"note"}
    assert found[0].message.startswith(
        "cell 1 (In [1]), line 1 installs packages (!pip install -q requests==2.32.3)"
    )
    assert found[1].cell == 1


def test_the_exit_code_of_a_shell_line_is_an_ipython_name_not_an_undefined_one() -> None:
    nb = load(
        notebook(
            code("!ls data", count=1),
            code("if _exit_code != 0:\n    print('no data folder')", count=2),
        )
    )
    assert lint_notebook(nb) == ()
