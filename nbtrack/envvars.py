"""Every ``NBTRACK_*`` environment variable nbtrack reads or sets, spelled once.

Users set the first three to override ``[tool.nbtrack]``
(:func:`nbtrack.config.load_settings` reads them); the others pass between
nbtrack's own processes (``nbtrack run`` and ``nbtrack smoke`` set them for
the kernel or child they start, the magics and the session read them).
Plain strings and nothing else, so the lightest start-up path
(``%load_ext nbtrack``) can import it.
"""

from __future__ import annotations

__all__ = [
    "ARTIFACTS_ENV",
    "COMMAND_ENV",
    "DASK_TIMEOUT_ENV",
    "DASK_WORKER_ENV",
    "DATA_TIMEOUT_ENV",
    "EXPERIMENT_ENV",
    "HEARTBEAT_TIMEOUT_ENV",
    "NOTEBOOK_ENV",
    "PARAMETERS_CELL_ENV",
    "PARAM_SOURCES_ENV",
    "PROCESS_TAG_ENV",
    "REDACT_SECRETS_ENV",
    "RUN_END_FILE_ENV",
    "RUN_ID_FILE_ENV",
    "RUN_NAME_ENV",
    "RUN_TAGS_ENV",
    "SMOKE_ENV",
    "STORE_ENV",
    "UI_TOKEN_ENV",
]

#: settings a user sets (override ``[tool.nbtrack]``)
STORE_ENV = "NBTRACK_STORE"
HEARTBEAT_TIMEOUT_ENV = "NBTRACK_HEARTBEAT_TIMEOUT"
REDACT_SECRETS_ENV = "NBTRACK_REDACT_SECRETS"
#: the experiment new runs belong to (default: the project's name)
EXPERIMENT_ENV = "NBTRACK_EXPERIMENT"
#: the artifact root: a URL fsspec reaches (s3://, gs://, file://) or a directory
ARTIFACTS_ENV = "NBTRACK_ARTIFACTS"
#: the token `nbtrack ui` asks of every browser when it serves beyond loopback
#: (default: a new random token, printed once)
UI_TOKEN_ENV = "NBTRACK_UI_TOKEN"
#: seconds a data ref's system (lakeFS, S3, ...) may take to answer one request
#: before the ref is recorded unresolved (default: ``nbtrack.data.timeout.DEFAULT_TIMEOUT``)
DATA_TIMEOUT_ENV = "NBTRACK_DATA_TIMEOUT"
#: seconds ``--dask ADDRESS`` waits for the scheduler to answer, and for a first
#: worker (default: ``nbtrack.cluster.connect.DEFAULT_TIMEOUT``)
DASK_TIMEOUT_ENV = "NBTRACK_DASK_TIMEOUT"
#: set by ``--dask`` in the process that runs one task on a worker: that worker's address
DASK_WORKER_ENV = "NBTRACK_DASK_WORKER"
#: names the notebook a kernel runs (a user may set it; ``nbtrack run`` and
#: ``nbtrack smoke`` set it for their child processes)
NOTEBOOK_ENV = "NBTRACK_NOTEBOOK"
#: set by ``nbtrack run`` in its kernel: track from the first cell, and write the
#: id of the run started to this file
RUN_ID_FILE_ENV = "NBTRACK_RUN_ID_FILE"
#: set by ``nbtrack run`` in its kernel: the file where it writes how the run ends
#: (FINISHED, FAILED or KILLED) before it stops the kernel; a kernel whose
#: parent went away without writing it ends the run KILLED
RUN_END_FILE_ENV = "NBTRACK_RUN_END_FILE"
#: set by ``nbtrack run`` in its kernel: the user's command line and the pid of the
#: process that set it (JSON ``{"pid": ..., "argv": [...]}``); that process's direct
#: child records it as the run's command instead of the kernel's launcher
COMMAND_ENV = "NBTRACK_COMMAND"
#: set by ``nbtrack run``: the run's name, and its tags as a JSON object
RUN_NAME_ENV = "NBTRACK_RUN_NAME"
RUN_TAGS_ENV = "NBTRACK_RUN_TAGS"
#: set by ``nbtrack run``: JSON object of injected name -> "cli" or "file"
PARAM_SOURCES_ENV = "NBTRACK_PARAM_SOURCES"
#: set by ``nbtrack run``: the source of a parameters cell that is only tagged
#: ``parameters`` (no ``%%track_params``), so its defaults are logged all the same
PARAMETERS_CELL_ENV = "NBTRACK_PARAMETERS_CELL"
#: set to "1" in the child process of ``nbtrack smoke``
SMOKE_ENV = "NBTRACK_SMOKE"
#: set by ``nbtrack smoke`` and ``nbtrack run`` for a notebook's processes, a value
#: unique to that notebook: whatever it starts inherits it, so it can be ended
PROCESS_TAG_ENV = "NBTRACK_PROCESS_TAG"
