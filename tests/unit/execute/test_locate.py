"""nbtrack run names the failing cell as the user numbers it, not as the engine ran it."""

from __future__ import annotations

from nbtrack.execute.locate import cell_failure, error_line, stopped_cell

#: a user's notebook of three cells, run with an injected cell after the first
ORIGIN = (0, None, 1, 2)


def test_a_cell_after_the_injected_one_is_numbered_as_in_the_users_file() -> None:
    failure = cell_failure(3, 4, "\nraise ValueError('no')\n", "ValueError", "no", ORIGIN)
    assert failure.describe() == "cell 3 (In [4]) `raise ValueError('no')` raised ValueError: no"


def test_the_cell_running_when_the_run_was_stopped_is_named_as_the_user_numbers_it() -> None:
    cells = [
        {"source": ["lr = 0.1"], "execution_count": 1, "metadata": {}},
        {"source": "lr = 0.5", "execution_count": 2, "metadata": {}},
        {"source": ["import time\n", "time.sleep(60)"], "execution_count": 3, "metadata": {}},
        {"source": "print('never')", "execution_count": None, "metadata": {}},
    ]

    failure = stopped_cell(cells, 2, TimeoutError("\n----\ncell timed out\n"), ORIGIN)

    assert failure is not None
    assert failure.describe() == (
        "cell 2 (In [3]) `import time` did not finish: TimeoutError: cell timed out"
    )
    assert stopped_cell(cells, None, TimeoutError(), ORIGIN) is None


def test_error_line_is_the_first_line_that_says_something() -> None:
    assert error_line(RuntimeError("\n-----\n  Kernel died  \nmore")) == "Kernel died"
    assert error_line(RuntimeError()) == ""
