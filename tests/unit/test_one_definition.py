"""Names shared across the package are defined in one place (grep would show it)."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import nbtrack

PACKAGE = Path(nbtrack.__file__).resolve().parent
ENV_NAME = re.compile(r"NBTRACK_[A-Z][A-Z_]*")


def _modules() -> dict[str, ast.Module]:
    return {
        path.relative_to(PACKAGE.parent).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def _definitions(name: str) -> list[str]:
    """Modules that define a function or class called *name* (at any depth)."""
    return [
        module
        for module, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name
    ]


def test_every_nbtrack_variable_name_is_a_string_only_in_envvars() -> None:
    spelled: Counter[tuple[str, str]] = Counter()
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and ENV_NAME.fullmatch(node.value):
                spelled[(module, node.value)] += 1
    outside = sorted({(m, n) for m, n in spelled if m != "nbtrack/envvars.py"})
    assert outside == [], f"NBTRACK_* names spelled outside envvars.py: {outside}"
    twice = sorted(n for (_, n), count in spelled.items() if count > 1)
    assert twice == [], f"NBTRACK_* names spelled more than once in envvars.py: {twice}"
    assert {n for _, n in spelled} >= {"NBTRACK_STORE", "NBTRACK_NOTEBOOK", "NBTRACK_SMOKE"}


def test_one_url_masker() -> None:
    assert _definitions("mask_url") == ["nbtrack/config.py"]


def test_one_escaper_for_text_on_its_way_to_a_terminal_a_ci_log_or_xml() -> None:
    for name in ("printable", "workflow_command", "xml_text"):
        assert _definitions(name) == ["nbtrack/printable.py"], name
    # a second home would be a pattern over the control characters (r"[\x00-\x1f]", ...)
    ranges = re.compile(r"\\x(?:00|1f|7f|9f)|\\u20(?:2a|2e|66|69)", re.I)
    elsewhere = sorted(
        module
        for module, tree in _modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if module != "nbtrack/printable.py" and ranges.search(node.value)
    )
    assert elsewhere == [], f"control characters handled outside printable.py: {elsewhere}"
