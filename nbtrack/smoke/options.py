"""Smoke options from the command line and ``[tool.nbtrack.smoke]``, validated once.

The config table (all keys optional)::

    [tool.nbtrack.smoke]
    timeout = 600            # seconds for a whole notebook
    cell_timeout = 120       # seconds for any one cell
    strict = false           # static warnings fail the run
    include = ["data/small.csv"]          # extra files --isolate copies
    exclude = ["notebooks/scratch/**"]    # notebooks a directory run skips
    params = { epochs = 1 }               # for every notebook that defines them

    [[tool.nbtrack.smoke.notebook]]       # per-notebook defaults, by glob
    glob = "notebooks/train*.ipynb"
    params = { epochs = 1, n_samples = 500 }
    timeout = 300

Globs are matched (fnmatch-style, ``*`` crosses folders) against the
notebook's path relative to the project root. Config params are defaults: a
name the notebook's parameters cell does not define is left out, silently.
``-f`` files and ``-p`` values override them and are checked strictly.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nbtrack.errors import ConfigError

__all__ = ["NotebookDefaults", "SmokeConfig", "SmokeOptions", "load_smoke_config"]

Engine = Literal["script", "kernel"]

_KEYS = {"timeout", "cell_timeout", "strict", "include", "exclude", "params", "notebook"}
_ENTRY_KEYS = {"glob", "params", "timeout", "cell_timeout"}


@dataclass(frozen=True)
class SmokeOptions:
    """How to smoke-run notebooks; the CLI and pytest plugin both build one."""

    params: dict[str, object] = field(default_factory=dict)
    param_files: tuple[Path, ...] = ()
    timeout: float | None = None
    cell_timeout: float | None = None
    strict: bool = False
    isolate: bool = False
    keep_script: Path | None = None
    track: bool = False
    engine: Engine = "script"
    output_dir: Path | None = None
    #: with ``track``: the store every notebook writes to (None: each notebook's settings')
    store_url: str | None = None


@dataclass(frozen=True)
class NotebookDefaults:
    glob: str
    params: dict[str, object]
    timeout: float | None = None
    cell_timeout: float | None = None


@dataclass(frozen=True)
class SmokeConfig:
    root: Path
    timeout: float | None = None
    cell_timeout: float | None = None
    strict: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    params: dict[str, object] = field(default_factory=dict)
    notebooks: tuple[NotebookDefaults, ...] = ()

    def relative(self, notebook: Path) -> str:
        try:
            return notebook.resolve().relative_to(self.root).as_posix()
        except ValueError:  # outside the project: the name is all that is safe to reuse
            return notebook.name

    def excluded(self, notebook: Path) -> bool:
        rel = self.relative(notebook)
        return any(fnmatch.fnmatch(rel, pattern) for pattern in self.exclude)

    def defaults_for(self, notebook: Path) -> tuple[dict[str, object], float | None, float | None]:
        """Config params, timeout and cell timeout for one notebook (later entries win)."""
        rel = self.relative(notebook)
        params = dict(self.params)
        timeout, cell_timeout = self.timeout, self.cell_timeout
        for entry in self.notebooks:
            if fnmatch.fnmatch(rel, entry.glob):
                params.update(entry.params)
                timeout = entry.timeout if entry.timeout is not None else timeout
                cell_timeout = (
                    entry.cell_timeout if entry.cell_timeout is not None else cell_timeout
                )
        return params, timeout, cell_timeout


def _seconds(value: object, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(
            f"{where}: {key} must be a positive number of seconds, not {value!r}.", key=key
        )
    return float(value)


def _strings(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, not {value!r}.", key=key)
    return tuple(value)


def _params(value: object, key: str, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: {key} must be a table of names to values, not {value!r}.", key=key
        )
    for name in value:
        if not str(name).isidentifier():
            raise ConfigError(f"{where}: {key} has {name!r}, not a valid parameter name.", key=key)
    return dict(value)


def load_smoke_config(
    table: dict[str, Any], root: Path, where: str = "[tool.nbtrack.smoke]"
) -> SmokeConfig:
    """Validate the raw ``[tool.nbtrack.smoke]`` table; every error names the key."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))}).",
            key=unknown[0],
        )
    entries = []
    raw_entries = table.get("notebook", [])
    if not isinstance(raw_entries, list):
        raise ConfigError(
            f"{where}: notebook must be an array of tables ([[tool.nbtrack.smoke.notebook]]).",
            key="notebook",
        )
    for number, entry in enumerate(raw_entries, start=1):
        here = f"{where} notebook entry {number}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{here} must be a table.", key="notebook")
        bad = sorted(set(entry) - _ENTRY_KEYS)
        if bad:
            raise ConfigError(
                f"{here}: unknown key {bad[0]!r} (known: {', '.join(sorted(_ENTRY_KEYS))}).",
                key=bad[0],
            )
        if not isinstance(entry.get("glob"), str):
            raise ConfigError(f'{here} needs glob = "<pattern>".', key="glob")
        entries.append(
            NotebookDefaults(
                glob=entry["glob"],
                params=_params(entry.get("params", {}), "params", here),
                timeout=_seconds(entry["timeout"], "timeout", here) if "timeout" in entry else None,
                cell_timeout=_seconds(entry["cell_timeout"], "cell_timeout", here)
                if "cell_timeout" in entry
                else None,
            )
        )
    strict = table.get("strict", False)
    if not isinstance(strict, bool):
        raise ConfigError(f"{where}: strict must be true or false, not {strict!r}.", key="strict")
    return SmokeConfig(
        root=root.resolve(),
        timeout=_seconds(table["timeout"], "timeout", where) if "timeout" in table else None,
        cell_timeout=_seconds(table["cell_timeout"], "cell_timeout", where)
        if "cell_timeout" in table
        else None,
        strict=strict,
        include=_strings(table.get("include", []), "include", where),
        exclude=_strings(table.get("exclude", []), "exclude", where),
        params=_params(table.get("params", {}), "params", where),
        notebooks=tuple(entries),
    )


def project_smoke_config(start: Path | None = None) -> SmokeConfig:
    """The smoke config of the project around *start* (default: the working directory)."""
    from nbtrack.config import load_settings

    settings = load_settings(start)
    where = (
        f"{settings.pyproject} [tool.nbtrack.smoke]"
        if settings.pyproject
        else "[tool.nbtrack.smoke]"
    )
    return load_smoke_config(settings.smoke, settings.root, where)
