"""Plain values that move between nbtrack's layers.

Frozen dataclasses and one enum: no I/O, no SQL, no imports heavier than the
standard library. The store returns these; the doors render them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Artifact",
    "DataRef",
    "Environment",
    "GcPlan",
    "GitState",
    "JSONValue",
    "Metric",
    "MetricHistory",
    "MetricSummary",
    "Param",
    "ParamSource",
    "Run",
    "RunEvent",
    "RunPage",
    "RunStatus",
    "RunSummary",
    "RunTable",
    "Source",
]

#: what a param value may be once normalised: JSON-representable data
JSONValue = Any


class RunStatus(enum.StrEnum):
    """Life-cycle state of a run.

    ``CRASHED`` is never written by a live process: a run stored as RUNNING
    whose heartbeat is older than the limit *reads* as CRASHED.
    """

    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CRASHED = "CRASHED"

    @property
    def is_terminal(self) -> bool:
        return self is not RunStatus.RUNNING


class ParamSource(enum.StrEnum):
    """Where a param's value came from."""

    CODE = "code"  # nbtrack.log_param(s) from Python
    NOTEBOOK = "notebook"  # the parameters cell / %track_params of variables
    FILE = "file"  # a YAML/TOML/JSON config file
    CLI = "cli"  # injected with -p by nbtrack run / smoke / papermill


@dataclass(frozen=True)
class Param:
    key: str
    value: JSONValue
    source: ParamSource = ParamSource.CODE


@dataclass(frozen=True)
class Metric:
    key: str
    value: float  # NaN and +-inf round-trip
    step: int | None
    timestamp: float  # seconds since the epoch


@dataclass(frozen=True)
class MetricHistory:
    """Every point of one metric of one run, as columns, in step order.

    Points without a step come first, then by step; ties (the no-step points
    among them) by time, then in logging order. ``values`` keep NaN and ±inf as logged.
    """

    run_id: str
    key: str
    steps: tuple[int | None, ...] = ()
    values: tuple[float, ...] = ()
    timestamps: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class MetricSummary:
    key: str
    last: float
    min: float
    max: float
    count: int
    last_step: int | None
    #: the step of the first point logged with the min / max value (None: it had no step)
    min_step: int | None = None
    max_step: int | None = None


@dataclass(frozen=True)
class DataRef:
    """A version of a dataset a run read: a file, a directory or a versioned table.

    ``path`` is the ref as given (a path relative to the project root when
    inside it, or a URI with any password hidden); ``kind`` says what holds it
    (``file``, ``directory``, ``dvc``, ``git-lfs``, ``config``, ``delta``,
    ``lakefs``, ``dolt``, ``pachyderm``, ``s3``, ``tensorboard``); ``digest``
    is the version as that system names it, prefixed by what it is
    (``sha256:<hex>`` for content, ``md5:<hex>`` from DVC, ``delta:<n>``,
    ``lakefs:<commit id>``, ``dolt:<commit hash>``, ``pachyderm:<commit id>``,
    ``s3-version:<id>`` or ``etag:<etag>``). ``resolved`` is False for a ref
    that could not be resolved to something immutable when it was tracked (the
    service was down, no credentials, a branch that moves): ``digest`` is then
    empty and ``detail["reason"]`` says why.
    """

    path: str
    kind: str
    digest: str
    size: int | None  # bytes
    detail: dict[str, JSONValue] = field(default_factory=dict)
    logged_at: float = 0.0
    resolved: bool = True


@dataclass(frozen=True)
class Artifact:
    """A file stored content-addressed under the store's artifact root.

    ``step`` is the training step the file belongs to (a figure logged every
    epoch): artifacts of one name with different steps are one series, read
    back by step; None for a file that belongs to the whole run.
    """

    name: str
    digest: str  # "sha256:<hex>"
    size: int
    media_type: str
    uri: str  # where the bytes are: a path under the artifact root
    logged_at: float = 0.0
    step: int | None = None


@dataclass(frozen=True)
class GitState:
    commit: str | None = None
    branch: str | None = None
    dirty: bool | None = None
    diff: str | None = None  # tracked changes, size-capped
    diff_truncated: bool = False
    remote: str | None = None
    root: str | None = None


@dataclass(frozen=True)
class Environment:
    python: str = ""
    platform: str = ""
    host: str = ""
    user: str = ""
    cwd: str = ""
    argv: tuple[str, ...] = ()
    packages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """The code a run came from: notebook (or script) path and text snapshot."""

    path: str | None = None
    snapshot: str | None = None  # jupytext py:percent text of the saved file
    snapshot_hash: str | None = None
    #: the file on disk was older than the last executed cell (unsaved edits)
    stale: bool | None = None


@dataclass(frozen=True)
class RunEvent:
    """Something that happened to a run: a cell error, a rename, a note."""

    kind: str
    timestamp: float
    detail: dict[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True)
class GcPlan:
    """What ``nbtrack gc`` removes (planned), or removed (done).

    ``runs`` are soft-deleted runs whose rows go; ``files`` the artifacts (one
    per digest) that only those runs reference, so their files go too.
    """

    runs: tuple[RunSummary, ...] = ()
    files: tuple[Artifact, ...] = ()
    #: digests of those runs that a run which stays still uses (their files stay)
    shared: int = 0
    #: files kept because they were written within the grace period
    recent: tuple[Artifact, ...] = ()
    #: deleted runs that still read RUNNING, kept unless forced
    running: tuple[RunSummary, ...] = ()

    @property
    def bytes(self) -> int:
        return sum(a.size for a in self.files)


@dataclass(frozen=True)
class RunSummary:
    """One row of ``nbtrack runs``: enough to list and filter, no histories."""

    id: str
    name: str | None
    status: RunStatus
    notebook: str | None
    started_at: float
    ended_at: float | None
    heartbeat_at: float | None
    params: dict[str, JSONValue] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # last value per key
    tags: dict[str, str] = field(default_factory=dict)
    #: when ``nbtrack rm`` soft-deleted the run; None for a live run
    deleted_at: float | None = None
    #: the experiment the run belongs to (``[tool.nbtrack] experiment``)
    experiment: str = "default"

    @property
    def duration(self) -> float | None:
        end = self.ended_at if self.ended_at is not None else self.heartbeat_at
        return None if end is None else max(0.0, end - self.started_at)


@dataclass(frozen=True)
class RunPage:
    """One page of a listing (``Store.run_page``): its runs, how many follow, and
    the cursor that lists the next page (keyset pagination)."""

    runs: list[RunSummary]
    #: how many matching runs follow this page (counted up to a cap; 0: the last page)
    more: int = 0
    #: ``more`` is the cap: at least that many follow, the count stopped there
    more_capped: bool = False
    #: the cursor of the next page (``after=``); None on the last page
    next: str | None = None


@dataclass(frozen=True)
class Run:
    """Everything stored about one run (metric histories excepted)."""

    id: str
    name: str | None
    status: RunStatus
    started_at: float
    ended_at: float | None
    heartbeat_at: float | None
    params: tuple[Param, ...] = ()
    metrics: tuple[MetricSummary, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    data: tuple[DataRef, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    events: tuple[RunEvent, ...] = ()
    git: GitState = field(default_factory=GitState)
    environment: Environment = field(default_factory=Environment)
    source: Source = field(default_factory=Source)
    #: when ``nbtrack rm`` soft-deleted the run; None for a live run
    deleted_at: float | None = None
    #: the free-text note of ``nbtrack note``; None when there is none
    note: str | None = None
    #: the experiment the run belongs to (``[tool.nbtrack] experiment``)
    experiment: str = "default"

    #: reads a metric's history from the store this run came from; bound by the read
    #: API (``nbtrack.get_run``), None on a run built by hand
    _history: Callable[[str], Any] | None = field(
        default=None, compare=False, repr=False, kw_only=True
    )

    @property
    def notebook(self) -> str | None:
        return self.source.path

    @property
    def duration(self) -> float | None:
        end = self.ended_at if self.ended_at is not None else self.heartbeat_at
        return None if end is None else max(0.0, end - self.started_at)

    def history(self, key: str) -> Any:
        """Every point of metric *key* as a DataFrame ``step, value, time``.

        Works on runs from ``nbtrack.get_run``; same as ``nbtrack.metric_history(run.id, key)``.
        """
        if self._history is None:
            from nbtrack.errors import UsageError

            raise UsageError(
                f"Run {self.id[:12]!r} was not read from a store, so it cannot read its "
                f"history of {key!r}; use nbtrack.get_run({self.id[:12]!r}).history({key!r}) "
                f"or nbtrack.metric_history({self.id[:12]!r}, {key!r})."
            )
        return self._history(key)


@dataclass(frozen=True)
class RunTable:
    """Runs as columns, for DataFrames: one entry per run in each tuple, in listing order.

    ``params``, ``metrics`` (last value) and ``tags`` map a key to
    ``{row index: value}`` for the runs that have it.
    """

    ids: tuple[str, ...] = ()
    names: tuple[str | None, ...] = ()
    statuses: tuple[RunStatus, ...] = ()
    notebooks: tuple[str | None, ...] = ()
    started_at: tuple[float, ...] = ()
    ended_at: tuple[float | None, ...] = ()
    heartbeat_at: tuple[float | None, ...] = ()
    params: dict[str, dict[int, JSONValue]] = field(default_factory=dict)
    metrics: dict[str, dict[int, float]] = field(default_factory=dict)
    tags: dict[str, dict[int, str]] = field(default_factory=dict)
    experiments: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)
