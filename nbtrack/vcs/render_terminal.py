"""Terminal rendering of a notebook diff: coloured on a tty, plain text in a pipe.

Produces (style, text) lines once; ``print_terminal`` sends them through
rich when colour is wanted, or prints them plainly (so ``nbtrack diff | less``
and CI logs stay clean). rich is imported only on the colour path.
"""

from __future__ import annotations

import sys
from typing import TextIO

from nbtrack.printable import printable
from nbtrack.vcs.diffmodel import CellDiff, DiffResult, NotebookDiff

__all__ = ["print_terminal", "render_plain", "terminal_lines"]

Line = tuple[str, str]


def terminal_lines(result: DiffResult) -> list[Line]:
    """Every line of the diff with a rich style name ('' for none)."""
    lines: list[Line] = []
    changed = [nb for nb in result.notebooks if nb.has_changes]
    if not changed:
        lines.append(("dim", f"no notebook changes ({result.old_label} -> {result.new_label})"))
        return lines
    for nb in changed:
        lines.extend(_notebook_lines(nb, result))
    # a notebook under review must not move the cursor, retitle the terminal or reorder text
    return [(style, printable(text, tabs=True, caret=True)) for style, text in lines]


def render_plain(result: DiffResult) -> str:
    return "\n".join(text for _, text in terminal_lines(result)) + "\n"


def print_terminal(result: DiffResult, *, color: bool, file: TextIO | None = None) -> None:
    out = file or sys.stdout
    if not color:
        out.write(render_plain(result))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True)
    for style, text in terminal_lines(result):
        console.print(Text(text, style=style))


def _notebook_lines(nb: NotebookDiff, result: DiffResult) -> list[Line]:
    status = nb.status if nb.status != "renamed" else f"renamed from {nb.old_path}"
    lines: list[Line] = [
        ("bold", f"{nb.path} ({status}): {nb.headline()}"),
        ("dim", f"  {nb.old_label} -> {nb.new_label}"),
    ]
    for change in nb.metadata:
        lines.append(("yellow", f"  metadata {change.key}: {change.old} -> {change.new}"))
    for cell in nb.cells:
        lines.extend(_cell_lines(cell, result))
    lines.append(("", ""))
    return lines


def _cell_lines(cell: CellDiff, result: DiffResult) -> list[Line]:
    title = cell.title + (f"  id={cell.cell_id}" if cell.cell_id else "")
    style = {"added": "green", "deleted": "red"}.get(cell.status, "cyan")
    lines: list[Line] = [("", ""), (f"bold {style}", f"  {title}")]
    if cell.status == "added":
        lines.extend(("green", f"    +{line}") for line in cell.new_source.splitlines())
    elif cell.status == "deleted":
        lines.extend(("red", f"    -{line}") for line in cell.old_source.splitlines())
    else:
        for line in cell.source_diff:
            line_style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
            if line.startswith("@@"):
                line_style = "cyan"
            lines.append((line_style, f"    {line}"))
    if cell.source_note:
        lines.append(("yellow", f"    {cell.source_note}"))
    if cell.execution_count:
        old, new = cell.execution_count
        lines.append(("dim", f"    execution count: {old} -> {new}"))
    for output in cell.outputs:
        lines.append(("yellow", f"    {output.where}: {output.summary}"))
        for line in output.text_diff:
            line_style = (
                "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
            )
            lines.append((line_style, f"      {line}"))
    for change in cell.metadata:
        lines.append(("yellow", f"    metadata {change.key}: {change.old} -> {change.new}"))
    return lines
