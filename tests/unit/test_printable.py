"""One escaping function for every door: terminals, CI logs, GitHub workflow commands, XML."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from nbtrack.printable import printable, workflow_command, xml_text

#: every character that acts instead of printing: C0 (but newline and tab), DEL, C1, bidi
ACTING = [
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    "\u2028",
    "\u2029",
]


@pytest.mark.parametrize("char", ACTING, ids=lambda c: f"U+{ord(c):04X}")
def test_every_acting_character_is_shown_not_sent(char: str) -> None:
    for shown in (printable(f"a{char}b"), printable(f"a{char}b", caret=True)):
        assert char not in shown
        assert shown.startswith("a")
        assert shown.endswith("b")
        assert len(shown) > 3  # made visible, not deleted


def test_the_escapes_read_as_python_and_unicode_write_them() -> None:
    text = "\x1b]52;c;aGk=\x07 \x9b2J \u202eevil\n\tend\r"
    assert printable(text) == "\\x1b]52;c;aGk=\\x07 \\x9b2J <U+202E>evil\\n\\tend\\r"
    assert printable(text, tabs=True) == "\\x1b]52;c;aGk=\\x07 \\x9b2J <U+202E>evil\\n\tend\\r"
    assert printable(text, lines=True) == "\\x1b]52;c;aGk=\\x07 \\x9b2J <U+202E>evil\n\tend\\r"
    assert printable(text, caret=True) == "^[]52;c;aGk=^G <U+009B>2J <U+202E>evil^J^Iend^M"


def test_printable_text_is_left_alone_and_escaping_twice_changes_nothing() -> None:
    plain = "lr = 0.1 — Größe 学习率 🙂 \\x1b <U+202E>"
    assert printable(plain) == plain
    once = printable("".join(ACTING))
    assert printable(once) == once


def test_a_workflow_command_cannot_be_ended_or_followed_by_its_message() -> None:
    line = workflow_command(
        "error",
        "boom\n::set-output name=x::1\r\n%0A::warning::x \x1b[31m",
        file="a,b:c.ipynb",
        title="nbtrack smoke: Bad,Error\n::x",
    )
    assert "\n" not in line
    assert "\r" not in line
    assert line == (
        "::error file=a%2Cb%3Ac.ipynb,title=nbtrack smoke%3A Bad%2CError\\n%3A%3Ax"
        "::boom%0A::set-output name=x::1\\r%0A%250A::warning::x \\x1b[31m"
    )


def test_xml_text_drops_colour_shows_what_xml_forbids_and_parses() -> None:
    text = "\x1b[31mred\x1b[0m \x1b]0;title\x07bell\x07 back\x08 feed\x0c \ud800 ok\n\t\x9b"
    kept = xml_text(text)
    assert kept == "red bell\\x07 back\\x08 feed\\x0c <U+D800> ok\n\t\x9b"
    element = ElementTree.Element("out", message=kept)
    element.text = kept
    assert ElementTree.fromstring(ElementTree.tostring(element)).text == kept
