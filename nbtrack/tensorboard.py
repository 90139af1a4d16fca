"""``from nbtrack.tensorboard import SummaryWriter``: the drop-in writer.

A ``SummaryWriter`` with the methods of ``torch.utils.tensorboard`` and
``tensorboardX`` that logs to the active nbtrack run (and to event files too,
unless told not to). The work is done in ``nbtrack.integrations.tensorboard.bridge``.
"""

from __future__ import annotations

from nbtrack.integrations.tensorboard.bridge import SummaryWriter

__all__ = ["SummaryWriter"]
