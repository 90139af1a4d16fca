"""Markdown rendering of a notebook diff, sized for a GitHub pull-request comment.

One section per notebook, one block per changed cell; source changes in
```` ```diff ```` fences (long ones folded in ``<details>``), outputs as one
summary line each. The whole text stays under a character cap (default
60,000, below GitHub's 65,536-character comment limit) and ends with a note
naming what was cut. It only formats a ``DiffResult``; it computes nothing.
"""

from __future__ import annotations

import html
import re

from nbtrack.vcs.diffmodel import CellDiff, DiffResult, MetadataChange, NotebookDiff

__all__ = ["GITHUB_COMMENT_LIMIT", "MARKDOWN_CAP", "render_markdown"]

GITHUB_COMMENT_LIMIT = 65_536
#: default cap: leaves room for a workflow's own heading around the diff
MARKDOWN_CAP = 60_000
#: cells whose diff body is longer than this many lines are folded
_FOLD_LINES = 20
#: no single cell block may take more than this share of the cap
_BLOCK_SHARE = 4
_NOTE_RESERVE = 1_500
_MAX_LINE = 400


def render_markdown(result: DiffResult, *, cap: int = MARKDOWN_CAP) -> str:
    """The diff as GitHub-flavoured markdown of at most ``cap`` characters."""
    header = _header(result)
    parts = [header]
    used = len(header)
    budget = cap - _NOTE_RESERVE
    cut: list[tuple[NotebookDiff, int, bool]] = []  # (notebook, cells cut, whole notebook)
    full = False
    for nb in result.notebooks:
        if not nb.has_changes:
            continue
        head = _notebook_header(nb)
        if full or used + len(head) > budget:
            full = True
            cut.append((nb, len(nb.cells), True))
            continue
        parts.append(head)
        used += len(head)
        for position, cell in enumerate(nb.cells):
            block = _cell_block(cell, result, max(cap // _BLOCK_SHARE, 200))
            if used + len(block) > budget:
                full = True
                cut.append((nb, len(nb.cells) - position, False))
                break
            parts.append(block)
            used += len(block)
    if cut:
        parts.append(_cut_note(cut, _NOTE_RESERVE - 50))
    text = "".join(parts).rstrip() + "\n"
    assert len(text) <= cap or cap < _NOTE_RESERVE * 2, "markdown cap exceeded"
    return text


def _header(result: DiffResult) -> str:
    changed = [nb for nb in result.notebooks if nb.has_changes]
    span = f"{_code(result.old_label)} → {_code(result.new_label)}"
    if not changed:
        return f"**nbtrack diff** {span}: no notebook changes.\n\n"
    noun = "notebook" if len(changed) == 1 else "notebooks"
    return f"**nbtrack diff** {span}: {len(changed)} {noun} changed.\n\n"


def _notebook_header(nb: NotebookDiff) -> str:
    status: str = nb.status
    if nb.status == "renamed" and nb.old_path:
        status = f"renamed from {_code(nb.old_path)}"
    lines = [f"## {_code(nb.path)} ({status})", ""]
    lines.append(f"{nb.headline()} · {_code(nb.old_label)} → {_code(nb.new_label)}")
    lines.append("")
    if nb.metadata:
        lines.append("Notebook metadata:")
        lines.extend(_metadata_lines(nb.metadata))
        lines.append("")
    return "\n".join(lines) + "\n"


def _cell_block(cell: CellDiff, result: DiffResult, limit: int) -> str:
    title = cell.title
    if cell.cell_id:
        title += f" · id {cell.cell_id}"
    body = _body_lines(cell)
    extra: list[str] = []
    if cell.execution_count:
        old, new = cell.execution_count
        extra.append(f"- execution count: {old} → {new}")
    for change in cell.outputs:
        extra.append(f"- {_escape_inline(change.where)}: {_escape_inline(change.summary)}")
        if change.text_diff:
            extra.extend(["", *_fenced("diff", list(change.text_diff), indent="  "), ""])
    if cell.metadata:
        extra.extend(_metadata_lines(cell.metadata))
    lines: list[str] = []
    fold = len(body) > _FOLD_LINES
    plus, minus = cell.line_counts
    if fold:
        summary = html.escape(f"{title} (+{plus} -{minus} lines)")
        lines.extend(["<details>", f"<summary>{summary}</summary>", ""])
    else:
        lines.extend([f"**{_escape_inline(title)}**", ""])
    if body:
        lines.extend(_fenced("diff", body))
        lines.append("")
    if extra:
        lines.extend([*extra, ""])
    if fold:
        lines.extend(["</details>", ""])
    return _fit("\n".join(lines) + "\n", limit)


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


def _cut_note(cut: list[tuple[NotebookDiff, int, bool]], limit: int) -> str:
    pieces = []
    for nb, cells, whole in cut[:8]:
        if whole:
            pieces.append(f"all of {_code(nb.path)}")
        else:
            noun = "cell change" if cells == 1 else "cell changes"
            pieces.append(f"{cells} {noun} in {_code(nb.path)}")
    if len(cut) > 8:
        pieces.append(f"and {len(cut) - 8} more notebooks")
    note = (
        "> **Diff cut** to stay under GitHub's 65,536-character comment limit. "
        f"Not shown: {', '.join(pieces)}. Run `nbtrack diff` locally for the whole diff."
    )
    return note[:limit] + "\n"


def _code(text: str) -> str:
    """Inline code that survives backticks in ``text`` (shortened when long)."""
    text = text.replace("\n", " ")
    if len(text) > 120:
        text = text[:117] + "..."
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _escape_inline(text: str) -> str:
    """Plain text outside code: no HTML tags or entities, no markdown emphasis or links.

    ``>`` is left alone (only a quote at the start of a line, never here), so
    ``12 KB -> 14 KB`` reads the same raw and rendered.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return re.sub(r"([\\`*_{}\[\]#|])", r"\\\1", text)
