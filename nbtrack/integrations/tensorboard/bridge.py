"""The ``SummaryWriter`` bridge and ``sync_tensorboard`` (being written: issue 12)."""

from __future__ import annotations

__all__ = ["SummaryWriter"]


class SummaryWriter:
    """Placeholder until the bridge lands."""
