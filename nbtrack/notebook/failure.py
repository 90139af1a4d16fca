"""The cell that stopped a notebook, as a value both runners return.

``nbtrack smoke`` and ``nbtrack run`` run notebooks in different ways (a
fresh process, a papermill kernel) but report a failure the same way: the
cell numbered as in the file the user wrote, the exception, and what is known
of where in the cell it happened. Renderers (console, JUnit, JSON, GitHub,
the ``nbtrack run`` summary) only read it. Both name the cells a notebook
that ended itself early never ran with :func:`cell_list`.

Not for: finding the failing cell or line (each runner knows its own
evidence), or mapping an executed cell back to the user's
(:func:`nbtrack.notebook.params.cell_origin`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CellFailure", "cell_list", "first_code_line"]

#: longest first line :meth:`CellFailure.describe` quotes whole
_FIRST_LINE_WIDTH = 60


def first_code_line(source: str) -> str:
    """The first non-blank line of *source*, stripped, shortened to 60 characters.

    >>> first_code_line("\\n  import time\\ntime.sleep(60)")
    'import time'
    """
    lines = (line.strip() for line in source.splitlines())
    first = next((line for line in lines if line), "")
    if len(first) <= _FIRST_LINE_WIDTH:
        return first
    return first[: _FIRST_LINE_WIDTH - 3] + "..."


def cell_list(numbers: list[int], shown: int = 6) -> str:
    """1-based cell numbers as a report names them: "cell 4", "cells 4, 6", "cells 4, ... 40".

    >>> cell_list([4, 5, 7, 8, 9, 10, 11, 12])
    'cells 4, 5, 7, 8, 9 and 3 more, up to cell 12'
    """
    if len(numbers) == 1:
        return f"cell {numbers[0]}"
    if len(numbers) <= shown:
        return "cells " + ", ".join(map(str, numbers))
    first = ", ".join(map(str, numbers[: shown - 1]))
    return f"cells {first} and {len(numbers) - shown + 1} more, up to cell {numbers[-1]}"


@dataclass(frozen=True)
class CellFailure:
    """Where and how a notebook failed.

    ``cell`` is the 0-based index in the user's notebook (None for the cell
    nbtrack injected); ``line`` is 1-based within the cell, when known.
    ``excerpt`` holds ``(line number, text)`` pairs around ``line``.
    ``first_line`` is the cell's first line (:func:`first_code_line`), when
    the runner names the cell by it; ``raised`` is False when the cell was
    stopped from outside (a timeout, the kernel died) rather than raising.
    """

    cell: int | None
    execution_count: int | None
    line: int | None
    excerpt: tuple[tuple[int, str], ...]
    ename: str
    evalue: str
    traceback: tuple[str, ...] = ()
    hint: str | None = None
    first_line: str = ""
    raised: bool = True

    @property
    def cell_label(self) -> str:
        if self.cell is None:
            return "the injected parameters cell"
        label = f"cell {self.cell + 1}"
        if self.execution_count is not None:
            label += f" (In [{self.execution_count}])"
        return label

    @property
    def headline(self) -> str:
        """``cell 7 (In [12]), line 3: NameError: name 'x' is not defined``."""
        where = self.cell_label
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self._error}"

    def describe(self) -> str:
        """``cell 2 (In [2]) `import time` did not finish: CellTimeoutError: ...``.

        The sentence ``nbtrack run`` ends with: the cell, its first line, and
        whether it raised or was stopped.
        """
        where = f" `{self.first_line}`" if self.first_line else ""
        verb = "raised" if self.raised else "did not finish:"
        return f"{self.cell_label}{where} {verb} {self._error}"

    @property
    def _error(self) -> str:
        return f"{self.ename}: {self.evalue}" if self.evalue else self.ename

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell_index": self.cell,
            "cell_number": None if self.cell is None else self.cell + 1,
            "execution_count": self.execution_count,
            "line": self.line,
            "excerpt": [list(pair) for pair in self.excerpt],
            "ename": self.ename,
            "evalue": self.evalue,
            "traceback": list(self.traceback),
            "hint": self.hint,
        }
