"""Notebook parameters: parse ``-p``/``-f``, resolve, find the parameters cell, inject.

The conventions are papermill's, so notebooks move between the tools: the
parameters cell is the code cell tagged ``parameters`` (or, nbtrack's own,
one whose first code line is ``%%track_params``), and injected values go in
a new cell right after it, tagged ``injected-parameters``, holding plain
``name = value`` lines under the marker comment :data:`INJECTED_MARKER`.
:func:`resolve_params` merges defaults, files and ``-p`` values (each name
checked, each value's source kept); :func:`cell_origin` maps the cells of
the injected notebook back to the user's. A value whose type differs from
the parameters cell's default (``-p lr=abc`` for ``lr = 0.1``) is injected
as given, with a warning (:attr:`ResolvedParams.warnings`) for the door to
show. Shared by ``nbtrack run``, ``nbtrack smoke`` and the magics.
"""

from __future__ import annotations

import ast
import json
import keyword
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack.errors import ParamError
from nbtrack.notebook.document import Cell, Notebook
from nbtrack.notebook.source import assigned_names, cell_magic_name, literal_assignments

__all__ = [
    "INJECTED_MARKER",
    "INJECTED_TAG",
    "PARAMETERS_TAG",
    "ResolvedParams",
    "cell_origin",
    "find_parameters_cell",
    "flatten_params",
    "inject_parameters",
    "load_param_file",
    "parameter_names",
    "parse_param_assignments",
    "resolve_params",
]

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
#: first line of an injected cell; the magics look for it
INJECTED_MARKER = "# Parameters injected by nbtrack"

_FILE_KINDS = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON"}


def find_parameters_cell(nb: Notebook) -> int | None:
    """Index of the parameters cell: tagged ``parameters``, else led by ``%%track_params``."""
    for cell in nb.cells:
        if cell.is_code and PARAMETERS_TAG in cell.tags:
            return cell.index
    for cell in nb.cells:
        if cell.is_code and cell_magic_name(cell.source) == "track_params":
            return cell.index
    return None


def parameter_names(nb: Notebook) -> list[str]:
    """Names the parameters cell assigns at top level ([] when there is none)."""
    index = find_parameters_cell(nb)
    return [] if index is None else assigned_names(nb.cells[index].source)


def _parse_value(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_param_assignments(items: Iterable[str]) -> dict[str, object]:
    """``["lr=0.1", "name=adam"]`` -> ``{"lr": 0.1, "name": "adam"}``.

    A value is read as a Python literal when it is one, else kept as the
    string given. A later item wins over an earlier one with the same name.

    >>> parse_param_assignments(["lr=0.1", "name=adam", "layers=[64, 32]"])
    {'lr': 0.1, 'name': 'adam', 'layers': [64, 32]}
    """
    params: dict[str, object] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise ParamError(
                f"Parameter {item!r} has no '='; write it as NAME=VALUE (e.g. lr=0.1).", key=item
            )
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ParamError(
                f"Parameter name {name!r} in {item!r} is not a valid Python identifier.",
                key=name,
            )
        params[name] = _parse_value(value)
    return params


def _plain(value: object) -> object:
    """YAML/TOML dates and times become ISO strings so they can be injected as literals."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat") and not isinstance(value, str | int | float):
        return str(value.isoformat())
    return value


def load_param_file(path: str | Path) -> dict[str, object]:
    """Parameters from a YAML, TOML or JSON file (chosen by extension), top level a mapping."""
    path = Path(path)
    kind = _FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        raise ParamError(
            f"{path}: parameter files must end in .yaml, .yml, .toml or .json, "
            f"not {path.suffix or 'no extension'}."
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamError(f"Parameter file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamError(f"Parameter file {path} cannot be read: {exc}.") from None
    data: Any
    try:
        if kind == "YAML":
            import yaml

            data = yaml.safe_load(text)
            if data is None:
                data = {}
        elif kind == "TOML":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # each parser has its own error class; all mean "bad file"
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParamError(f"Parameter file {path} is not valid {kind}: {detail}.") from None
    if not isinstance(data, dict):
        raise ParamError(
            f"Parameter file {path} must hold a mapping of names to values at the top level, "
            f"not a {type(data).__name__}."
        )
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
            raise ParamError(
                f"Parameter file {path}: {key!r} is not a valid parameter name.", key=str(key)
            )
    plain = _plain(data)
    assert isinstance(plain, dict)
    return plain


def flatten_params(params: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Nested mappings as dotted keys: ``{"opt": {"lr": 1}}`` -> ``{"opt.lr": 1}``.

    >>> flatten_params({"optimizer": {"lr": 0.1, "name": "adam"}, "epochs": 3})
    {'optimizer.lr': 0.1, 'optimizer.name': 'adam', 'epochs': 3}
    """
    flat: dict[str, object] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _literal_text(name: str, value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    text = repr(value)
    try:
        ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ParamError(
            f"Parameter {name!r} has a value that is not a Python literal ({text[:60]}), "
            f"so it cannot be injected.",
            key=name,
        ) from None
    return text


def _describe(name: str, source: str) -> str:
    return f"-p {name}" if source == "cli" else repr(name)


def inject_parameters(
    nb: Notebook, params: Mapping[str, object], *, source: str = "cli"
) -> Notebook:
    """A new notebook with *params* in one cell right after the parameters cell.

    A cell injected before (tag ``injected-parameters``) is replaced, as
    papermill does. *source* says where the values came from (``cli``,
    ``file``, ``config``); it shapes error messages and is kept in the new
    cell's metadata. Raises :class:`ParamError` when there is no parameters
    cell or it does not define a name.
    """
    if not params:
        return nb
    first = next(iter(params))
    index = find_parameters_cell(nb)
    if index is None:
        raise ParamError(
            f"{nb.name} has no parameters cell (tag a cell `parameters` or start it with "
            f"%%track_params), so {_describe(first, source)} cannot be injected.",
            key=first,
        )
    param_cell = nb.cells[index]
    defined = assigned_names(param_cell.source)
    for name in params:
        if name not in defined:
            listing = ", ".join(defined) if defined else "no names at all"
            raise ParamError(
                f"{nb.name}: the parameters cell ({param_cell.label}) does not define "
                f"{name!r}, so {_describe(name, source)} cannot be injected; it defines: "
                f"{listing}.",
                key=name,
            )
    lines = [INJECTED_MARKER]
    lines += [f"{name} = {_literal_text(name, value)}" for name, value in params.items()]
    injected = Cell(
        index=index + 1,
        cell_type="code",
        source="\n".join(lines) + "\n",
        tags=(INJECTED_TAG,),
        execution_count=None,
        outputs=(),
        id=uuid.uuid4().hex[:12] if nb.nbformat_minor >= 5 or param_cell.id else None,
        metadata={"tags": [INJECTED_TAG], "nbtrack": {"source": source}},
        raw={"cell_type": "code"},
    )
    kept = [c for c in nb.cells if INJECTED_TAG not in c.tags]
    position = next(i for i, c in enumerate(kept) if c is param_cell) + 1
    kept.insert(position, injected)
    return nb.with_cells(kept)


def cell_origin(nb: Notebook, run_nb: Notebook) -> tuple[int | None, ...]:
    """For each cell of *run_nb*, its index in *nb*; None for the cell nbtrack injected.

    *run_nb* is what :func:`inject_parameters` made of *nb*: the same
    notebook when there was nothing to inject, else one with a new injected
    cell, and without any cell an earlier run had injected. A failure in the
    executed notebook is reported against the user's cells through this map.
    """
    if run_nb is nb:
        return tuple(range(len(nb.cells)))
    kept = iter([cell.index for cell in nb.cells if INJECTED_TAG not in cell.tags])
    return tuple(None if INJECTED_TAG in cell.tags else next(kept) for cell in run_nb.cells)


@dataclass(frozen=True)
class ResolvedParams:
    """The values to inject, and where each came from (``config``, ``file``, ``cli``)."""

    values: dict[str, object]
    sources: dict[str, str]
    #: one sentence per value whose type is not its default's (``-p lr=abc`` for 0.1);
    #: the value is injected as given
    warnings: tuple[str, ...] = ()


def _kind(value: object) -> str:
    """The type a param's value is compared by: ints and floats are both numbers."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list | tuple):
        return "sequence"
    return type(value).__name__


def _type_change(name: str, value: object, default: object, source: str) -> str | None:
    """The warning for *value* given for *name* whose default is *default*, or None."""
    if default is None or value is None or _kind(value) == _kind(default):
        return None
    where = {"cli": "", "file": " from the parameter file", "config": " from the configuration"}
    given = (
        f"-p {name}={value!r}" if source == "cli" else f"{name} = {value!r}{where.get(source, '')}"
    )
    return (
        f"{given} is {_a(type(value).__name__)}, but the parameters cell's default for {name} "
        f"is {_a(type(default).__name__)} ({default!r})."
    )


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def resolve_params(
    nb: Notebook,
    *,
    defaults: Mapping[str, object] | None = None,
    files: Sequence[str | Path] = (),
    cli: Mapping[str, object] | None = None,
) -> ResolvedParams:
    """The parameters for one run of *nb*: *defaults*, then each of *files*, then *cli*.

    A later source wins for a name. *defaults* (from configuration) apply
    only to names the parameters cell defines; a name from a file or the
    command line it does not define is a :class:`ParamError` naming that
    source, as :func:`inject_parameters` words it. A value of another type
    than the cell's literal default (ints and floats count as one, lists and
    tuples too, ``None`` matches anything) gets a warning.

    >>> from nbtrack.notebook.document import notebook_from_dict
    >>> nb = notebook_from_dict({"cells": [{"cell_type": "code", "source": "lr = 0.1",
    ...     "metadata": {"tags": ["parameters"]}}]})
    >>> resolve_params(nb, cli={"lr": "abc"}).warnings[0]
    "-p lr='abc' is a str, but the parameters cell's default for lr is a float (0.1)."
    """
    values: dict[str, object] = {}
    sources: dict[str, str] = {}

    def add(new: Mapping[str, object], source: str) -> None:
        for name, value in new.items():
            values[name], sources[name] = value, source

    defined = set(parameter_names(nb)) if defaults else set()
    add({k: v for k, v in (defaults or {}).items() if k in defined}, "config")
    for file in files:
        from_file = load_param_file(file)
        inject_parameters(nb, from_file, source="file")  # checks every name
        add(from_file, "file")
    if cli:
        inject_parameters(nb, cli, source="cli")
        add(cli, "cli")
    index = find_parameters_cell(nb)
    cell_defaults = {} if index is None else literal_assignments(nb.cells[index].source)
    changes = (
        _type_change(name, value, cell_defaults[name], sources[name])
        for name, value in values.items()
        if name in cell_defaults
    )
    return ResolvedParams(values, sources, tuple(c for c in changes if c is not None))
