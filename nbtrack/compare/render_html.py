"""HTML rendering of a comparison: one self-contained fragment, no script.

For: ``Comparison._repr_html_`` (Jupyter), ``nbtrack compare --format html``
and the static report. :func:`comparison_html` returns a ``<div
class="nbtrack-compare">`` whose look comes from CSS classes under that one
class, so it cannot restyle the page around it; :data:`COMPARISON_CSS` is the
``<style>`` block those classes need, included in the fragment unless the
caller (a report with many fragments) includes it once itself. The page can
make no network request and runs nothing. Every string a run, a notebook or a
user supplied is escaped with :func:`html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape as html_escape

from nbtrack.compare.comparison_model import CodeChange, ComparisonData, MetricStats
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
from nbtrack.vcs.diffmodel import CellDiff

__all__ = ["COMPARISON_CSS", "comparison_html", "render_html"]

#: the styles of a comparison fragment, all scoped under ``.nbtrack-compare``
COMPARISON_CSS = """
.nbtrack-compare{font-family:system-ui,sans-serif;font-size:.9rem;color:#1f2328}
.nbtrack-compare h3{font-size:1.05rem;margin:.8rem 0 .3rem}
.nbtrack-compare h4{font-size:.95rem;margin:.8rem 0 .3rem}
.nbtrack-compare table{border-collapse:collapse;margin:.2rem 0}
.nbtrack-compare th,.nbtrack-compare td{border:1px solid #d0d7de;padding:.2rem .5rem;
text-align:left;vertical-align:top}
.nbtrack-compare th{background:#f6f8fa}
.nbtrack-compare td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.nbtrack-compare .better{color:#1a7f37}.nbtrack-compare .worse{color:#cf222e}
.nbtrack-compare .same,.nbtrack-compare .dim{color:#57606a}
.nbtrack-compare .changed{background:#fff8c5}
.nbtrack-compare .note{color:#57606a;margin:.2rem 0}
.nbtrack-compare pre.diff{font-family:ui-monospace,monospace;font-size:.8rem;margin:.2rem 0;
padding:.3rem;background:#f6f8fa;white-space:pre-wrap;word-break:break-word}
.nbtrack-compare pre.diff span{display:block}
.nbtrack-compare pre.diff .add{background:#e6ffec}.nbtrack-compare pre.diff .del{background:#ffebe9}
.nbtrack-compare pre.diff .hunk{color:#0550ae}
"""


def _escape(text: str) -> str:
    """*text* for HTML: markup escaped, control characters shown as escapes (``\\x1b``)."""
    return html_escape(printable(text, lines=True, tabs=True))


def comparison_html(c: ComparisonData, *, style: bool = True) -> str:
    """The comparison as an HTML fragment (with its ``<style>`` block unless *style* is False)."""
    parts = [
        '<div class="nbtrack-compare">',
        f"<style>{COMPARISON_CSS}</style>" if style else "",
        f"<h3>Comparing {len(c.runs)} runs; baseline: {_escape(c.baseline.label)}</h3>",
        _runs(c),
        _params(c),
        _metrics(c),
        _data(c),
        _packages(c),
        _code(c) if c.code_compared else "",
        "</div>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def render_html(c: ComparisonData) -> str:
    """A complete HTML document around :func:`comparison_html` (``--format html``)."""
    title = _escape(f"nbtrack compare: {len(c.runs)} runs, baseline {c.baseline.label}")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\n<body>\n{comparison_html(c)}</body></html>\n"
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of cells that are already HTML (``<td>`` or ``<th>`` included)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _td(text: str, cls: str = "") -> str:
    return f'<td class="{cls}">{_escape(text)}</td>' if cls else f"<td>{_escape(text)}</td>"


def _run_header(c: ComparisonData) -> list[str]:
    return [_escape(run.label) + (" (baseline)" if i == 0 else "") for i, run in enumerate(c.runs)]


def _runs(c: ComparisonData) -> str:
    rows = [
        [
            _td(run.label + (" (baseline)" if i == 0 else "")),
            _td(run.notebook or MISSING),
            _td(run.status),
            _td(time_text(run.started_at), "num"),
            _td(commit_text(run), "changed" if run.git_dirty else ""),
            _td(run.python or MISSING),
            *([_td(run.experiment)] if len(c.experiments) > 1 else []),
        ]
        for i, run in enumerate(c.runs)
    ]
    header = ["run", "notebook", "status", "started", "commit", "python"]
    return _table(header + (["experiment"] if len(c.experiments) > 1 else []), rows)


def _params(c: ComparisonData) -> str:
    title = "<h4>Params</h4>" if c.all_params else "<h4>Params that differ</h4>"
    if not c.params:
        said = "No params logged." if c.all_params else "Every param is the same."
        return f'{title}<p class="note">{said}</p>'
    rows = []
    for row in c.params:
        cells = [f"<th>{_escape(row.key)}</th>"]
        for cell in row.cells:
            text = param_text(cell.value) if cell.present else MISSING
            cells.append(_td(text, "changed" if cell.changed else ""))
        rows.append(cells)
    return title + _table(["param", *_run_header(c)], rows)


def _metrics(c: ComparisonData) -> str:
    if not c.metrics:
        return '<h4>Metrics</h4><p class="note">No run logged a metric.</p>'
    rows = []
    for row in c.metrics:
        cells = [f"<th>{_escape(row.key)}</th>", _td(direction_text(row), "dim")]
        cells += [_stats_cell(stats) for stats in row.runs]
        rows.append(cells)
    notes = "".join(
        f'<p class="note">{_escape(row.key)}: {_escape(DIRECTION_UNKNOWN)}</p>'
        for row in c.metrics
        if row.direction is None
    )
    return "<h4>Metrics</h4>" + _table(["metric", "better", *_run_header(c)], rows) + notes


def _stats_cell(stats: MetricStats | None) -> str:
    if stats is None:
        return _td(MISSING, "dim")
    lines = [_judged(number(stats.last), stats.delta_last, stats.relative_last, stats.verdict)]
    if stats.best is not None:
        best = _judged(best_text(stats), stats.delta_best, stats.relative_best, stats.verdict_best)
        lines.append(f"best {best}")
    lines.append(
        f'<span class="dim">{_escape(number(stats.min))}..{_escape(number(stats.max))}</span>'
    )
    return f'<td class="num">{"<br>".join(lines)}</td>'


def _judged(value: str, delta: float | None, relative: float | None, verdict: str | None) -> str:
    text = " ".join(part for part in (value, delta_text(delta, relative), verdict or "") if part)
    return f'<span class="{verdict}">{_escape(text)}</span>' if verdict else _escape(text)


def _data(c: ComparisonData) -> str:
    if not c.data:
        return ""
    labels = {"same": "same", "changed": "changed", "partial": "only in some runs"}
    rows = [
        [
            f"<th>{_escape(row.path)}</th>",
            _td(labels[row.status], "" if row.status == "same" else "changed"),
        ]
        + [
            _td(data_text(ref, maker))
            for ref, maker in zip(row.refs, row.makers or (None,) * len(row.refs), strict=True)
        ]
        for row in c.data
    ]
    return "<h4>Data</h4>" + _table(["path", "", *_run_header(c)], rows)


def _packages(c: ComparisonData) -> str:
    if not c.packages:
        return ""
    rows = [
        [f"<th>{_escape(row.name)}</th>"] + [_td(v or "not installed") for v in row.versions]
        for row in c.packages
    ]
    return "<h4>Packages that differ</h4>" + _table(["package", *_run_header(c)], rows)


def _code(c: ComparisonData) -> str:
    parts = ["<h4>Code against the baseline</h4>"]
    for change in c.code:
        parts.append(_change(c, change))
    return "\n".join(parts)


def _change(c: ComparisonData, change: CodeChange) -> str:
    who = _escape(c.runs[change.run].label)
    if change.diff is None:
        return f'<p class="note">{who}: {_escape(change.note)}</p>'
    if change.same:
        return f'<p class="note">{who}: the same code as the baseline</p>'
    nb = change.diff
    cells = "".join(_cell(cell) for cell in nb.cells)
    return f"<details open><summary>{who}: {_escape(nb.summary())}</summary>{cells}</details>"


def _cell(cell: CellDiff) -> str:
    if cell.status == "added":
        lines = [("add", f"+{line}") for line in cell.new_source.splitlines()]
    elif cell.status == "deleted":
        lines = [("del", f"-{line}") for line in cell.old_source.splitlines()]
    else:
        kinds = {"+": "add", "-": "del", "@": "hunk"}
        lines = [(kinds.get(line[:1], ""), line) for line in cell.source_diff]
    if cell.source_note:
        lines.append(("hunk", cell.source_note))
    body = "".join(f'<span class="{kind}">{_escape(text) or " "}</span>' for kind, text in lines)
    return f'<div class="dim">{_escape(cell.title)}</div><pre class="diff">{body}</pre>'
