"""The one error tree of nbtrack.

Every error nbtrack raises on purpose is an ``NbtrackError``; doors (CLI,
magics, pytest plugin, UI) catch it and show ``str(error)``: one sentence
naming the file, cell, key or value at fault. Anything else escaping is a bug.

    NbtrackError
    ├── UsageError            the user asked for something that cannot be done
    │   ├── ConfigError       bad [tool.nbtrack] / NBTRACK_* setting
    │   ├── ParamError        bad or conflicting parameter (key, both values)
    │   ├── MetricError       metric value that is not a real number
    │   ├── QueryError        malformed --where / --sort expression
    │   └── RunNotFoundError  unknown or ambiguous run id
    ├── StoreError            the run store cannot be opened, read or written
    │   ├── StoreUnreachableError  cannot be reached right now; a retry can cure it
    │   └── SchemaError       store made by another (newer/older) schema
    ├── NotebookError         a file that is not a readable notebook
    ├── RunError              a tracked run cannot proceed (no active run, ...)
    ├── ClusterError          a Dask cluster that cannot be reached or used (its address)
    └── VcsError              git / jupytext / nbdime problem

Errors carry structured fields (``path``, ``key``, ...) so renderers can use
them; they are never used for control flow inside nbtrack.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ClusterError",
    "ConfigError",
    "MetricError",
    "NbtrackError",
    "NotebookError",
    "ParamError",
    "QueryError",
    "RunError",
    "RunNotFoundError",
    "SchemaError",
    "StoreError",
    "StoreUnreachableError",
    "UsageError",
    "VcsError",
]


class NbtrackError(Exception):
    """Root of every error nbtrack raises on purpose."""

    #: process exit code a CLI door uses for this error
    exit_code: int = 2


class UsageError(NbtrackError):
    """The user asked for something that cannot be done as asked."""


class ConfigError(UsageError):
    """A setting in ``[tool.nbtrack]`` or an ``NBTRACK_*`` variable is invalid."""

    def __init__(self, message: str, *, key: str | None = None, path: Path | None = None):
        super().__init__(message)
        self.key = key
        self.path = path


class ParamError(UsageError):
    """A parameter is invalid or conflicts with one already logged."""

    def __init__(self, message: str, *, key: str | None = None):
        super().__init__(message)
        self.key = key


class MetricError(UsageError):
    """A metric value that is not a real number, or a bad key/step."""

    def __init__(self, message: str, *, key: str | None = None):
        super().__init__(message)
        self.key = key


class QueryError(UsageError):
    """A ``--where`` or ``--sort`` expression that cannot be parsed."""

    def __init__(self, message: str, *, expression: str | None = None):
        super().__init__(message)
        self.expression = expression


class RunNotFoundError(UsageError):
    """No run, or more than one run, matches the id (prefix) given."""

    def __init__(self, message: str, *, run_id: str | None = None):
        super().__init__(message)
        self.run_id = run_id


class StoreError(NbtrackError):
    """The run store cannot be opened, read or written."""

    def __init__(self, message: str, *, uri: str | None = None):
        super().__init__(message)
        self.uri = uri


class StoreUnreachableError(StoreError):
    """The store's server cannot be reached right now; retrying may succeed.

    Connection refused or reset, a timeout, a server shutting down. Not bad
    credentials, a missing database or an unknown host: those stay plain
    ``StoreError`` because no retry cures them. A SQLite file is never
    unreachable. Tracking keeps a run's data and retries on this error.
    """


class SchemaError(StoreError):
    """The store's schema is not the one this nbtrack speaks."""


class NotebookError(NbtrackError):
    """A file that is not a readable notebook, or a cell that cannot be used."""

    def __init__(self, message: str, *, path: Path | None = None, cell: int | None = None):
        super().__init__(message)
        self.path = path
        self.cell = cell


class RunError(NbtrackError):
    """A tracked run cannot proceed (for example, no run is active)."""


class ClusterError(NbtrackError):
    """The Dask cluster at ``address`` cannot be reached, has no usable workers, or failed."""

    def __init__(self, message: str, *, address: str | None = None):
        super().__init__(message)
        self.address = address


class VcsError(NbtrackError):
    """git, jupytext or nbdime could not do what was asked."""

    def __init__(self, message: str, *, path: Path | None = None):
        super().__init__(message)
        self.path = path
