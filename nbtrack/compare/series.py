"""One metric of several runs as series for an interactive chart, read as extremes.

For: the web UI's charts (``/api/series``), which redraw while a run logs,
so a long history must never cross into Python whole. Each run's history is
read through :meth:`Reader.extremes` (the database picks each of
``max_points / 2`` buckets' lowest, highest and first NaN point, with the
first and last point: min/max per bucket, about *max_points* points), put on
the x axis with :func:`curves.on_axis` and cut to at most *max_points* points
by :func:`downsample.downsample` (LTTB), so a chart of 10 runs x 100,000
points reads and sends about 20,000. Half as many buckets as points, not as
many: a 100,000-point history then has more of the store's 64-point blocks
than buckets, so its extremes are folded from the blocks instead of scanned
(10 runs x 100,000 points: ~85 ms instead of ~450 ms on SQLite). Labels are
:func:`curves.labels`' (name or short id and the params that differ).

A run that never logged the metric gets an empty series (runs compared side
by side may differ); a metric none of the runs logged is a ``UsageError``,
and so is an x axis or a point budget that is not one.

Not for: smoothing (the chart does it over the points it draws, with
:func:`curves.ema`'s rule) or JSON (the door shapes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbtrack.compare.curves import X_AXES, XAxis, labels, on_axis
from nbtrack.compare.downsample import downsample
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from nbtrack.compare.reader import Reader
    from nbtrack.model import Run, RunStatus

__all__ = ["MAX_SERIES_POINTS", "RunSeries", "metric_series"]

#: points a chart's series keeps at most (more than a wide chart has pixel columns)
MAX_SERIES_POINTS = 2000


@dataclass(frozen=True)
class RunSeries:
    """One run's series of one metric, ready to draw.

    ``xs``/``ys`` are at most the budget's points, in x order; ``ys`` may
    hold NaN (a gap) and ±inf (a point no axis holds). ``points`` is how
    many the run logged; ``downsampled`` whether fewer are here.
    """

    run_id: str
    label: str
    name: str | None
    status: RunStatus
    xs: npt.NDArray[np.float64]
    ys: npt.NDArray[np.float64]
    points: int
    downsampled: bool
    #: x is each point's place in the history, because some points have no step
    x_is_order: bool = False


def metric_series(
    reader: Reader,
    run_ids: Sequence[str],
    metric: str,
    *,
    x: XAxis = "step",
    max_points: int = MAX_SERIES_POINTS,
) -> list[RunSeries]:
    """*metric* of each of *run_ids* (ids or unique prefixes; once each, in that order)."""
    if x not in X_AXES:
        raise UsageError(f"Unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    if not 2 <= max_points <= MAX_SERIES_POINTS:
        raise UsageError(
            f"A series keeps from 2 to {MAX_SERIES_POINTS:,} points, not {max_points!r}."
        )
    if not run_ids:
        raise UsageError("Name at least one run to chart.")
    runs: dict[str, Run] = {}
    for run_id in run_ids:
        run = reader.run(run_id)
        runs.setdefault(run.id, run)
    counts = {
        run.id: next((m.count for m in run.metrics if m.key == metric), 0) for run in runs.values()
    }
    if not any(counts.values()):
        _no_such_metric(list(runs.values()), metric)
    names = labels(list(runs.values()))
    return [
        _series(reader, run, names[run.id], metric, counts[run.id], x, max_points)
        for run in runs.values()
    ]


def _series(
    reader: Reader, run: Run, label: str, metric: str, count: int, x: XAxis, max_points: int
) -> RunSeries:
    import numpy as np

    if count == 0:
        empty = np.zeros(0, dtype=np.float64)
        return RunSeries(run.id, label, run.name, run.status, empty, empty, 0, False)
    arrays = reader.extremes(run.id, metric, max(1, max_points // 2))  # see the docstring
    if x == "step" and not arrays.has_step.all() and len(arrays.values) < count:
        # a point's place in the history is its x: only the whole history knows it
        arrays = reader.history_arrays(run.id, metric)
    steps = np.where(arrays.has_step, arrays.steps, np.nan).astype(np.float64)
    values = np.asarray(arrays.values, dtype=np.float64)
    times = np.asarray(arrays.timestamps, dtype=np.float64)
    xs, ys, from_order = on_axis(steps, values, times, x, run.started_at)
    xs, ys = downsample(xs, ys, max_points, method="lttb")
    # a live run may have logged more since its summary was read
    points = max(count, len(arrays.values))
    return RunSeries(
        run.id, label, run.name, run.status, xs, ys, points, len(ys) < points, from_order
    )


def _no_such_metric(runs: Sequence[Run], metric: str) -> None:
    which = ", ".join(run.id[:8] for run in runs)
    known = sorted({m.key for run in runs for m in run.metrics})
    they_have = f"they have: {', '.join(known)}" if known else "they have no metrics yet"
    plural = "s" if len(runs) > 1 else ""
    raise UsageError(f"No metric {metric!r} in the run{plural} {which}; {they_have}.")
