"""The smoke child protocol: records survive the pipe, and the failing line is read one way."""

from __future__ import annotations

import json
import subprocess
import sys

from nbtrack.smoke.protocol import (
    BODY_FRAME,
    CELL_FRAME,
    DONE,
    ERROR,
    INNER_FRAME,
    START,
    ChildCell,
    ChildPlan,
    Event,
    error_line,
    failing_line,
    magic_line,
    relabel_cells,
    stack_line,
    traceback_line,
)


def _raise_in_cell(source: str, count: int) -> BaseException:
    try:
        exec(compile(source, f"<ipython-input-{count}-0123abcd>", "exec"), {})
    except Exception as exc:
        return exc
    raise AssertionError("the cell did not raise")


def test_events_and_plans_come_through_the_pipe_unchanged() -> None:
    event = Event(ERROR, cell=2, ename="NameError", line=3, traceback=("a", "b"), name="x")
    plan = ChildPlan(
        cwd="/work",
        env={"A": "1"},
        cells=(ChildCell("x = 1", False, "cell 1"),),
        restore_tags={3: ["nbtrack:skip"]},
    )

    assert Event.from_json(event.to_json()) == event
    assert ChildPlan.from_json(plan.to_json()) == plan
    assert json.loads(Event(START, cell=0).to_json()) == {"kind": "start", "cell": 0}


def test_an_allowed_error_is_not_the_last_event_but_done_is() -> None:
    assert Event(DONE).final
    assert Event(ERROR, cell=1).final
    assert not Event(ERROR, cell=1, allowed=True).final
    assert not Event(START, cell=1).final


def test_the_innermost_frame_in_the_cell_names_the_line() -> None:
    assert failing_line([(CELL_FRAME, 3), (CELL_FRAME, 2)], "def f():\n    1/0\nf()") == 2
    assert failing_line([(CELL_FRAME, 3), (CELL_FRAME, 2)], "", outermost=True) == 3
    assert failing_line([], "x = 1") is None


def test_a_cell_magic_body_is_numbered_from_the_line_below_the_magic() -> None:
    source = "\n%%time\nx = 1\n1/0"
    assert magic_line(source) == 2
    assert failing_line([(CELL_FRAME, 1), (BODY_FRAME, 2)], source) == 4
    assert failing_line([(CELL_FRAME, 1), (INNER_FRAME, 2)], source) == 4
    # a line magic's body (%time x) is no line of the cell
    assert failing_line([(CELL_FRAME, 3), (BODY_FRAME, 1)], "a = 1\nb = 2\n%time 1/0") == 3


def test_a_live_exception_names_its_line_in_the_cell() -> None:
    err = _raise_in_cell("def f():\n    return 1/0\nf()", count=7)

    assert error_line(err, 7, "def f():\n    return 1/0\nf()") == 2
    assert error_line(err, 8, "anything") is None


def test_a_kernel_traceback_names_the_cells_own_line() -> None:
    text = (
        "\x1b[31mZeroDivisionError\x1b[0m\nCell In[4], line 3\n      1 def f():\n"
        "----> 3 f()\n\nCell In[2], line 5, in g()\nCell In[4], line 2, in f()\n"
    )
    assert traceback_line(text, 4, "def f():\n    1/0\nf()") == 3
    assert traceback_line(text, None, "") == 3
    assert traceback_line("File <timed exec>:2\nCell In[9], line 1", 9, "%%time\nx\n1/0") == 3


def test_a_stack_dump_names_the_line_the_cell_was_stuck_on() -> None:
    stack = (
        "Current thread 0x1 (most recent call first):\n"
        '  File "/lib/time.py", line 10 in sleep\n'
        '  File "<ipython-input-5-ab12>", line 4 in wait\n'
        '  File "<ipython-input-5-ab12>", line 9 in <module>\n'
    )
    assert stack_line(stack, 5) == 4
    assert stack_line(stack, 6) is None
    assert stack_line(stack, None) is None


def test_cells_are_named_as_the_report_names_them() -> None:
    text = 'File "<ipython-input-3-ff00>", line 1 and <ipython-input-9-aa>'
    assert relabel_cells(text, {3: "cell 2"}) == 'File "<cell 2>", line 1 and <cell>'


def test_the_protocol_imports_nothing_beyond_the_standard_library() -> None:
    code = (
        "import sys\nbefore = set(sys.modules)\nimport nbtrack.smoke.protocol\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if m.split('.')[0] not in sys.stdlib_module_names))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(
        ["nbtrack", "nbtrack._version", "nbtrack.smoke", "nbtrack.smoke.protocol"]
    )
