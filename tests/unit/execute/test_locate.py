"""nbtrack run names the failing cell as the user numbers it, not as papermill ran it."""

from __future__ import annotations

import json
from pathlib import Path

from nbtrack.execute.locate import cell_failure, error_line, stopped_cell

#: a user's notebook of three cells, run with an injected cell after the first
ORIGIN = (0, None, 1, 2)


def test_a_cell_after_the_injected_one_is_numbered_as_in_the_users_file() -> None:
    failure = cell_failure(3, 4, "\nraise ValueError('no')\n", "ValueError", "no", ORIGIN)
    assert failure.describe() == "cell 3 (In [4]) `raise ValueError('no')` raised ValueError: no"


def test_the_cell_running_when_papermill_stopped_is_read_from_its_save(tmp_path: Path) -> None:
    cells = [
        {"source": ["lr = 0.1"], "execution_count": 1, "metadata": {"papermill": {}}},
        {"source": "lr = 0.5", "execution_count": 2, "metadata": {}},
        {
            "source": ["import time\n", "time.sleep(60)"],
            "execution_count": 3,
            "metadata": {"papermill": {"start_time": "2026-01-01T00:00:00"}},
        },
        {"source": "print('never')", "execution_count": None, "metadata": {"papermill": {}}},
    ]
    executed = tmp_path / "executed.ipynb"
    executed.write_text(json.dumps({"cells": cells}))

    failure = stopped_cell(executed, TimeoutError("\n----\ncell timed out\n"), ORIGIN)

    assert failure is not None
    assert failure.describe() == (
        "cell 2 (In [3]) `import time` did not finish: TimeoutError: cell timed out"
    )
    assert stopped_cell(tmp_path / "missing.ipynb", TimeoutError(), ORIGIN) is None


def test_error_line_is_the_first_line_that_says_something() -> None:
    assert error_line(RuntimeError("\n-----\n  Kernel died  \nmore")) == "Kernel died"
    assert error_line(RuntimeError()) == ""
