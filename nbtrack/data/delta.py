"""Delta Lake tables as data refs: the table version and its commit time (lane delta writes it)."""

from __future__ import annotations

from pathlib import Path

from nbtrack.model import DataRef

__all__ = ["is_table", "resolve"]


def is_table(path: Path) -> bool:
    """Whether *path* is the root of a Delta Lake table (it holds ``_delta_log/``)."""
    return (path / "_delta_log").is_dir()


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    raise NotImplementedError("lane delta")
