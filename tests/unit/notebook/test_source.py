"""Literal assignments of a cell, with IPython syntax neutralised first."""

from __future__ import annotations

import pytest

from nbtrack.notebook import literal_assignments, neutralise_ipython


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("lr = 0.1\nepochs = 10", {"lr": 0.1, "epochs": 10}),
        ("seed = -1\nscale = -0.5", {"seed": -1, "scale": -0.5}),
        (
            "name = 'adam'\nflag = True\nnothing = None",
            {"name": "adam", "flag": True, "nothing": None},
        ),
        ("layers = [64, 32]\nopt = {'lr': 1e-3}", {"layers": [64, 32], "opt": {"lr": 0.001}}),
        ("pair = (1, 'a')\nkinds = {1, 2}", {"pair": (1, "a"), "kinds": {1, 2}}),
        ("a, b = 1, 2", {"a": 1, "b": 2}),
        ("(a, b), c = (1, 2), 3", {"a": 1, "b": 2, "c": 3}),
        ("a = b = 5", {"a": 5, "b": 5}),
        ("lr: float = 0.01", {"lr": 0.01}),
        ("x = 1\nx = compute()", {}),
        ("x = 1\nx += 1", {}),
        ("a, b = f()", {}),
        ("model = make_model()\nlr = 0.1", {"lr": 0.1}),
        ("if True:\n    hidden = 1", {}),
        ("def f():\n    local = 1", {}),
        ("x = 1 +", {}),
    ],
)
def test_literal_assignments(source: str, expected: dict[str, object]) -> None:
    assert literal_assignments(source) == expected


def test_literal_assignments_see_through_magics_and_shell_escapes() -> None:
    source = "%matplotlib inline\nfiles = !ls\nlr = 0.1\n!echo hi\nlen?\nbatch = 32"
    assert literal_assignments(source) == {"lr": 0.1, "batch": 32}


def test_literal_assignments_read_the_body_of_track_params() -> None:
    source = "# hyper-parameters\n%%track_params\nlr = 0.1\nepochs = 3\n"
    assert literal_assignments(source) == {"lr": 0.1, "epochs": 3}


def test_a_cell_magic_with_a_non_python_body_defines_nothing() -> None:
    assert literal_assignments("%%bash\nx=1\necho $x\n") == {}


def test_a_percent_line_inside_a_string_is_left_alone() -> None:
    source = 'template = """\n%s items\n"""'
    assert literal_assignments(source) == {"template": "\n%s items\n"}


def test_neutralising_keeps_line_numbers_and_indentation() -> None:
    source = "for i in range(3):\n    %timeit f(i)\n    out = !ls\n%time y = 1"
    result = neutralise_ipython(source)
    assert result.split("\n") == [
        "for i in range(3):",
        "    pass",
        "    out = (...)()",
        "y = 1",
    ]
