"""CellFailure: one failing-cell value for smoke's reports and the ``nbtrack run`` summary."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from nbtrack.notebook import CellFailure, first_code_line

#: cell 4 of the user's notebook, run as In [5]
_RAISED = CellFailure(
    cell=3,
    execution_count=5,
    line=None,
    excerpt=(),
    ename="ValueError",
    evalue="labels and images differ in length",
)


def _failure(**fields: Any) -> CellFailure:
    return replace(_RAISED, **fields)


def test_describe_names_the_cell_its_first_line_and_the_error_it_raised() -> None:
    failure = _failure(first_line="raise ValueError('labels and images differ in length')")
    assert failure.describe() == (
        "cell 4 (In [5]) `raise ValueError('labels and images differ in length')` raised "
        "ValueError: labels and images differ in length"
    )


def test_describe_of_a_cell_stopped_from_outside_says_it_did_not_finish() -> None:
    failure = _failure(
        cell=1,
        execution_count=2,
        ename="CellTimeoutError",
        evalue="A cell timed out while it was being executed, after 3 seconds.",
        first_line="import time",
        raised=False,
    )
    assert failure.describe() == (
        "cell 2 (In [2]) `import time` did not finish: CellTimeoutError: "
        "A cell timed out while it was being executed, after 3 seconds."
    )


def test_describe_without_a_first_line_or_a_message_or_a_count() -> None:
    failure = _failure(execution_count=None, ename="SystemExit", evalue="")
    assert failure.describe() == "cell 4 raised SystemExit"


def test_the_injected_cell_is_named_as_such() -> None:
    failure = _failure(cell=None, execution_count=None, first_line="lr = 0.5", raised=False)
    assert failure.describe().startswith("the injected parameters cell `lr = 0.5` did not finish")


def test_smoke_headline_and_dict_do_not_carry_the_run_only_fields() -> None:
    failure = _failure(line=2, excerpt=((2, "raise X"),), first_line="x = 1", raised=False)
    assert failure.headline == (
        "cell 4 (In [5]), line 2: ValueError: labels and images differ in length"
    )
    assert failure.to_dict() == {
        "cell_index": 3,
        "cell_number": 4,
        "execution_count": 5,
        "line": 2,
        "excerpt": [[2, "raise X"]],
        "ename": "ValueError",
        "evalue": "labels and images differ in length",
        "traceback": [],
        "hint": None,
    }


def test_first_code_line_skips_blank_lines_and_shortens_long_ones() -> None:
    assert first_code_line("\n   \n  import time  \ntime.sleep(60)") == "import time"
    assert first_code_line("") == ""
    assert first_code_line("x" * 60) == "x" * 60
    assert first_code_line("x" * 61) == "x" * 57 + "..."
