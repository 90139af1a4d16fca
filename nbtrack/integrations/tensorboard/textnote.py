"""Text summaries as a run's note: one section per tag, its entries step by step.

For: the importer, which turns every text summary of a run folder into an
entry of the run's note and, on a later import, merges new entries into the
note it wrote before. The layout is plain text, readable in ``nbtrack show``
and the UI, and regular enough to merge into::

    ## notes/text_summary

    step 0, 2026-12-03 07:11:09 UTC
        The first epoch's text,
        indented so no line of it reads as a heading.

    step 1, 2026-12-03 07:12:40 UTC
        ...

An entry already in its section (same tag, step, time and text) is not added
again, so re-importing a file that was rewritten adds nothing twice. Text a
user added to the note (``nbtrack note --append``) stays where it is.
Not for: decoding the summaries (``events.py``).
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from nbtrack.integrations.tensorboard.events import Text

__all__ = ["merge_texts", "render_entry"]

_HEADING = "## "
_STEP = "step "
_INDENT = "    "


@dataclass
class _Section:
    heading: str
    #: (step, the entry's lines) in step order; user text sorts with the entry before it
    entries: list[tuple[int, list[str]]] = field(default_factory=list)


def render_entry(text: Text) -> list[str]:
    """One entry's lines: the step and its UTC time, then the text indented."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(text.wall_time))
    body = text.text.splitlines() or [""]
    # a blank line of the text keeps its indent: a bare blank line ends an entry
    return [f"{_STEP}{text.step}, {stamp}"] + [_INDENT + line.rstrip() for line in body]


def _heading(tag: str) -> str:
    return _HEADING + " ".join(tag.split())


def _parse(note: str) -> tuple[list[str], list[_Section]]:
    """A note as the lines before the first heading and its sections."""
    preamble: list[str] = []
    sections: list[_Section] = []
    current: list[str] | None = None  # the lines of the entry being read
    for line in note.splitlines():
        if line.startswith(_HEADING):
            sections.append(_Section(line))
            current = None
        elif not sections:
            preamble.append(line)
        elif line.startswith(_INDENT) and current is not None:
            current.append(line)
        elif not line.strip():
            current = None
        else:
            section = sections[-1]
            step = section.entries[-1][0] if section.entries else -(2**63)
            if line.startswith(_STEP):
                number = line[len(_STEP) :].split(",", 1)[0]
                if number.lstrip("-").isdigit():
                    step = int(number)
            current = [line]
            section.entries.append((step, current))
    while preamble and not preamble[-1].strip():
        preamble.pop()
    return preamble, sections


def _render(preamble: list[str], sections: list[_Section]) -> str:
    blocks = ["\n".join(preamble)] if preamble else []
    for section in sections:
        blocks.append(section.heading)
        blocks.extend("\n".join(lines) for _, lines in section.entries)
    return "\n\n".join(blocks) + "\n"


def merge_texts(note: str | None, texts: Iterable[Text]) -> tuple[str | None, int]:
    """*note* with the entries of *texts* added in their sections, and how many were new
    (the note is None when none was)."""
    preamble, sections = _parse(note or "")
    by_heading = {s.heading: s for s in sections}
    added = 0
    for text in texts:
        heading = _heading(text.tag)
        section = by_heading.get(heading)
        if section is None:
            section = by_heading[heading] = _Section(heading)
            sections.append(section)
        lines = render_entry(text)
        if any(existing == lines for _, existing in section.entries):
            continue
        steps = [step for step, _ in section.entries]
        section.entries.insert(bisect.bisect_right(steps, text.step), (text.step, lines))
        added += 1
    return (_render(preamble, sections) if added else None), added
