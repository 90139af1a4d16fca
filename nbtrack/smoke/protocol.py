"""The smoke child protocol: what the parent and a child process say to each other.

For: the plan the parent sends (one JSON document on the plan pipe, read by
:func:`receive_plan`), the events a child sends back (one JSON object a line
on the events pipe, written by :class:`EventPipe`), the kinds of event, the
patterns both sides read IPython's names with, and *which line of a cell
failed or was stuck* -- worked out by :func:`failing_line` from the frames of
an exception (script child), of a kernel's traceback text (kernel child) or
of a stack dump taken at a timeout (parent).

Not for: starting, watching or judging a child (:mod:`nbtrack.smoke.process`,
:mod:`nbtrack.smoke.verdict`). Standard library only: both children import
this before IPython or nbclient, and a child's import time is on the critical
path of every smoke run.
"""

from __future__ import annotations

import ast
import json
import os
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any, Final, NamedTuple

__all__ = [
    "ANSI",
    "CELL_FILE",
    "DISPLAY_NOTE",
    "DONE",
    "END",
    "ERROR",
    "EXIT",
    "LINE",
    "NOTICE",
    "SKIPPED",
    "START",
    "ChildCell",
    "ChildPlan",
    "Event",
    "EventPipe",
    "error_line",
    "failing_line",
    "magic_line",
    "receive_plan",
    "relabel_cells",
    "result_line",
    "stack_line",
    "traceback_line",
]

#: the file name IPython compiles cell ``In [n]`` under (``<ipython-input-7-1a2b3c>``)
CELL_FILE: Final = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")
#: terminal colour codes, as a kernel's traceback text is full of them
ANSI: Final = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: what an error's value is followed by when a display formatter raised it while the
#: cell's result was built for display (a kernel fails the cell; both engines say so)
DISPLAY_NOTE: Final = "raised while building the display of the cell's result"
#: where IPython's cell magics compile the cell's body (the line after the ``%%`` line)
_BODY_FILES: Final = ("<timed exec>", "<magic-timeit>")
#: a kernel's traceback text names cells and magic bodies like this
_KERNEL_CELL: Final = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_KERNEL_BODY: Final = re.compile(r"File <(?:timed exec|magic-timeit)>:(\d+)")

# event kinds, the ``kind`` of an :class:`Event`
#: ``cell`` starts (``execution_count``: the one IPython gives it, script engine)
START: Final = "start"
#: ``cell`` ended without an error
END: Final = "end"
#: ``cell`` raised (``allowed``: tagged ``raises-exception``, the run goes on)
ERROR: Final = "error"
#: ``cell`` ended the notebook cleanly (``sys.exit(0)``, ``raise SystemExit``,
#: ``exit()``; ``text`` says which, ``line`` where when known): no later cell runs
EXIT: Final = "exit"
#: a top-level statement of the running ``cell`` starts at ``line`` (script engine): what
#: names the line when the process dies without a word (SIGKILL, out of memory)
LINE: Final = "line"
#: every cell ran
DONE: Final = "done"
#: the notebook could not be run here (``reason``), e.g. its kernel is not installed
SKIPPED: Final = "skipped"
#: something the report should say although the notebook passed (``text``)
NOTICE: Final = "notice"


# The records are NamedTuples, not dataclasses: both children define them on
# their critical path, and a NamedTuple class costs a fifth of a dataclass's.


class ChildCell(NamedTuple):
    """A cell the script child runs, as the report names it (``label``: "cell 7")."""

    source: str
    allow_error: bool
    label: str


class ChildPlan(NamedTuple):
    """Everything a child needs to run one notebook; the parent sends it once.

    Both engines: ``cwd``, ``env`` (added to the child's environment) and
    ``stack_file`` (where the script child dumps its stacks on SIGUSR1).
    Script engine: ``cells``, in order. Kernel engine: the ``notebook`` file
    to execute, where to write it executed (``output``), its kernel and
    language, and the tags to put back on cells before writing it
    (``restore_tags``, by cell index).
    """

    cwd: str
    env: Mapping[str, str] = {}
    stack_file: str = ""
    cells: tuple[ChildCell, ...] = ()
    notebook: str = ""
    output: str | None = None
    kernel_name: str | None = None
    language: str | None = None
    restore_tags: Mapping[int, list[str]] = {}

    def to_json(self) -> str:
        data = self._asdict()
        data["cells"] = [cell._asdict() for cell in self.cells]
        data["restore_tags"] = dict(self.restore_tags)
        data["env"] = dict(self.env)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> ChildPlan:
        data = json.loads(text)
        data["cells"] = tuple(ChildCell(**cell) for cell in data["cells"])
        data["restore_tags"] = {int(k): v for k, v in data["restore_tags"].items()}
        return cls(**data)


class Event(NamedTuple):
    """One thing a child reports; which fields are set depends on ``kind``.

    ``cell`` is the cell's index in what the child was given: the plan's
    ``cells`` (script engine) or the notebook's cells (kernel engine).
    An :data:`ERROR` carries the exception's name and value, the failing
    ``line`` of the cell when known, the traceback from the cell down, and
    what a hint needs: the missing ``name``, ``module`` or ``filename``.
    """

    kind: str
    cell: int | None = None
    execution_count: int | None = None
    allowed: bool = False
    ename: str = "Error"
    evalue: str = ""
    line: int | None = None
    traceback: tuple[str, ...] = ()
    name: str | None = None
    module: str | None = None
    filename: str | None = None
    reason: str = ""
    text: str = ""

    @property
    def final(self) -> bool:
        """Nothing more will happen in this child (the parent stops reading)."""
        return self.kind in (DONE, EXIT, SKIPPED) or (self.kind == ERROR and not self.allowed)

    def to_json(self) -> str:
        # only what differs from the defaults: most events are a kind and a cell
        defaults = self._field_defaults
        data = {
            key: value
            for key, value in zip(self._fields, self, strict=True)
            if key not in defaults or value != defaults[key]
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        data: dict[str, Any] = json.loads(text)
        if "traceback" in data:
            data["traceback"] = tuple(data["traceback"])
        return cls(**data)


class EventPipe:
    """The child's end of the events pipe: one event a line, flushed at once."""

    def __init__(self, fd: int) -> None:
        self._file = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def emit(self, event: Event) -> None:
        self._file.write(event.to_json() + "\n")
        self._file.flush()

    def emit_line(self, cell: int, line: int) -> None:
        """``emit(Event(LINE, cell=cell, line=line))``, cheaper: one per statement run."""
        self._file.write(f'{{"kind": "{LINE}", "cell": {cell:d}, "line": {line:d}}}\n')
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def receive_plan(plan_fd: int) -> ChildPlan | None:
    """Block until the parent's plan arrives, then move into its directory and env.

    None when the parent closed the pipe without a plan (no run needed after all).
    """
    with os.fdopen(plan_fd, "rb") as fh:
        raw = fh.read()
    if not raw:
        return None
    plan = ChildPlan.from_json(raw)
    os.chdir(plan.cwd)
    os.environ.update(plan.env)  # a kernel started from here inherits it
    return plan


def magic_line(source: str) -> int:
    """1-based line of the ``%%magic`` line that opens *source* (0: not a cell magic)."""
    for number, text in enumerate(source.splitlines(), start=1):
        if text.strip():
            return number if text.startswith("%%") else 0
    return 0


def relabel_cells(text: str, labels: Mapping[int, str]) -> str:
    """*text* with IPython's cell file names as the report names cells (``<cell 7>``)."""
    return CELL_FILE.sub(lambda m: f"<{labels.get(int(m.group(1)), 'cell')}>", text)


# kinds of frame failing_line reads
#: a line of the cell, numbered as the user sees it
CELL_FRAME: Final = "cell"
#: a line of a cell magic's body that ``%%time`` / ``%%timeit`` compile on their own,
#: numbered from the line below the ``%%`` line (from a line magic when the cell opens
#: with none, and then no line of the cell)
BODY_FRAME: Final = "body"
#: a line of the cell a magic ran as a cell of its own (``%%capture``), numbered like a body
INNER_FRAME: Final = "inner"


def failing_line(
    frames: Iterable[tuple[str, int | None]], source: str, *, outermost: bool = False
) -> int | None:
    """The line of the cell *source* that failed or was stuck, or None.

    *frames* are ``(kind, line)`` pairs, outermost first. The innermost frame
    in the cell (or in its magic's body) wins; with *outermost*, as a kernel
    reports it, the first frame in the cell does, unless a magic's body shows.
    """
    offset = magic_line(source)
    line: int | None = None
    for kind, number in frames:
        if kind == CELL_FRAME:
            if not outermost or line is None:
                line = number
        elif kind == INNER_FRAME:
            line = number + offset if number else number
        elif kind == BODY_FRAME and offset and number:
            line = number + offset
    return line


def error_line(err: BaseException, count: int, source: str, *, nested: bool = False) -> int | None:
    """The failing line of cell ``In [count]`` from a live exception (script child).

    *nested*: the error came from the cell ``%%capture`` ran for the body, which
    IPython numbers one on (``In [count + 1]``).
    """
    kind, prefix = CELL_FRAME, f"<ipython-input-{count}-"
    if nested:
        kind, prefix = INNER_FRAME, f"<ipython-input-{count + 1}-"
    frames: list[tuple[str, int | None]] = []
    if isinstance(err, SyntaxError) and (err.filename or "").startswith(prefix):
        frames.append((kind, err.lineno))
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename.startswith(prefix):
            frames.append((kind, frame.lineno))
        elif frame.filename in _BODY_FILES:
            frames.append((BODY_FRAME, frame.lineno))
    return failing_line(frames, source)


def traceback_line(text: str, count: int | None, source: str) -> int | None:
    """The failing line from a kernel's traceback text (kernel child).

    Frames in cell ``In [count]`` are the cell's; when none is (or the count
    is unknown), any cell's frame is taken for it.
    """
    text = ANSI.sub("", text)
    cells = [(int(m.group(1)), m.start(), int(m.group(2))) for m in _KERNEL_CELL.finditer(text)]
    own = [c for c in cells if c[0] == count] if count is not None else []
    found = [(at, CELL_FRAME, line) for _, at, line in own or cells]
    found += [(m.start(), BODY_FRAME, int(m.group(1))) for m in _KERNEL_BODY.finditer(text)]
    frames = [(kind, line) for _, kind, line in sorted(found)]
    return failing_line(frames, source, outermost=True)


def stack_line(stack: str, count: int | None) -> int | None:
    """The line cell ``In [count]`` was stuck on, from faulthandler's dump at a timeout."""
    if count is None:
        return None
    pattern = rf'File "<ipython-input-{count}-[0-9a-f]+>", line (\d+)'
    # faulthandler lists the innermost frame first
    frames = [(CELL_FRAME, int(m.group(1))) for m in re.finditer(pattern, stack)]
    return failing_line(reversed(frames), "")


def result_line(code: str, source: str) -> int | None:
    """The line of *source* its last expression starts on (the result a kernel displays).

    *code* is *source* as Python (IPython syntax translated); None when it does
    not parse, ends in a statement, or the translation moved its lines.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    if len(code.splitlines()) != len(source.splitlines()):
        return None
    return tree.body[-1].lineno
