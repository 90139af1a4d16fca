"""HTML rendering of a notebook diff: one self-contained, side-by-side page.

Old on the left, new on the right, changed lines highlighted, changed image
outputs shown inline as data URIs, all CSS embedded (no network, no script).
Every string that came from a notebook, a path or git is escaped. It only
formats a ``DiffResult``.
"""

from __future__ import annotations

import difflib
import re
from html import escape

from nbtrack.vcs.diffmodel import CellDiff, DiffResult, NotebookDiff, OutputChange

__all__ = ["diff_body", "render_html"]

_BASE64 = re.compile(r"^[A-Za-z0-9+/=]*$")
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2328}
h1{font-size:1.3rem}h2{font-size:1.1rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.meta{color:#57606a;font-size:.9rem}
.cell{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;overflow:hidden}
.cell h3{font-size:.95rem;margin:0;padding:.4rem .6rem;background:#f6f8fa}
table.sbs{width:100%;border-collapse:collapse;table-layout:fixed;font-family:ui-monospace,monospace;
font-size:.85rem}
table.sbs td{vertical-align:top;white-space:pre-wrap;word-break:break-word;padding:0 .4rem}
table.sbs td.n{width:3em;color:#8c959f;text-align:right;user-select:none}
td.del{background:#ffebe9}td.add{background:#e6ffec}td.empty{background:#f6f8fa}
td.del em{background:#ffc1bc;font-style:normal}td.add em{background:#aceebb;font-style:normal}
ul.notes{margin:.4rem 0;font-size:.9rem}
.images{display:flex;gap:1rem;padding:.4rem .6rem}.images figure{margin:0;flex:1}
.images img{max-width:100%;border:1px solid #d0d7de}
pre.out{margin:.2rem 0 .2rem 1rem;font-size:.8rem}
pre.out span{display:block}pre.out span.del{background:#ffebe9}pre.out span.add{background:#e6ffec}
"""


def render_html(result: DiffResult) -> str:
    """A complete HTML document (UTF-8) showing every changed notebook."""
    title = f"nbtrack diff {result.old_label} → {result.new_label}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{diff_body(result)}"
        "\n</body></html>\n"
    )


def diff_body(result: DiffResult) -> str:
    """The changed notebooks as an HTML fragment: no title, no ``<style>``, no ``style=``.

    For a page that brings its own CSS for these classes (``nbtrack ui``,
    whose Content-Security-Policy refuses inline styles).
    """
    changed = [nb for nb in result.notebooks if nb.has_changes]
    body: list[str] = [] if changed else ['<p class="meta">No notebook changes.</p>']
    for nb in changed:
        body.extend(_notebook(nb, result))
    return "\n".join(body)


def _notebook(nb: NotebookDiff, result: DiffResult) -> list[str]:
    status = nb.status if nb.status != "renamed" else f"renamed from {nb.old_path}"
    parts = [
        f"<section><h2>{escape(nb.path)} <small>({escape(status)})</small></h2>",
        f'<p class="meta">{escape(nb.headline())} · {escape(nb.old_label)} → '
        f"{escape(nb.new_label)}</p>",
    ]
    if nb.metadata:
        parts.append('<ul class="notes">')
        parts.extend(
            f"<li>metadata <code>{escape(c.key)}</code>: {escape(str(c.old))} → "
            f"{escape(str(c.new))}</li>"
            for c in nb.metadata
        )
        parts.append("</ul>")
    parts.extend(_cell(cell, result) for cell in nb.cells)
    parts.append("</section>")
    return parts


def _cell(cell: CellDiff, result: DiffResult) -> str:
    title = cell.title + (f" · id {cell.cell_id}" if cell.cell_id else "")
    parts = [f'<div class="cell"><h3>{escape(title)}</h3>']
    if cell.status != "unchanged" and (cell.old_source != cell.new_source or cell.moved):
        parts.append(_side_by_side(cell.old_source, cell.new_source))
    notes: list[str] = []
    if cell.source_note:
        notes.append(f"<li>{escape(cell.source_note)}</li>")
    if cell.execution_count:
        old, new = cell.execution_count
        notes.append(f"<li>execution count: {escape(str(old))} → {escape(str(new))}</li>")
    for change in cell.metadata:
        notes.append(
            f"<li>metadata <code>{escape(change.key)}</code>: {escape(str(change.old))} → "
            f"{escape(str(change.new))}</li>"
        )
    for output in cell.outputs:
        notes.append(_output(output, result))
    if notes:
        parts.extend(['<ul class="notes">', *notes, "</ul>"])
    parts.append("</div>")
    return "\n".join(parts)


def _output(output: OutputChange, result: DiffResult) -> str:
    text = f"<li>{escape(output.where)}: {escape(output.summary)}"
    if output.old_image is not None or output.new_image is not None:
        text += '<div class="images">'
        for side, data in (("old", output.old_image), ("new", output.new_image)):
            text += f"<figure><figcaption>{side}</figcaption>"
            if data is not None and _BASE64.match(data):
                kind = escape(output.kind)
                text += f'<img alt="{side} {kind}" src="data:{kind};base64,{data}">'
            text += "</figure>"
        text += "</div>"
    elif output.text_diff:
        lines = "".join(_diff_line(line) for line in output.text_diff)
        text += f'<pre class="out">{lines}</pre>'
    return text + "</li>"


def _diff_line(line: str) -> str:
    cls = {"+": "add", "-": "del"}.get(line[:1], "ctx")
    return f'<span class="{cls}">{escape(line)}</span>'


def _side_by_side(old: str, new: str) -> str:
    a, b = old.splitlines(), new.splitlines()
    rows: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                rows.append(_row(i1 + k, a[i1 + k], "", j1 + k, b[j1 + k], ""))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            left = i1 + k if i1 + k < i2 else None
            right = j1 + k if j1 + k < j2 else None
            rows.append(
                _row(
                    left, a[left] if left is not None else None, "del",
                    right, b[right] if right is not None else None, "add",
                )
            )  # fmt: skip
    return '<table class="sbs">' + "".join(rows) + "</table>"


def _row(
    i: int | None, left: str | None, left_cls: str, j: int | None, right: str | None, right_cls: str
) -> str:
    left_html = right_html = None
    if left is not None and right is not None and left_cls and left != right:
        left_html, right_html = _intraline(left, right)

    def half(n: int | None, text: str | None, cls: str, marked: str | None) -> str:
        if text is None or n is None:
            return '<td class="n"></td><td class="empty"></td>'
        body = marked if marked is not None else escape(text)
        return f'<td class="n">{n + 1}</td><td class="{cls}">{body}</td>'

    return f"<tr>{half(i, left, left_cls, left_html)}{half(j, right, right_cls, right_html)}</tr>"


#: lines longer than this are not compared character by character (time stays bounded)
_INTRALINE_LIMIT = 1_000


def _intraline(old: str, new: str) -> tuple[str | None, str | None]:
    """Both lines escaped, with the characters that changed marked (``<em>``)."""
    if len(old) + len(new) > _INTRALINE_LIMIT:
        return None, None
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < 0.3:
        return None, None  # a rewritten line: marking nearly all of it says nothing
    left: list[str] = []
    right: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(escape(old[i1:i2]))
            right.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            left.append(f"<em>{escape(old[i1:i2])}</em>")
        if j2 > j1:
            right.append(f"<em>{escape(new[j1:j2])}</em>")
    return "".join(left), "".join(right)
