"""A run's life: start, buffered logging, heartbeat, end; and the kernel session behind the magics.

The modules, one job each:

* ``api``: the process's current run, held by one :class:`~nbtrack.tracking.api.Tracker`,
  and the functions the public API re-exports.
* ``run``: the live run (:class:`~nbtrack.tracking.run.ActiveRun`): validate, buffer, queue.
* ``ledger``: the params a run has logged (conflicts, normalising, secret redaction).
* ``checks``: what a run is given, checked before it is queued: steps, artifact names, PNGs.
* ``flusher``: writes a run to the store from a background thread, and beats its heartbeat.
* ``late_store``: a store that could not be reached when a run started.
* ``spill``: keeps what an unreachable store could not take, and replays it.
* ``isolate``: writes a batch the store refused in parts, down to the points it refuses.
* ``capture``: what a run records about where it came from: git, environment, data versions.
* ``locate``: which notebook a kernel runs, the path a run records, a cell's number in it.
* ``snapshot``: the hash and ``py:percent`` text of the saved notebook (a run's source).
* ``session``: one run per notebook session, what the magics and the cell hooks drive.
* ``session_source``: keeps a session's run's source current (captured, refreshed on save).
* ``params_cell``: the parameters cell: which cell it is, when and how its values are logged.
* ``session_exit``: a session's kernel exit: settles params and source before the run ends,
  with the status ``nbtrack run`` decided for its kernel's run.
* ``sigterm``: SIGTERM on a tracked script ends the run KILLED, flushed, then the process.
* ``edit``: changing a recorded run afterwards (rename, tags, note, soft delete,
  restore, gc), each change recorded as an event of the run.

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
