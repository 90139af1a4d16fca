"""Terminal rendering of a comparison: rich tables on a tty, aligned plain text in a pipe.

The comparison becomes a list of titled tables once (:func:`comparison_tables`);
``print_terminal`` draws them with rich and colours a better value green and
a worse one red, or ``render_plain`` lays them out as plain columns (what
``nbtrack compare | less``, a CI log and ``print(comparison)`` show). The code
diff is drawn by ``nbtrack diff``'s own terminal renderer. Every cell goes
through :func:`~nbtrack.printable.printable`: a run name, param or path cannot
act on the terminal. rich is imported only when drawing.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO

from nbtrack.compare.comparison_model import ComparisonData, MetricRow, MetricStats, RunHeader
from nbtrack.compare.formatting import (
    DIRECTION_UNKNOWN,
    MISSING,
    best_text,
    commit_text,
    data_text,
    delta_text,
    direction_text,
    number,
    param_text,
    time_text,
)
from nbtrack.printable import printable

__all__ = ["Table", "comparison_tables", "print_terminal", "render_plain"]

#: (text, rich style) of one cell
Cell = tuple[str, str]
_VERDICT_STYLE = {"better": "green", "worse": "red", "same": "dim"}


@dataclass
class Table:
    """One section of the comparison: a title, a header row, rows of styled cells, notes."""

    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: lines said under the table (or instead of it, when it has no rows)
    notes: list[str] = field(default_factory=list)
    #: (style, text) lines that follow as they are (the code diff)
    lines: list[tuple[str, str]] = field(default_factory=list)


def comparison_tables(c: ComparisonData) -> list[Table]:
    """Every section of *c* as a :class:`Table`, text escaped for a terminal."""
    tables = [_runs(c), _params(c), _metrics(c), _data(c), _packages(c)]
    if c.code_compared:
        tables.append(_code(c))
    for table in tables:
        table.title = printable(table.title)
        table.columns = [printable(text) for text in table.columns]
        table.rows = [[(printable(text), style) for text, style in row] for row in table.rows]
        table.notes = [printable(note) for note in table.notes]
        table.lines = [
            (style, printable(text, tabs=True, caret=True)) for style, text in table.lines
        ]
    return tables


def render_plain(c: ComparisonData) -> str:
    """The comparison as plain text: titled, aligned columns, no colour."""
    out: list[str] = [printable(_headline(c))]
    for table in comparison_tables(c):
        out += ["", table.title]
        if table.rows:
            out += _aligned([table.columns, *[[text for text, _ in row] for row in table.rows]])
        out += [f"  {note}" for note in table.notes]
        out += [text for _, text in table.lines]
    return "\n".join(out).rstrip() + "\n"


def print_terminal(c: ComparisonData, *, color: bool, file: TextIO | None = None) -> None:
    """Print the comparison: rich tables when *color*, else :func:`render_plain`."""
    out = file or sys.stdout
    if not color:
        out.write(render_plain(c))
        return
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    console = Console(file=out, highlight=False, force_terminal=True)
    console.print(Text(printable(_headline(c)), style="bold"))
    for table in comparison_tables(c):
        console.print()
        if table.rows:
            drawn = RichTable(title=Text(table.title, style="bold"), title_justify="left")
            for column in table.columns:
                drawn.add_column(Text(column), overflow="fold")
            for row in table.rows:
                drawn.add_row(*(Text(text, style=style) for text, style in row))
            console.print(drawn)
        else:
            console.print(Text(table.title, style="bold"))
        for note in table.notes:
            console.print(Text(f"  {note}", style="dim"))
        for style, text in table.lines:
            console.print(Text(text, style=style), soft_wrap=True)


def _headline(c: ComparisonData) -> str:
    return f"Comparing {len(c.runs)} runs; baseline: run {c.baseline.label}"


def _aligned(rows: list[list[str]]) -> list[str]:
    from rich.cells import cell_len

    widths = [max(cell_len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = (text + " " * (w - cell_len(text)) for text, w in zip(row, widths, strict=True))
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _run_columns(c: ComparisonData) -> list[str]:
    return [f"{run.label}{' (baseline)' if i == 0 else ''}" for i, run in enumerate(c.runs)]


def _runs(c: ComparisonData) -> Table:
    table = Table("Runs", ["run", "notebook", "status", "started", "commit", "python"])
    for i, run in enumerate(c.runs):
        name = run.label + (" (baseline)" if i == 0 else "")
        table.rows.append(
            [
                (name, "bold" if i == 0 else ""),
                (run.notebook or MISSING, ""),
                (run.status, ""),
                (time_text(run.started_at), ""),
                (commit_text(run), _dirty(run)),
                (run.python, ""),
            ]
        )
    if len(c.notebooks) > 1:
        table.notes.append(f"the runs come from {len(c.notebooks)} different notebooks")
    if len(c.experiments) > 1:
        table.notes.append(f"the runs come from {len(c.experiments)} experiments: "
                           + ", ".join(c.experiments))  # fmt: skip
    return table


def _dirty(run: RunHeader) -> str:
    return "yellow" if run.git_dirty else ""


def _params(c: ComparisonData) -> Table:
    title = "Params" if c.all_params else "Params that differ"
    table = Table(title, ["param", *_run_columns(c)])
    for row in c.params:
        cells: list[Cell] = [(row.key, "bold")]
        for cell in row.cells:
            text = param_text(cell.value) if cell.present else MISSING
            cells.append((text, "yellow" if cell.changed else ""))
        table.rows.append(cells)
    if not c.params:
        table.notes.append("no params logged" if c.all_params else "every param is the same")
    return table


def _metrics(c: ComparisonData) -> Table:
    table = Table("Metrics", ["metric", "better", "", *_run_columns(c)])
    for row in c.metrics:
        table.rows.extend(_metric_rows(row))
        if row.direction is None:
            table.notes.append(f"{row.key}: {DIRECTION_UNKNOWN}")
    if not c.metrics:
        table.notes.append("no run logged a metric")
    return table


def _metric_rows(row: MetricRow) -> list[list[Cell]]:
    last: list[Cell] = [(row.key, "bold"), (direction_text(row), "dim"), ("last", "dim")]
    best: list[Cell] = [("", ""), ("", ""), ("best", "dim")]
    span: list[Cell] = [("", ""), ("", ""), ("min..max", "dim")]
    for stats in row.runs:
        if stats is None:
            for line in (last, best, span):
                line.append((MISSING, "dim"))
            continue
        last.append(_judged(number(stats.last), stats, best=False))
        best.append(_judged(best_text(stats), stats, best=True))
        span.append((f"{number(stats.min)}..{number(stats.max)}", ""))
    return [last, best, span] if row.direction is not None else [last, span]


def _judged(value: str, stats: MetricStats, *, best: bool) -> Cell:
    """``0.93  +0.02 (+2.2%) better``, styled by the verdict."""
    delta = delta_text(
        stats.delta_best if best else stats.delta_last,
        stats.relative_best if best else stats.relative_last,
    )
    verdict = stats.verdict_best if best else stats.verdict
    text = "  ".join(part for part in (value, delta, verdict or "") if part)
    return text, _VERDICT_STYLE.get(verdict or "", "")


def _data(c: ComparisonData) -> Table:
    table = Table("Data", ["path", "", *_run_columns(c)])
    labels = {"same": "same", "changed": "changed", "partial": "only in some runs"}
    for row in c.data:
        style = {"same": "dim", "changed": "yellow", "partial": "yellow"}[row.status]
        makers = row.makers or (None,) * len(row.refs)
        digests = [(data_text(r, m), "") for r, m in zip(row.refs, makers, strict=True)]
        table.rows.append([(row.path, "bold"), (labels[row.status], style), *digests])
    if not c.data:
        table.notes.append("no run recorded a data version")
    return table


def _packages(c: ComparisonData) -> Table:
    table = Table("Packages that differ", ["package", *_run_columns(c)])
    for row in c.packages:
        table.rows.append([(row.name, "bold"), *((v or "not installed", "") for v in row.versions)])
    unknown = [run.label for run, ok in zip(c.runs, c.packages_captured, strict=False) if not ok]
    if unknown:
        table.notes.append("no package list stored for run " + ", ".join(unknown))
    if not c.packages:
        table.notes.append("the same versions everywhere")
    return table


def _code(c: ComparisonData) -> Table:
    from nbtrack.vcs.diffmodel import DiffResult
    from nbtrack.vcs.render_terminal import terminal_lines

    table = Table("Code", [])
    for change in c.code:
        run = c.runs[change.run]
        if change.diff is None:
            table.lines.append(("yellow", f"  run {run.label}: {change.note}"))
        elif change.same:
            table.lines.append(("dim", f"  run {run.label}: the same code as the baseline"))
        else:
            nb = change.diff
            table.lines.append(("bold", f"  run {run.label} against the baseline: {nb.summary()}"))
            table.lines.extend(terminal_lines(DiffResult(nb.old_label, nb.new_label, (nb,))))
    return table
