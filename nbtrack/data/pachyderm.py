"""pachyderm refs (the lane writing it replaces this placeholder)."""

from __future__ import annotations

from pathlib import Path

from nbtrack.model import DataRef

__all__ = ["resolve"]


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    raise NotImplementedError("lane pachyderm")
