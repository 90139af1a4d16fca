"""Static hidden-state checks on a saved notebook: no kernel, no execution.

What a notebook's saved state gives away about a session a clean run will
not reproduce: execution counts out of document order, code cells never
run, names used before any cell defines them (or that no cell defines at
all: a deleted or edited cell), names only a skipped cell defines, absolute
paths into someone's home, and cells that are not even valid syntax.
Stripped counts are a *note*: the order check had nothing to go on.

``nbtrack lint`` runs this alone (and as a pre-commit hook); ``nbtrack
smoke`` runs it before executing and ``--strict`` makes warnings fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nbtrack.notebook import INJECTED_TAG, Cell, Notebook, is_skipped, kernel_language
from nbtrack.smoke.names import CellNames, analyse_cell, is_builtin
from nbtrack.smoke.result import LintWarning

__all__ = ["HOME_PATH", "NotebookNames", "analyse_notebook", "lint_notebook", "lint_summary"]

#: an absolute path into a user's home folder (Linux, macOS, Windows)
HOME_PATH = re.compile(
    r"""(?<![\w.])(/home/[^/\s'"]+/[^\s'"]*|/Users/[^/\s'"]+/[^\s'"]*|[A-Za-z]:\\{1,2}Users\\{1,2}[^\s'"]+)"""
)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def lint_summary(warnings: int, warned: int, checked: int) -> str:
    """The last line of ``nbtrack lint``: *warnings* found in *warned* of *checked* notebooks.

    >>> lint_summary(0, 0, 1)
    'no warnings in 1 notebook'
    >>> lint_summary(1, 1, 2)
    '1 warning in 1 of 2 notebooks'
    >>> lint_summary(3, 2, 2)
    '3 warnings in both notebooks'
    """
    if not warnings:
        return f"no warnings in {_count(checked, 'notebook')}"
    if warned == checked:
        where = {1: "1 notebook", 2: "both notebooks"}.get(checked, f"all {checked} notebooks")
    else:
        where = f"{warned} of {_count(checked, 'notebook')}"
    return f"{_count(warnings, 'warning')} in {where}"


#: a cell line that installs packages: !pip install, %pip install, !conda install, ...
_INSTALL = re.compile(r"^\s*[!%]\s*(?:python3? -m )?(?:pip3?|conda|mamba|uv pip)\s+install\b")


@dataclass(frozen=True)
class NotebookNames:
    """Per-cell name analysis for the cells a clean run executes."""

    cells: dict[int, CellNames]
    skipped: dict[int, CellNames]
    opaque_cell: int | None

    def definers(self, name: str) -> list[int]:
        """Indexes of the (run) cells that bind *name*."""
        return [i for i, names in self.cells.items() if name in names.defines]

    def skipped_definers(self, name: str) -> list[int]:
        return [i for i, names in self.skipped.items() if name in names.defines]

    def users(self, name: str) -> list[int]:
        """Indexes of cells that read *name* (right away or in a function body)."""
        found = []
        for i, names in {**self.cells, **self.skipped}.items():
            if any(n == name for n, _ in (*names.uses, *names.deferred)):
                found.append(i)
        return sorted(found)


def analyse_notebook(nb: Notebook) -> NotebookNames:
    cells: dict[int, CellNames] = {}
    skipped: dict[int, CellNames] = {}
    opaque: int | None = None
    for cell in nb.code_cells:
        names = analyse_cell(cell.source)
        if is_skipped(cell):
            skipped[cell.index] = names
            continue
        cells[cell.index] = names
        if names.opaque and opaque is None:
            opaque = cell.index
    return NotebookNames(cells=cells, skipped=skipped, opaque_cell=opaque)


def _cell_label(nb: Notebook, index: int) -> str:
    return nb.cells[index].label


def _order_checks(nb: Notebook, code: list[Cell]) -> Iterable[LintWarning]:
    counted = [c for c in code if c.execution_count is not None]
    if not counted:
        if any(c.source.strip() for c in code):
            yield LintWarning(
                "stripped-counts",
                "execution counts are stripped (or the notebook never ran), so the order "
                "check had nothing to go on",
                severity="note",
            )
        return
    previous: Cell | None = None
    for cell in counted:
        if (
            previous is not None
            and previous.execution_count is not None
            and cell.execution_count is not None
            and cell.execution_count < previous.execution_count
        ):
            yield LintWarning(
                "out-of-order",
                f"execution counts out of order: {cell.label} ran before {previous.label} "
                f"above it, so the saved outputs come from a different order than a top-to-"
                f"bottom run",
                cell=cell.index,
            )
        previous = cell
    for cell in code:
        if cell.execution_count is None and cell.source.strip():
            yield LintWarning(
                "never-executed",
                f"{cell.label} was never executed in the saved session, though other cells "
                f"were; its effects are untested",
                cell=cell.index,
            )


def _name_checks(nb: Notebook, names: NotebookNames) -> Iterable[LintWarning]:
    if names.opaque_cell is not None:
        yield LintWarning(
            "names-unchecked",
            f"{_cell_label(nb, names.opaque_cell)} can define names the check cannot see "
            f"(import *, %run, exec or globals()), so undefined names were not checked",
            cell=names.opaque_cell,
            severity="note",
        )
        return
    defined: set[str] = set()
    reported: set[str] = set()
    everywhere = {n for cell in names.cells.values() for n in cell.defines}
    for index, cell_names in names.cells.items():
        label = _cell_label(nb, index)
        for name, line in cell_names.uses:
            if name in defined or is_builtin(name) or name in reported:
                continue
            reported.add(name)
            later = [i for i in names.definers(name) if i > index]
            skipped = names.skipped_definers(name)
            if later:
                yield LintWarning(
                    "used-before-defined",
                    f"{label}, line {line} uses {name!r} before any cell defines it "
                    f"({_cell_label(nb, later[0])} does, further down); a clean run fails here",
                    cell=index,
                )
            elif skipped:
                yield LintWarning(
                    "defined-in-skipped-cell",
                    f"{label}, line {line} uses {name!r}, which only "
                    f"{_cell_label(nb, skipped[0])} defines, and that cell is tagged to be skipped",
                    cell=index,
                )
            else:
                yield LintWarning(
                    "undefined-name",
                    f"{label}, line {line} uses {name!r}, which no cell of the notebook "
                    f"defines (a deleted or edited cell?)",
                    cell=index,
                )
        defined |= cell_names.defines
        for name, line in cell_names.deferred:
            if name in everywhere or is_builtin(name) or name in reported:
                continue
            reported.add(name)
            yield LintWarning(
                "undefined-name",
                f"{label}, line {line}: a function uses {name!r}, which no cell of the "
                f"notebook defines (a deleted or edited cell?)",
                cell=index,
            )


def _syntax_and_paths(nb: Notebook, names: NotebookNames) -> Iterable[LintWarning]:
    for index, cell_names in names.cells.items():
        if cell_names.syntax_error:
            yield LintWarning(
                "syntax-error",
                f"{_cell_label(nb, index)} is not valid Python ({cell_names.syntax_error})",
                cell=index,
            )
    for cell in nb.code_cells:
        if is_skipped(cell):
            continue
        for number, text in enumerate(cell.source.splitlines(), start=1):
            if text.lstrip().startswith("#"):
                continue
            if _INSTALL.match(text):
                yield LintWarning(
                    "installs-packages",
                    f"{cell.label}, line {number} installs packages ({text.strip()}); a smoke "
                    f"run installs them into the environment it runs in. List them in the "
                    f"project's dependencies instead",
                    cell=cell.index,
                    severity="note",
                )
            match = HOME_PATH.search(text)
            if match:
                yield LintWarning(
                    "home-path",
                    f"{cell.label}, line {number} uses {match.group(1)!r}, an absolute path "
                    f"into someone's home folder; it exists on one machine only",
                    cell=cell.index,
                )
                break


def lint_notebook(nb: Notebook) -> tuple[LintWarning, ...]:
    """Every static hidden-state finding for *nb*, in a stable order.

    The checks read Python: a notebook in another kernel language gets one note instead.
    """
    language = kernel_language(nb)
    if language != "python":
        note = (
            f"its kernel language is {language}, not Python, so the hidden-state checks "
            f"(which read Python) were skipped"
        )
        return (LintWarning("not-python", note, severity="note"),)
    code = [c for c in nb.code_cells if INJECTED_TAG not in c.tags]
    names = analyse_notebook(nb)
    found = [
        *_order_checks(nb, [c for c in code if not is_skipped(c)]),
        *_name_checks(nb, names),
        *_syntax_and_paths(nb, names),
    ]
    return tuple(found)
