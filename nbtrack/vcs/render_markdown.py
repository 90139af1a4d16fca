"""Markdown rendering of a notebook diff, sized for a GitHub pull-request comment.

First a summary table of every changed notebook (status, cells added,
deleted, modified, moved), then one section per notebook, smallest first,
one block per changed cell; source changes in ```` ```diff ```` fences
(long ones folded in ``<details>``), outputs as one summary line each.

The whole text stays under a character cap (default 60,000, below GitHub's
65,536-character comment limit). Every notebook is shown with at least its
headline and its first change before any notebook gets a second one; the
rest is filled smallest notebook first, so a big notebook is what gets cut,
and a note at the end names what was cut.

Cell ids, paths, labels and any other text a notebook or git supplied go
into code spans (or ``<code>`` inside HTML), never raw: a cell id like
``@octocat</details>`` neither pings anyone nor closes a tag. It only
formats a ``DiffResult``; it computes nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from nbtrack.vcs.diffmodel import CellDiff, DiffResult, MetadataChange, NotebookDiff, OutputChange

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "MARKDOWN_CAP",
    "code_span",
    "inline_text",
    "render_markdown",
    "table_text",
]

GITHUB_COMMENT_LIMIT = 65_536
#: default cap: leaves room for a workflow's own heading around the diff
MARKDOWN_CAP = 60_000
#: cells whose diff body is longer than this many lines are folded
_FOLD_LINES = 20
#: no single cell block (or notebook heading) may take more than this share of the cap
_BLOCK_SHARE = 4
#: the summary table takes at most this share of the cap
_TABLE_SHARE = 4
_NOTE_RESERVE = 1_500
_MAX_LINE = 400
#: a first change shortened to fewer characters than this says nothing: heading only
_MIN_BLOCK = 400
#: text made only of these characters cannot be markup, a mention or a reference
_PLAIN = re.compile(r"[A-Za-z0-9./+_-]+")


@dataclass
class _Section:
    """One notebook's markdown: its heading, its cell blocks, and what got shown."""

    nb: NotebookDiff
    head: str
    blocks: list[str]
    shown: list[str] = field(default_factory=list)
    #: cell changes shown (a shortened first block counts as shown)
    cells_shown: int = 0

    @property
    def size(self) -> int:
        return len(self.head) + sum(len(block) for block in self.blocks)

    @property
    def minimum(self) -> str:
        return self.head + (self.blocks[0] if self.blocks else "")


def render_markdown(result: DiffResult, *, cap: int = MARKDOWN_CAP, insert: str = "") -> str:
    """The diff as GitHub-flavoured markdown of at most ``cap`` characters.

    *insert* is markdown another part wrote (``nbtrack diff --runs``' run
    deltas), placed after the summary table and counted in the cap; it must
    leave room for the diff (a third of the cap at most).
    """
    changed = [nb for nb in result.notebooks if nb.has_changes]
    header = _header(result, changed)
    insert = insert.rstrip("\n") + "\n\n" if insert.strip() else ""
    if not changed:
        return (header + insert).rstrip() + "\n"
    table = _summary_table(changed, cap // _TABLE_SHARE)
    share = max(cap // _BLOCK_SHARE, 200)
    sections = [
        _Section(
            nb,
            _fit(_notebook_header(nb), share),
            [_cell_block(cell, result, share) for cell in nb.cells],
        )
        for nb in changed
    ]
    sections.sort(key=lambda section: section.size)  # stable: equal sizes keep git's order
    budget = cap - len(header) - len(table) - len(insert) - _NOTE_RESERVE
    _fill_smallest_first(sections, _place_first_changes(sections, budget))
    parts = [header, table, insert, *("".join(section.shown) for section in sections)]
    cut = [section for section in sections if section.cells_shown < len(section.nb.cells)]
    cut += [section for section in sections if not section.shown and not section.nb.cells]
    if cut:
        parts.append(_cut_note(cut, _NOTE_RESERVE - 50))
    text = "".join(parts).rstrip() + "\n"
    assert len(text) <= cap or cap < _NOTE_RESERVE * 2, "markdown cap exceeded"
    return text


def _place_first_changes(sections: list[_Section], budget: int) -> int:
    """Give every notebook its heading and first change, sharing ``budget`` fairly.

    Water-filling, smallest first: a notebook takes what it needs up to an equal
    share of what is left, so what a small one leaves goes to the bigger ones.
    A first change too big for its share is shortened; a heading that does not
    fit is left out (the table still names the notebook). Returns what is left.
    """
    left = budget
    order = sorted(range(len(sections)), key=lambda k: len(sections[k].minimum))
    for placed, k in enumerate(order):
        section = sections[k]
        fair = left // (len(order) - placed)
        if len(section.minimum) <= fair:
            section.shown = [section.minimum]
            section.cells_shown = min(1, len(section.blocks))
        elif len(section.head) <= fair:
            section.shown = [section.head]
            room = fair - len(section.head)
            if section.blocks and room >= _MIN_BLOCK:
                section.shown.append(_fit(section.blocks[0], room))
                section.cells_shown = 1
        left -= sum(len(piece) for piece in section.shown)
    return left


def _fill_smallest_first(sections: list[_Section], left: int) -> None:
    """Add each notebook's further changes, smallest notebook first, while they fit."""
    for section in sections:
        if section.shown != [section.minimum]:
            continue  # its first change was shortened or left out: nothing more fits
        for block in section.blocks[1:]:
            if len(block) > left:
                break
            section.shown.append(block)
            section.cells_shown += 1
            left -= len(block)


def _header(result: DiffResult, changed: list[NotebookDiff]) -> str:
    span = f"{_code(result.old_label)} → {_code(result.new_label)}"
    if not changed:
        return f"**nbtrack diff** {span}: no notebook changes.\n\n"
    noun = "notebook" if len(changed) == 1 else "notebooks"
    return f"**nbtrack diff** {span}: {len(changed)} {noun} changed.\n\n"


def _summary_table(changed: list[NotebookDiff], limit: int) -> str:
    """Every changed notebook in one table (rows past ``limit`` counted, not listed)."""
    lines = [
        "| notebook | status | cells added | cells deleted | cells modified | cells moved |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    size = sum(len(line) + 1 for line in lines) + 200
    for position, nb in enumerate(changed):
        counts = nb.counts()
        status = _status(nb)
        numbers = " | ".join(str(counts[k]) for k in ("added", "deleted", "modified", "moved"))
        row = f"| {_cell_text(_code(nb.path))} | {_cell_text(status)} | {numbers} |"
        if size + len(row) + 1 > limit:
            rest = len(changed) - position
            lines.append(f"| … and {rest} more notebooks | | | | | |")
            break
        lines.append(row)
        size += len(row) + 1
    return "\n".join(lines) + "\n\n"


def _status(nb: NotebookDiff) -> str:
    if nb.status == "renamed" and nb.old_path:
        return f"renamed from {_code(nb.old_path)}"
    return nb.status


def _cell_text(text: str) -> str:
    """Text for a table cell: a pipe, even inside a code span, must be escaped."""
    return text.replace("|", "\\|")


def _notebook_header(nb: NotebookDiff) -> str:
    lines = [f"## {_code(nb.path)} ({_status(nb)})", ""]
    lines.append(f"{nb.headline()} · {_code(nb.old_label)} → {_code(nb.new_label)}")
    lines.append("")
    if nb.metadata:
        lines.append("Notebook metadata:")
        lines.extend(_metadata_lines(nb.metadata))
        lines.append("")
    return "\n".join(lines) + "\n"


def _title_parts(cell: CellDiff) -> tuple[str, str]:
    """(where, what): ``cell 4`` and ``(code) modified``, the type as the notebook says."""
    where, _, rest = cell.title.partition(f" ({cell.cell_type}) ")
    return where, rest


def _markdown_title(cell: CellDiff) -> str:
    where, label = _title_parts(cell)
    title = f"{where} ({_user(cell.cell_type)}) {label}"
    if cell.cell_id:
        title += f" · id {_code(cell.cell_id)}"
    return f"**{title}**"


def _html_title(cell: CellDiff) -> str:
    where, label = _title_parts(cell)
    kind = html.escape(cell.cell_type)
    if not _PLAIN.fullmatch(cell.cell_type):
        kind = f"<code>{kind}</code>"
    title = f"{html.escape(where)} ({kind}) {html.escape(label)}"
    if cell.cell_id:
        title += f" · id <code>{html.escape(_one_line(cell.cell_id))}</code>"
    return title


def _cell_block(cell: CellDiff, result: DiffResult, limit: int) -> str:
    body = _body_lines(cell)
    extra: list[str] = []
    if cell.source_note:
        extra.append(f"- {_escape_inline(cell.source_note)}")
    if cell.execution_count:
        old, new = cell.execution_count
        extra.append(f"- execution count: {old} → {new}")
    for change in cell.outputs:
        extra.append(f"- {_where(change)}: {_output_summary(change)}")
        if change.text_diff:
            extra.extend(["", *_fenced("diff", list(change.text_diff), indent="  "), ""])
    if cell.metadata:
        extra.extend(_metadata_lines(cell.metadata))
    lines: list[str] = []
    fold = len(body) > _FOLD_LINES
    plus, minus = cell.line_counts
    if fold:
        summary = f"{_html_title(cell)} (+{plus} -{minus} lines)"
        lines.extend(["<details>", f"<summary>{summary}</summary>", ""])
    else:
        lines.extend([_markdown_title(cell), ""])
    if body:
        lines.extend(_fenced("diff", body))
        lines.append("")
    if extra:
        lines.extend([*extra, ""])
    if fold:
        lines.extend(["</details>", ""])
    return _fit("\n".join(lines) + "\n", limit)


def _where(change: OutputChange) -> str:
    if change.attachment is not None:
        return f"attachment {_code(change.attachment)}"
    return change.where


def _output_summary(change: OutputChange) -> str:
    """The summary line, its MIME type (the notebook's text) in a code span unless plain."""
    kind, summary = change.kind, change.summary
    if summary.startswith(kind):
        return _user(kind) + _escape_inline(summary[len(kind) :])
    return _escape_inline(summary)


def _body_lines(cell: CellDiff) -> list[str]:
    if cell.status == "added":
        return ["+" + line for line in cell.new_source.splitlines()]
    if cell.status == "deleted":
        return ["-" + line for line in cell.old_source.splitlines()]
    return list(cell.source_diff)


def _metadata_lines(changes: tuple[MetadataChange, ...]) -> list[str]:
    lines = []
    for change in changes:
        old = _code(change.old) if change.old is not None else "(none)"
        new = _code(change.new) if change.new is not None else "(none)"
        lines.append(f"- metadata {_code(change.key)}: {old} → {new}")
    return lines


def _fenced(language: str, lines: list[str], indent: str = "") -> list[str]:
    """A fenced block whose fence is longer than any backtick run inside it."""
    clipped = [line if len(line) <= _MAX_LINE else line[:_MAX_LINE] + " …" for line in lines]
    longest = max((len(run) for line in clipped for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{indent}{fence}{language}", *(indent + line for line in clipped), indent + fence]


def _fit(block: str, limit: int) -> str:
    """Shorten one oversized block, keeping fences balanced, with a note of the cut."""
    if len(block) <= limit:
        return block
    lines = block.split("\n")
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit - 200:
            break
        kept.append(line)
        size += len(line) + 1
    dropped = len(lines) - len(kept)
    closing = []
    fence = _open_fence(kept)
    if fence is not None:
        closing.append(fence)
    if any(line == "<details>" for line in kept):
        closing.extend(["", "</details>"])
    note = f"_… {dropped} more lines of this cell cut to fit the comment._"
    return "\n".join([*kept, *closing, "", note, ""]) + "\n"


def _open_fence(lines: list[str]) -> str | None:
    """The closing line a code fence still open at the end of ``lines`` needs, else None.

    Only the fences ``_fenced`` writes count: inside one, a diff line such as
    `` ```python`` (an unchanged markdown line) is content, shorter than the fence.
    """
    open_fence: str | None = None
    for line in lines:
        stripped = line.strip()
        if open_fence is None:
            match = re.fullmatch(r"(`{3,})[\w-]*", stripped)
            if match:
                open_fence = line[: len(line) - len(line.lstrip())] + match.group(1)
        elif stripped == open_fence.strip():
            open_fence = None
    return open_fence


def _cut_note(cut: list[_Section], limit: int) -> str:
    start = "> **Diff cut** to stay under GitHub's 65,536-character comment limit. Not shown: "
    end = ". Run `nbtrack diff` locally for the whole diff."
    pieces: list[str] = []
    size = len(start) + len(end)
    for position, section in enumerate(cut):
        if not section.shown:
            piece = f"all of {_code(section.nb.path)}"
        else:
            cells = len(section.nb.cells) - section.cells_shown
            noun = "cell change" if cells == 1 else "cell changes"
            piece = f"{cells} {noun} in {_code(section.nb.path)}"
        more = f"and {len(cut) - position} more notebooks"
        if size + len(piece) + len(more) + 4 > limit:
            pieces.append(more)
            break
        pieces.append(piece)
        size += len(piece) + 2
    return start + ", ".join(pieces) + end + "\n"


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+", " ", text)


def _code(text: str) -> str:
    """Inline code that survives backticks in ``text`` (shortened when long)."""
    text = _one_line(text)
    if len(text) > 120:
        text = text[:117] + "..."
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _user(text: str) -> str:
    """A notebook's word shown as is when plain (``code``, ``image/png``), else as code."""
    return text if _PLAIN.fullmatch(text) else _code(text)


def _escape_inline(text: str) -> str:
    """Plain text outside code: no HTML tags or entities, no markdown emphasis or links.

    ``>`` is left alone (only a quote at the start of a line, never here), so
    ``12 KB -> 14 KB`` reads the same raw and rendered.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", text)


#: the escapers, public for markdown that other parts add to a diff's (``nbtrack diff --runs``):
#: user text as a code span, text for a table cell, plain text outside code
code_span = _code
table_text = _cell_text
inline_text = _escape_inline
