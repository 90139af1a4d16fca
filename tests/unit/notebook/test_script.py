"""Notebook -> script with a line map back to the cells."""

from __future__ import annotations

from typing import Any

from nbtrack.notebook import to_script
from nbtrack.notebook.document import Notebook
from tests.helpers.notebooks import code, load, markdown, notebook


def _nb(*cells: Any) -> Notebook:
    return load(notebook(*cells), "nb.ipynb")


def _line_of(script_text: str, needle: str) -> int:
    return next(n for n, line in enumerate(script_text.splitlines(), 1) if needle in line)


def test_every_code_line_maps_back_to_its_cell_and_line() -> None:
    nb = _nb(
        markdown("# Title"),
        code("a = 1\nb = 2"),
        code("c = a + b\nd = c * 2\ne = d"),
    )
    script = to_script(nb)
    assert script.cell_of(_line_of(script.text, "d = c * 2")) == (2, 2)
    assert script.cell_of(_line_of(script.text, "a = 1")) == (1, 1)
    assert "# %% cell 3" in script.text
    assert "Title" not in script.text
    assert script.cell_of(_line_of(script.text, "# %% cell 2")) is None


def test_skipped_cells_are_marked_but_not_included() -> None:
    nb = _nb(code("boom()", tags=["skip-execution"]), code("other()", tags=["nbtrack:skip"]))
    script = to_script(nb)
    assert "boom()" not in script.text
    assert "other()" not in script.text
    assert "not run: tagged skip-execution" in script.text


def test_ipython_syntax_is_translated_and_line_numbers_kept() -> None:
    nb = _nb(code("%matplotlib inline\nfiles = !ls\nx = 1"))
    script = to_script(nb)
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in script.text
    assert "files = get_ipython().getoutput('ls')" in script.text
    assert script.cell_of(_line_of(script.text, "x = 1")) == (0, 3)
    assert "ipython this_file.py" in script.text


def test_a_cell_magic_maps_to_the_first_line_of_its_cell() -> None:
    nb = _nb(code("%%capture out\nprint(1)\nprint(2)"))
    script = to_script(nb)
    line = _line_of(script.text, "run_cell_magic('capture'")
    assert script.cell_of(line) == (0, 1)


def test_the_script_compiles() -> None:
    nb = _nb(code("import os\n%time x = 1\n!echo hi"), code("def f():\n    return 1"))
    compile(to_script(nb).text, "script.py", "exec")


def test_cells_keep_their_numbers_when_parameters_were_injected() -> None:
    from nbtrack.notebook import inject_parameters

    nb = _nb(code("lr = 0.1", tags=["parameters"]), code("print(lr)"))
    script = to_script(inject_parameters(nb, {"lr": 0.5}))
    assert "# %% injected parameters\n# Parameters injected by nbtrack\nlr = 0.5\n" in script.text
    assert "# %% cell 2\nprint(lr)\n" in script.text


def test_nbval_markers_skip_or_allow_errors_only_as_whole_comment_lines() -> None:
    from nbtrack.notebook import allows_error, is_skipped

    nb = _nb(
        code("%%time\n# NBVAL_SKIP\nboom()"),
        code("#NBVAL_RAISES_EXCEPTION\n1 / 0"),
        code("x = 1  # NBVAL_SKIP"),
        code("# NBVAL_SKIP because it needs a GPU\ny = 2"),
        code("z = 3", tags=["nbval-skip"]),
        code("1 / 0", tags=["nbval-raises-exception"]),
    )
    cells = nb.code_cells

    assert [is_skipped(c) for c in cells] == [True, False, False, False, True, False]
    assert [allows_error(c) for c in cells] == [False, True, False, False, False, True]
    script = to_script(nb)
    assert "boom()" not in script.text
    assert "# %% cell 1 (not run: marked # NBVAL_SKIP)" in script.text
    assert "# %% cell 5 (not run: tagged nbval-skip)" in script.text
