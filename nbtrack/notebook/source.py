"""Reading cell source as Python: IPython syntax neutralised, literals found.

Cells are IPython, not Python: ``%time``, ``!ls``, ``x = !ls``, ``obj?`` and
cell magics do not parse. :func:`neutralise_ipython` rewrites those lines to
plain Python *with the same line numbers*, so :mod:`ast` can read the rest;
it is only applied when the cell does not parse as it is, so a ``%s`` line
inside a triple-quoted string is left alone. Nothing here executes code or
imports IPython.
"""

from __future__ import annotations

import ast
import re

__all__ = [
    "PYTHON_BODY_CELL_MAGICS",
    "assigned_names",
    "cell_magic_name",
    "literal_assignments",
    "neutralise_ipython",
    "non_literal_names",
    "parse_cell",
]

#: cell magics whose body is Python run in the user namespace
PYTHON_BODY_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "track_params", "track_run", "track"}
)

_ASSIGN_FROM_MAGIC = re.compile(r"^(\s*)([A-Za-z_][\w.\[\], ]*?)\s*=\s*[!%]")
_HELP_LINE = re.compile(r"^\s*\?{0,2}[A-Za-z_][\w.]*(\(\))?\?{0,2}\s*$")


def _first_code_line(source: str) -> tuple[int, str] | None:
    for number, line in enumerate(source.splitlines()):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return number, stripped
    return None


def cell_magic_name(source: str) -> str | None:
    """``capture`` for a cell starting with ``%%capture out``; else None.

    Leading blank and comment lines are skipped, the way the magics find
    ``%%track_params``.
    """
    first = _first_code_line(source)
    if first is None or not first[1].startswith("%%"):
        return None
    name = first[1][2:].split(None, 1)
    return name[0] if name else None


def neutralise_ipython(source: str) -> str:
    """*source* with IPython-only lines made into plain Python, line numbers kept.

    >>> neutralise_ipython("%matplotlib inline\\nfiles = !ls\\nx = 1")
    'pass\\nfiles = (...)()\\nx = 1'
    """
    lines = source.split("\n")
    first = _first_code_line(source)
    if first is not None and first[1].startswith("%%"):
        number, text = first
        magic = text[2:].split(None, 1)
        if not magic or magic[0] not in PYTHON_BODY_CELL_MAGICS:
            # a %%bash / %%writefile body is not Python: nothing to read
            return "\n".join("" for _ in lines)
        lines[number] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("%time ") and not stripped.startswith("%timeit"):
            # `%time y = f()` runs the statement in the user namespace: keep it
            out.append(indent + stripped[len("%time ") :].lstrip())
            continue
        if stripped.startswith(("%", "!")):
            out.append(indent + "pass")
            continue
        match = _ASSIGN_FROM_MAGIC.match(line)
        if match:
            # a call, so the name counts as bound but not to a literal
            out.append(f"{match.group(1)}{match.group(2)} = (...)()")
            continue
        if "?" in stripped and _HELP_LINE.match(line):
            out.append(indent + "pass")
            continue
        out.append(line)
    return "\n".join(out)


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree, IPython syntax neutralised if needed; None if not Python."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    try:
        return ast.parse(neutralise_ipython(source))
    except (SyntaxError, ValueError):
        return None


def _literal(node: ast.expr) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for elt in target.elts for name in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _bind(target: ast.expr, value: ast.expr | None, found: dict[str, object]) -> None:
    """Record literal values bound by ``target = value``; forget names bound otherwise."""
    if isinstance(target, ast.Name):
        ok, literal = _literal(value) if value is not None else (False, None)
        if ok:
            found[target.id] = literal
        else:
            found.pop(target.id, None)
        return
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
        and not any(isinstance(e, ast.Starred) for e in (*target.elts, *value.elts))
    ):
        for sub_target, sub_value in zip(target.elts, value.elts, strict=True):
            _bind(sub_target, sub_value, found)
        return
    for name in _target_names(target):
        found.pop(name, None)


def literal_assignments(source: str) -> dict[str, object]:
    """Names a cell binds at top level to literal values, in order of first binding.

    Literals are numbers (negative too), strings, bytes, booleans, None and
    lists/tuples/dicts/sets of those; ``a, b = 1, 2`` binds both. A name bound
    again to something that is not a literal is dropped. A cell that is not
    Python even after neutralising IPython syntax yields ``{}``.

    >>> literal_assignments("lr = 0.1\\nepochs, seed = 10, -1\\nmodel = make()")
    {'lr': 0.1, 'epochs': 10, 'seed': -1}
    """
    tree = parse_cell(source)
    if tree is None:
        return {}
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                _bind(target, node.value, found)
        elif isinstance(node, ast.AnnAssign):
            _bind(node.target, node.value, found)
        elif isinstance(node, ast.AugAssign):
            for name in _target_names(node.target):
                found.pop(name, None)
    return found


def assigned_names(source: str) -> list[str]:
    """Every name a cell binds at top level by assignment, literal or not, in order."""
    tree = parse_cell(source)
    if tree is None:
        return []
    names: dict[str, None] = {}
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        for target in targets:
            for name in _target_names(target):
                names.setdefault(name, None)
    return list(names)


def non_literal_names(source: str) -> list[str]:
    """Names a cell binds at top level to something that is not a literal, in order.

    What :func:`literal_assignments` leaves out: computed values
    (``frac = 1/1000``), f-strings, calls, names bound again by ``+=``.

    >>> non_literal_names("lr = 0.1\\nfrac = 1/1000\\ntag = f'run-{lr}'")
    ['frac', 'tag']
    """
    literal = literal_assignments(source)
    return [name for name in assigned_names(source) if name not in literal]
