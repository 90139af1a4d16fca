"""A run's life: start, buffered logging, heartbeat, end.

``api`` holds the process's current run in one :class:`~nbtrack.tracking.api.Tracker`;
``run`` is the live run (:class:`~nbtrack.tracking.run.ActiveRun`); ``flusher``
writes it to the store from a background thread; ``ledger`` normalises and
redacts params; ``capture`` records git, environment and data versions;
``spill`` keeps what an unreachable store could not take.

This package imports no SQLAlchemy: the store is opened on the first run.
"""

from __future__ import annotations

from nbtrack.tracking.api import Tracker, get_tracker
from nbtrack.tracking.flusher import StoreOutageWarning
from nbtrack.tracking.ledger import ParamWarning
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.spill import replay_spill

__all__ = [
    "ActiveRun",
    "ParamWarning",
    "StoreOutageWarning",
    "Tracker",
    "get_tracker",
    "replay_spill",
]
