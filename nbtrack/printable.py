"""User-written text made safe for a terminal, a CI log or an XML report.

For: every door and renderer that prints text a notebook, a run or a user
wrote (a run's name, a param key, a kernelspec language, an exception
message, a diff line). :func:`printable` shows the characters that would act
instead of print -- C0 controls (ESC starts colour, cursor and OSC sequences
such as OSC 52, which writes the clipboard; BEL; CR overwrites a line), DEL,
8-bit C1 controls (U+009B is a one-character CSI) and the bidi overrides and
isolates (U+202A-U+202E, U+2066-U+2069, which reorder what a reader sees) --
as visible escapes (``\\x1b``, ``\\n``, ``<U+202E>``); nothing is deleted.
A line break stays one only where the renderer asks for it, so user text
cannot begin a line of its own (where a CI runner reads ``::error::`` and
other workflow commands). :func:`workflow_command` builds a GitHub Actions
workflow command with GitHub's own escaping, so a message cannot end it or
start another. :func:`xml_text` keeps text inside what XML 1.0 allows.
:func:`display_width` is how many terminal columns text takes (CJK two),
for every door and renderer that aligns columns.

Not for: HTML or Markdown escaping (their renderers do that) nor JSON
(``json.dumps`` escapes it). Standard library only, no imports: every door
imports this.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ANSI_SEQUENCE", "display_width", "printable", "workflow_command", "xml_text"]

#: the characters :func:`printable` never lets through: C0 but newline and tab, DEL, C1,
#: bidi embeddings/overrides/isolates, and the Unicode line and paragraph separators
_UNSAFE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_LINES: Final = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_UNSAFE_KEEP_TAB: Final = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: an ANSI escape sequence as terminals read them: CSI (colour, cursor), OSC (title,
#: clipboard, hyperlinks; ended by BEL or ST), or a two-character escape
ANSI_SEQUENCE: Final = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]"
)

#: characters XML 1.0 does not allow anywhere, not even as character references
_NOT_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"<U+{code:04X}>"


def _caret(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return f"^{chr(code + 64)}"
    return "^?" if code == 0x7F else f"<U+{code:04X}>"


def printable(text: str, *, lines: bool = False, tabs: bool = False, caret: bool = False) -> str:
    """*text* with every control, C1 and bidi control character shown as an escape.

    One line unless *lines*: a newline is shown as ``\\n`` (and a tab as ``\\t``
    unless *tabs*), so the text stays inside the line or table cell it is
    printed in. With *lines*, newlines and tabs are kept and each line is safe.
    C0 controls and DEL read as Python writes them (``\\x1b``), or with *caret*
    as ``cat -v`` and ``less`` do (``^[``, ``^?``: the diff of source lines);
    C1 and bidi controls as ``\\x9b`` and ``<U+202E>`` (``<U+009B>`` with *caret*).
    Idempotent: the result has nothing left to escape.
    """
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE_KEEP_TAB if tabs else _UNSAFE
    return pattern.sub(_caret if caret else _shown, text)


def xml_text(text: str) -> str:
    """*text* as XML 1.0 allows it: ANSI colour dropped, other forbidden characters shown.

    Colour codes in a notebook's output only style it, so they go; any other
    character XML 1.0 refuses (``\\x07``, ``\\x08``, ``\\x0c``, a lone surrogate)
    becomes a visible escape, as :func:`printable` writes it.
    """
    return _NOT_XML.sub(_shown, ANSI_SEQUENCE.sub("", text))


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: str) -> str:
    """One GitHub Actions workflow command line: ``::command key=value,...::message``.

    The message and every property value are escaped as GitHub reads them back
    (``%`` ``%25``, CR ``%0D``, LF ``%0A``; in properties also ``:`` ``%3A`` and
    ``,`` ``%2C``), after :func:`printable` with line breaks kept, so nothing in
    them can end this command or start another. *command* and the property
    names are nbtrack's own words, never user text.
    """
    props = ",".join(
        f"{key}={_property(printable(value, tabs=True))}" for key, value in properties.items()
    )
    return f"::{command}{' ' + props if props else ''}::{_data(printable(message, lines=True))}"


def display_width(text: str) -> int:
    """Columns *text* takes in a terminal: wide (CJK) characters two, combining ones none.

    >>> display_width("loss"), display_width("学习率"), display_width("e\u0301")
    (4, 6, 1)
    """
    import unicodedata

    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width
