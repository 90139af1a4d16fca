"""Rendering the run deltas of ``nbtrack diff --runs``: markdown, terminal lines, JSON.

For: the pull-request comment (markdown placed after the code diff's summary
table by ``vcs.render_markdown``), the terminal (lines after the code diff)
and the JSON document (the diff's, with the deltas under ``"runs"``).
Per changed notebook: which run stands for each side, the params that
changed, and each metric's last value on both sides with its delta,
relative delta and a better/worse verdict by the metric's direction; or the
sentence saying why a side has no run. Numbers read as ``nbtrack compare``
writes them (``compare.formatting``).

User text (run names, param keys and values, paths, the ``--runs-where``
expression) goes into markdown code spans with pipes escaped, and to a
terminal through :func:`~nbtrack.printable.printable`. It only formats.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from nbtrack.compare.comparison_model import ComparisonData, MetricRow, MetricStats
from nbtrack.compare.formatting import DIRECTION_UNKNOWN, MISSING, delta_text, number, param_text
from nbtrack.compare.pr import NotebookRuns, RunDeltas, SideRun, missing_text
from nbtrack.printable import printable
from nbtrack.vcs.diffmodel import DiffResult, to_jsonable
from nbtrack.vcs.render_markdown import code_span, inline_text, table_text

__all__ = [
    "deltas_jsonable",
    "deltas_lines",
    "deltas_markdown",
    "plain_text",
    "print_lines",
    "render_pr_json",
]

#: (rich style, text) of one terminal line
Line = tuple[str, str]
_VERDICT = {"better": "✅ better", "worse": "❌ worse", "same": "= same"}
_VERDICT_STYLE = {"better": "green", "worse": "red", "same": "dim"}
#: a run named by more than this many characters is shortened in a heading
_NAME = 60


# -- markdown --------------------------------------------------------------------------------


def deltas_markdown(deltas: RunDeltas, *, cap: int) -> str:
    """The run deltas as markdown of at most *cap* characters.

    Notebooks come in the diff's order; the one that does not fit whole is
    shortened (its last table rows go), and the ones after it are counted in
    a closing note.
    """
    head = ["### Runs", ""]
    span = f"{_md(deltas.old_label)} → {_md(deltas.new_label)}"
    intro = (
        f"The newest finished run of each changed notebook at each side's commit, {span} "
        "(runs with uncommitted changes left out)"
    )
    if deltas.where is not None:
        intro += f", among runs matching {_md(deltas.where)}"
    head.extend([intro + ".", ""])
    if not deltas.notebooks:
        head.extend(["No notebook changed, so there are no runs to compare.", ""])
    text = "\n".join(head) + "\n"
    for position, nb in enumerate(deltas.notebooks):
        block = _notebook_markdown(nb, deltas)
        rest = len(deltas.notebooks) - position - 1
        if len(text) + len(block) + (len(_CUT) + 10 if rest else 0) <= cap:
            text += block
            continue
        room = cap - len(text) - len(_CUT) - len(_SHORTENED) - 20
        if room >= _MIN_BLOCK:
            text += _shortened(block, room)
        else:
            rest += 1
        return text + (_CUT.format(n=rest) if rest else "")
    return text


#: a notebook's run deltas shortened to fewer characters than this say nothing: left out
_MIN_BLOCK = 300
_SHORTENED = "\n_… more rows cut to fit the comment._\n\n"
_CUT = (
    "_… run deltas of {n} more notebooks cut to fit the comment; "
    "run `nbtrack diff --runs` for all._\n"
)


def _shortened(block: str, room: int) -> str:
    """*block* cut to *room* characters at a line end (tables lose their last rows)."""
    kept = block[:room].rsplit("\n", 1)[0]
    return kept.rstrip("\n") + "\n" + _SHORTENED


def _notebook_markdown(nb: NotebookRuns, deltas: RunDeltas) -> str:
    lines = [f"#### {_md(nb.path)}", ""]
    for side, name in ((nb.base, "base"), (nb.head, "head")):
        if side.run is None:
            lines.append(f"- {name}: {missing_text(side, deltas.where, code=_md, command=_md)}")
        else:
            lines.append(f"- {name}: run {_run_md(side)} at {_at_md(side)}")
    lines.append("")
    c = nb.comparison
    if c is not None:
        lines.extend(_params_markdown(c))
        lines.extend(_metrics_markdown(c))
    return "\n".join(lines) + "\n"


def _params_markdown(c: ComparisonData) -> list[str]:
    if not c.params:
        return ["Params: no changes.", ""]
    lines = ["| param | base | head |", "| --- | --- | --- |"]
    for row in c.params:
        base, head = row.cells[0], row.cells[1]
        cells = [
            _md(row.key),
            *(_md(param_text(x.value)) if x.present else MISSING for x in (base, head)),
        ]
        lines.append("| " + " | ".join(table_text(cell) for cell in cells) + " |")
    return [*lines, ""]


def _metrics_markdown(c: ComparisonData) -> list[str]:
    if not c.metrics:
        return ["Metrics: neither run logged one.", ""]
    lines = ["| metric | base | head | change | |", "| --- | ---: | ---: | ---: | --- |"]
    unknown = []
    for row in c.metrics:
        base, head = row.runs[0], row.runs[1]
        judged = _VERDICT.get(head.verdict or "", "") if head is not None else ""
        if row.direction is None:
            unknown.append(row.key)
        cells = [
            _md(row.key) + _arrow(row),
            _last(base),
            _last(head),
            delta_text(head.delta_last, head.relative_last) if head is not None else "",
            judged,
        ]
        lines.append("| " + " | ".join(table_text(cell) for cell in cells) + " |")
    lines.append("")
    if unknown:
        lines.extend(
            [f"{', '.join(_md(key) for key in unknown)}: {inline_text(DIRECTION_UNKNOWN)}.", ""]
        )
    return lines


def _arrow(row: MetricRow) -> str:
    return {"higher": " ↑", "lower": " ↓"}.get(row.direction or "", "")


def _last(stats: MetricStats | None) -> str:
    return MISSING if stats is None else number(stats.last)


def _run_md(side: SideRun) -> str:
    assert side.run is not None
    short = side.run.id[:8]
    if side.run.name:
        return f"{_md(_shorten(side.run.name))} ({_md(short)})"
    return _md(short)


def _at_md(side: SideRun) -> str:
    short = side.commit[:7]
    if short in side.label:
        return _md(side.label)
    return f"{_md(short)} ({_md(side.label)})"


def _md(text: str) -> str:
    """User text as a code span, its controls and bidi overrides shown as escapes."""
    return code_span(printable(text))


def _shorten(text: str) -> str:
    return text if len(text) <= _NAME else text[: _NAME - 1] + "…"


# -- terminal --------------------------------------------------------------------------------


def deltas_lines(deltas: RunDeltas) -> list[Line]:
    """Every line of the run deltas with a rich style name ('' for none), printable."""
    lines: list[Line] = [("", ""), ("bold", f"runs: {deltas.old_label} -> {deltas.new_label}")]
    if deltas.where is not None:
        lines.append(("dim", f"  among runs matching {deltas.where}"))
    if not deltas.notebooks:
        lines.append(("dim", "  no notebook changed, so there are no runs to compare"))
    for nb in deltas.notebooks:
        lines.extend(_notebook_lines(nb, deltas))
    return [(style, printable(text, tabs=True, caret=True)) for style, text in lines]


def _notebook_lines(nb: NotebookRuns, deltas: RunDeltas) -> list[Line]:
    lines: list[Line] = [("", ""), ("bold", f"{nb.path}")]
    for side, name in ((nb.base, "base"), (nb.head, "head")):
        if side.run is None:
            lines.append(("yellow", f"  {name}: {missing_text(side, deltas.where)}"))
        else:
            label = f"{side.run.name} ({side.run.id[:8]})" if side.run.name else side.run.id[:8]
            lines.append(("dim", f"  {name}: run {label} at {side.where}"))
    c = nb.comparison
    if c is None:
        return lines
    rows: list[tuple[str, list[str]]] = []
    if c.params:
        rows.append(("bold", ["param", "base", "head", "", ""]))
        for row in c.params:
            values = [param_text(x.value) if x.present else MISSING for x in row.cells[:2]]
            rows.append(("", [row.key, *values, "", ""]))
    else:
        lines.append(("dim", "  params: no changes"))
    if c.metrics:
        rows.append(("bold", ["metric", "base", "head", "change", ""]))
        for metric in c.metrics:
            base, head = metric.runs[0], metric.runs[1]
            verdict = (head.verdict if head is not None else None) or ""
            change = delta_text(head.delta_last, head.relative_last) if head is not None else ""
            judged = verdict or ("" if metric.direction else "direction unknown")
            cells = [metric.key + _arrow(metric), _last(base), _last(head), change, judged]
            rows.append((_VERDICT_STYLE.get(verdict, ""), cells))
    else:
        lines.append(("dim", "  metrics: neither run logged one"))
    lines.extend(_aligned(rows))
    return lines


def _aligned(rows: list[tuple[str, list[str]]]) -> list[Line]:
    if not rows:
        return []
    cells = [[printable(cell, caret=True) for cell in row] for _, row in rows]
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
    return [
        (
            style,
            "  "
            + "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip(),
        )
        for (style, _), row in zip(rows, cells, strict=True)
    ]


def print_lines(lines: list[Line], *, color: bool, file: TextIO | None = None) -> None:
    """Draw styled lines with rich when *color*, else as plain text."""
    out = file or sys.stdout
    if not color:
        out.write(plain_text(lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True, force_terminal=True)
    for style, text in lines:
        console.print(Text(text, style=style))


def plain_text(lines: list[Line]) -> str:
    return "\n".join(text for _, text in lines) + "\n"


# -- json ------------------------------------------------------------------------------------


def deltas_jsonable(deltas: RunDeltas) -> dict[str, Any]:
    """Plain data of the run deltas (strict JSON: NaN and ±inf as strings)."""
    from nbtrack.compare.render_json import comparison_jsonable

    return {
        "old_commit": deltas.old_commit,
        "new_commit": deltas.new_commit,
        "where": deltas.where,
        "notebooks": [
            {
                "path": nb.path,
                "status": nb.status,
                "base": _side_jsonable(nb.base),
                "head": _side_jsonable(nb.head),
                "comparison": None if nb.comparison is None else comparison_jsonable(nb.comparison),
            }
            for nb in deltas.notebooks
        ],
    }


def _side_jsonable(side: SideRun) -> dict[str, Any]:
    run = None if side.run is None else {"id": side.run.id, "name": side.run.name}
    return {
        "label": side.label,
        "commit": side.commit,
        "path": side.path,
        "run": run,
        "dirty_runs_skipped": side.dirty_skipped,
        "note": side.note or None,
    }


def render_pr_json(diff: DiffResult, deltas: RunDeltas) -> str:
    """``nbtrack diff``'s JSON document with the run deltas added under ``"runs"``."""
    document = to_jsonable(diff)
    document["runs"] = deltas_jsonable(deltas)
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
