"""Markdown rendering of a comparison, for a GitHub pull-request comment.

Tables of the runs, the params that differ, the metrics (last with its delta
and a ✅/❌ verdict against the baseline, best with its step, min..max), the
data refs and the packages that differ; then each run's code diff against
the baseline, folded in ``<details>``, drawn by ``nbtrack diff``'s own
markdown renderer. The whole text stays under ``cap`` characters (GitHub
refuses a comment over 65,536).

Whatever a run or a user wrote (names, param keys and values, paths,
versions) goes into a code span with its pipes escaped, never raw: a run
named ``<script>`` or ``a | b`` or ``@octocat`` is text in its own cell, not
markup, a broken table or a mention. It only formats a comparison.
"""

from __future__ import annotations

import re

from nbtrack.compare.comparison_model import ComparisonData, MetricRow, MetricStats
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
)
from nbtrack.printable import printable

__all__ = ["MARKDOWN_CAP", "render_markdown"]

#: below GitHub's 65,536-character comment limit, with room for a workflow's own heading
MARKDOWN_CAP = 60_000
#: a code span of user text keeps at most this many characters
_SPAN = 120
#: a diff given less room than this would show no cell: it is named instead
_MIN_DIFF = 4_000
_VERDICT = {"better": " ✅ better", "worse": " ❌ worse", "same": " = same"}


def render_markdown(c: ComparisonData, *, cap: int = MARKDOWN_CAP) -> str:
    """The comparison as GitHub-flavoured markdown of at most *cap* characters."""
    parts = [
        f"### nbtrack compare: {len(c.runs)} runs, baseline {_code(c.baseline.label)}\n",
        _runs(c),
        _params(c),
        _metrics(c),
        _data(c),
        _packages(c),
    ]
    text = "\n".join(part for part in parts if part)
    if c.code_compared:
        text += "\n" + _code_section(c, max(cap - len(text) - 200, 0))
    if len(text) > cap:
        note = "\n\n_… cut to fit a GitHub comment; run `nbtrack compare` for all of it._\n"
        text = text[: cap - len(note)].rsplit("\n", 1)[0] + note
    return text.rstrip("\n") + "\n"


def _code(text: str) -> str:
    """*text* as one inline code span that survives backticks, pipes and line breaks."""
    # control characters shown as escapes: the comment may be printed to a terminal too
    text = printable(re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", text), tabs=True)
    if len(text) > _SPAN:
        text = text[: _SPAN - 1] + "…"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        # a pipe ends a table cell even inside a code span; GitHub shows "\|" as "|"
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    lines = [line(header), "|" + " --- |" * len(header), *(line(row) for row in rows)]
    return "\n".join(lines) + "\n"


def _run_header(c: ComparisonData) -> list[str]:
    return [_code(run.label) + (" (baseline)" if i == 0 else "") for i, run in enumerate(c.runs)]


def _runs(c: ComparisonData) -> str:
    rows = [
        [
            _code(run.label) + (" (baseline)" if i == 0 else ""),
            _code(run.notebook) if run.notebook else MISSING,
            run.status,
            _code(commit_text(run)) if run.git_commit else MISSING,
            _code(run.python) if run.python else MISSING,
            *([_code(run.experiment)] if len(c.experiments) > 1 else []),
        ]
        for i, run in enumerate(c.runs)
    ]
    header = ["run", "notebook", "status", "commit", "python"]
    return _table(header + (["experiment"] if len(c.experiments) > 1 else []), rows)


def _params(c: ComparisonData) -> str:
    title = "#### Params\n\n" if c.all_params else "#### Params that differ\n\n"
    if not c.params:
        return title + ("No params logged.\n" if c.all_params else "Every param is the same.\n")
    rows = []
    for row in c.params:
        cells = [_code(row.key)]
        for cell in row.cells:
            shown = _code(param_text(cell.value)) if cell.present else MISSING
            cells.append(f"**{shown}**" if cell.changed else shown)
        rows.append(cells)
    return title + _table(["param", *_run_header(c)], rows)


def _metrics(c: ComparisonData) -> str:
    if not c.metrics:
        return "#### Metrics\n\nNo run logged a metric.\n"
    rows = [_metric_row(row) for row in c.metrics]
    notes = [f"- {_code(row.key)}: {DIRECTION_UNKNOWN}" for row in c.metrics if not row.direction]
    table = _table(["metric", "better", *_run_header(c)], rows)
    return "#### Metrics\n\n" + table + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _metric_row(row: MetricRow) -> list[str]:
    cells = [_code(row.key), direction_text(row)]
    for stats in row.runs:
        cells.append(MISSING if stats is None else _stats_cell(stats))
    return cells


def _stats_cell(stats: MetricStats) -> str:
    """``**0.93** +0.02 (+2.2%) ✅ better<br>best 0.94 @ step 9<br>0.5..0.94``."""
    last = f"**{number(stats.last)}**"
    delta = delta_text(stats.delta_last, stats.relative_last)
    if delta:
        last += f" {delta}"
    last += _VERDICT.get(stats.verdict or "", "")
    lines = [last]
    if stats.best is not None:
        best = f"best {best_text(stats)}"
        best_delta = delta_text(stats.delta_best, stats.relative_best)
        best += f", {best_delta}" if best_delta else ""
        lines.append(best + _VERDICT.get(stats.verdict_best or "", ""))
    lines.append(f"{number(stats.min)}..{number(stats.max)}")
    return "<br>".join(lines)


def _data(c: ComparisonData) -> str:
    if not c.data:
        return ""
    labels = {"same": "same", "changed": "**changed**", "partial": "**only in some runs**"}
    rows = [
        [_code(row.path), labels[row.status]]
        + [
            MISSING if ref is None else _code(data_text(ref, maker))
            for ref, maker in zip(row.refs, row.makers or (None,) * len(row.refs), strict=True)
        ]
        for row in c.data
    ]
    return "#### Data\n\n" + _table(["path", "", *_run_header(c)], rows)


def _packages(c: ComparisonData) -> str:
    if not c.packages:
        return ""
    rows = [
        [_code(row.name)] + [_code(v) if v else "not installed" for v in row.versions]
        for row in c.packages
    ]
    return "#### Packages that differ\n\n" + _table(["package", *_run_header(c)], rows)


def _code_section(c: ComparisonData, budget: int) -> str:
    """Each run's code diff in ``<details>``; a diff past *budget* is named, not shown."""
    from nbtrack.vcs.diffmodel import DiffResult
    from nbtrack.vcs.render_markdown import render_markdown as diff_markdown

    blocks = ["#### Code against the baseline\n"]
    left = budget - len(blocks[0])
    share = budget // max(len(c.code), 1) - 200
    for change in c.code:
        who = _code(c.runs[change.run].label)
        if change.diff is None:
            block = f"- {who}: {_escape(change.note)}\n"
        elif change.same:
            block = f"- {who}: the same code as the baseline\n"
        else:
            nb = change.diff
            block = ""
            if share >= _MIN_DIFF:
                body = diff_markdown(DiffResult(nb.old_label, nb.new_label, (nb,)), cap=share)
                block = (
                    f"<details><summary>{_html_code(c.runs[change.run].label)}: "
                    f"{_escape(nb.summary())}</summary>\n\n{body}\n</details>\n"
                )
            if not block or len(block) > left:
                block = (
                    f"- {who}: {_escape(nb.summary())}; its diff is left out to fit the "
                    "comment (`nbtrack compare` shows it)\n"
                )
        left -= len(block) + 1
        blocks.append(block)
    return "\n".join(blocks)


def _escape(text: str) -> str:
    """Plain text outside code: no HTML, no emphasis, links or mentions."""
    text = re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", printable(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("@", "&#64;")


def _html_code(text: str) -> str:
    """*text* inside ``<code>`` (in HTML, markdown code spans do not apply)."""
    from html import escape

    return f"<code>{escape(printable(text)[:_SPAN])}</code>".replace("@", "&#64;")
