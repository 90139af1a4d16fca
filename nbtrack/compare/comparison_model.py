"""The values a comparison of runs is made of, shared by ``comparison`` and every renderer.

Frozen dataclasses of plain values: ``comparison.compare_runs`` builds them,
the ``render_*`` modules read them. Column *i* of every row is run *i* of
:attr:`ComparisonData.runs`; run 0 is the baseline the others are measured
against. Nothing here reads a store, diffs code or prints.

:class:`ComparisonData` holds every field; ``comparison.Comparison`` adds the
display methods (``_repr_html_``, ``__str__``) on top, so the renderers can
name the type without importing the module that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nbtrack.compare.lineage import Producer
from nbtrack.model import DataRef, JSONValue
from nbtrack.vcs.diffmodel import NotebookDiff

__all__ = [
    "CodeChange",
    "ComparisonData",
    "DataRow",
    "DataStatus",
    "Direction",
    "DirectionSource",
    "MetricRow",
    "MetricStats",
    "PackageRow",
    "ParamCell",
    "ParamRow",
    "RunHeader",
    "Verdict",
]

#: which way a metric improves: ``higher`` (accuracy), ``lower`` (loss), or None (unknown)
Direction = Literal["higher", "lower"]
#: where the direction came from: the metric's name, ``--maximize``/``--minimize``, or nowhere
DirectionSource = Literal["name", "maximize", "minimize", "unknown"]
#: a run's value against the baseline's; None when there is nothing to judge
Verdict = Literal["better", "worse", "same"]
#: a data path across the runs: one digest everywhere, several, or missing from some runs
DataStatus = Literal["same", "changed", "partial"]


@dataclass(frozen=True)
class RunHeader:
    """Who a column is: the run, its notebook, its commit and its Python."""

    id: str
    name: str | None
    status: str
    notebook: str | None
    started_at: float
    ended_at: float | None
    duration: float | None
    git_commit: str | None
    git_branch: str | None
    #: uncommitted changes at the run's start (None: unknown, e.g. not in a git repository)
    git_dirty: bool | None
    python: str
    #: the experiment the run belongs to
    experiment: str = "default"

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def label(self) -> str:
        """``baseline-lr (3f9c2a1b)``, or the short id alone for a run without a name."""
        return f"{self.name} ({self.short_id})" if self.name else self.short_id


@dataclass(frozen=True)
class ParamCell:
    """One run's value of a param; ``present`` is False when the run never logged it."""

    present: bool
    value: JSONValue = None
    #: the value differs from the baseline's (a param only one of them has differs too)
    changed: bool = False


@dataclass(frozen=True)
class ParamRow:
    key: str
    cells: tuple[ParamCell, ...]


@dataclass(frozen=True)
class MetricStats:
    """One run's summary of one metric, and how it stands against the baseline.

    ``min``/``max`` leave NaN points out (NaN when every point is NaN); ``best``
    is ``max`` or ``min`` by the metric's direction, None when the direction is
    unknown. Deltas are None for the baseline itself, when the baseline lacks
    the metric, or when either value is not finite.
    """

    last: float
    last_step: int | None
    min: float
    max: float
    count: int
    best: float | None = None
    #: the first step (or, for points logged without steps, None) where ``best`` was reached
    best_step: int | None = None
    delta_last: float | None = None
    #: ``delta_last / |baseline last|``; None when the baseline's last is 0
    relative_last: float | None = None
    delta_best: float | None = None
    relative_best: float | None = None
    #: last against the baseline's last, by the direction; None when not judged
    verdict: Verdict | None = None
    #: best against the baseline's best, by the direction
    verdict_best: Verdict | None = None


@dataclass(frozen=True)
class MetricRow:
    key: str
    direction: Direction | None
    direction_source: DirectionSource
    #: one per run; None where the run did not log this metric
    runs: tuple[MetricStats | None, ...]


@dataclass(frozen=True)
class DataRow:
    """A data path the runs used: its digest in each run (None: the run did not use it).

    ``makers`` holds, per run, the run that logged that content as an artifact
    (None: no run of the store made it, or the run did not use the path).
    """

    path: str
    status: DataStatus
    refs: tuple[DataRef | None, ...]
    makers: tuple[Producer | None, ...] = ()

    @property
    def digests(self) -> tuple[str | None, ...]:
        return tuple(ref.digest if ref is not None else None for ref in self.refs)


@dataclass(frozen=True)
class PackageRow:
    """An installed package whose version is not the same in every run (None: not installed)."""

    name: str
    versions: tuple[str | None, ...]


@dataclass(frozen=True)
class CodeChange:
    """The code of run ``run`` against the baseline's, both from their stored snapshots.

    ``diff`` is None when there is nothing to diff, and ``note`` says why
    (a run without a stored snapshot); an unchanged ``diff`` means the same code.
    """

    run: int
    diff: NotebookDiff | None
    note: str = ""

    @property
    def same(self) -> bool:
        return self.diff is not None and not self.diff.has_changes


@dataclass(frozen=True)
class ComparisonData:
    """Runs side by side; ``runs[0]`` is the baseline."""

    runs: tuple[RunHeader, ...]
    params: tuple[ParamRow, ...]
    #: True when ``params`` holds every param, False when only those that differ
    all_params: bool
    metrics: tuple[MetricRow, ...]
    data: tuple[DataRow, ...]
    packages: tuple[PackageRow, ...]
    #: one per run after the baseline, in run order; empty when the code was not compared
    code: tuple[CodeChange, ...]
    code_compared: bool
    #: per run: whether its installed packages were captured (``packages`` compares those only)
    packages_captured: tuple[bool, ...] = ()

    @property
    def baseline(self) -> RunHeader:
        return self.runs[0]

    @property
    def experiments(self) -> tuple[str, ...]:
        """The distinct experiments of the runs, in run order."""
        return tuple(dict.fromkeys(run.experiment for run in self.runs))

    @property
    def notebooks(self) -> tuple[str, ...]:
        """The distinct notebooks of the runs, in run order."""
        return tuple(dict.fromkeys(r.notebook or "" for r in self.runs if r.notebook))
