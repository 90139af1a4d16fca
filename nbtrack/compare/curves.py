"""Metric curves of runs, ready to draw: x and y points, downsampled, labelled.

For: ``nbtrack plot``, ``nbtrack.plot``, the static report's charts and the
web UI. :func:`curves` reads each run's history of each metric through the
:class:`~nbtrack.compare.reader.Reader`, puts it on the x axis asked for,
smooths it (optional) and downsamples it, and names it for a legend: the
run's name (or short id) and the params that differ across the plotted runs,
e.g. ``baseline (lr=0.1)``. What comes back are plain :class:`Curve` values;
drawing them is :mod:`~nbtrack.compare.plot` (matplotlib) and
:mod:`~nbtrack.compare.svg` (inline SVG).

The x axis:

* ``"step"``: the step each point was logged with. A history with points
  logged without a step uses every point's place in the history instead
  (0, 1, 2, ...; the step-less points first, as they are stored), and says
  so in the axis label.
* ``"time"``: wall-clock time of each point (seconds since the epoch).
* ``"relative"``: seconds since the run started.

Smoothing is TensorBoard's: an exponential moving average with weight
``smoothing`` (0 = none, 0.6 a common choice, < 1), debiased so the first
points are not pulled towards zero; NaN and ±inf are shown as they are and
do not enter the average; a constant series is left alone. It is applied to
every point before downsampling, so the line is the same however many
points are drawn.

Not for: rendering, or reading the store other than through the reader.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from nbtrack.compare.columns import varying_keys
from nbtrack.compare.downsample import DEFAULT_MAX_POINTS, Method, downsample
from nbtrack.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from nbtrack.compare.reader import Reader
    from nbtrack.model import JSONValue, MetricHistory, Run

__all__ = [
    "X_AXES",
    "Curve",
    "CurveWarning",
    "XAxis",
    "curves",
    "ema",
    "labels",
    "on_axis",
    "time_unit",
    "x_label",
]

XAxis = Literal["step", "time", "relative"]
X_AXES: tuple[XAxis, ...] = ("step", "time", "relative")
#: params of a label at most; the rest shown as "…"
LABEL_PARAMS = 3
#: characters of one param value in a label at most
LABEL_VALUE_CHARS = 24


class CurveWarning(UserWarning):
    """A run left out of a metric's chart (it has no such metric)."""


@dataclass(frozen=True)
class Curve:
    """One metric of one run as points to draw.

    ``xs``/``ys`` are downsampled (``raw_points`` says how many were stored);
    ``ys`` may hold NaN (a gap in the line) and ±inf (a point off the chart).
    """

    run_id: str
    label: str
    metric: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    raw_points: int
    x: XAxis = "step"
    #: x is each point's place in the history, because some points have no step
    x_is_order: bool = False


def curves(
    reader: Reader,
    run_ids: Sequence[str],
    metrics: Sequence[str],
    *,
    x: XAxis = "step",
    smoothing: float = 0.0,
    max_points: int = DEFAULT_MAX_POINTS,
    method: Method = "lttb",
) -> list[Curve]:
    """The curves of *metrics* (in that order) of the runs *run_ids* (ids or unique prefixes).

    A run without one of the metrics is left out of that metric's curves with
    a :class:`CurveWarning`; a metric none of the runs has is a
    ``UsageError`` naming it and the metrics the runs do have.
    """
    if x not in X_AXES:
        raise UsageError(f"Unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    if not (isinstance(smoothing, int | float) and 0.0 <= smoothing < 1.0):
        raise UsageError(
            f"Smoothing must be a number from 0 up to (not including) 1, not {smoothing!r}."
        )
    if max_points < 2:
        raise UsageError(f"max_points must be at least 2, not {max_points!r}.")
    if not run_ids:
        raise UsageError("Name at least one run to draw curves of.")
    metrics = list(dict.fromkeys(metrics))
    if not metrics:
        raise UsageError("Name at least one metric to draw.")
    runs = _unique(reader.run(run_id) for run_id in run_ids)
    names = labels(runs)
    has = {run.id: {m.key for m in run.metrics} for run in runs}
    _check_metrics(runs, metrics, has)
    drawn: list[Curve] = []
    for metric in metrics:
        for run in runs:
            if metric not in has[run.id]:
                warnings.warn(
                    f"Run {names[run.id]} ({run.id[:8]}) has no metric {metric!r}: "
                    "it is left out of that chart.",
                    CurveWarning,
                    stacklevel=2,
                )
                continue
            history = reader.history(run.id, metric)
            drawn.append(_curve(history, run, names[run.id], x, smoothing, max_points, method))
    return drawn


def _unique(runs: Iterable[Run]) -> list[Run]:
    seen: dict[str, Run] = {}
    for run in runs:
        seen.setdefault(run.id, run)
    return list(seen.values())


def _check_metrics(runs: Sequence[Run], metrics: Sequence[str], has: dict[str, set[str]]) -> None:
    present = {key for keys in has.values() for key in keys}
    for metric in metrics:
        if metric in present:
            continue
        which = ", ".join(run.id[:8] for run in runs)
        known = sorted(present)
        they_have = f"they have: {', '.join(known)}" if known else "they have no metrics at all"
        plural = "s" if len(runs) > 1 else ""
        raise UsageError(f"No metric {metric!r} in the run{plural} {which}; {they_have}.")


def _curve(
    history: MetricHistory,
    run: Run,
    label: str,
    x: XAxis,
    smoothing: float,
    max_points: int,
    method: Method,
) -> Curve:
    import numpy as np

    xs, ys, from_order = on_axis(
        np.asarray(history.steps, dtype=np.float64),  # None (no step) becomes NaN here
        np.asarray(history.values, dtype=np.float64),
        np.asarray(history.timestamps, dtype=np.float64),
        x,
        run.started_at,
    )
    if smoothing:
        ys = ema(ys, smoothing)
    xs, ys = downsample(xs, ys, max_points, method=method)
    return Curve(
        run_id=run.id,
        label=label,
        metric=history.key,
        xs=tuple(xs.tolist()),
        ys=tuple(ys.tolist()),
        raw_points=len(history),
        x=x,
        x_is_order=from_order,
    )


def on_axis(
    steps: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    timestamps: npt.NDArray[np.float64],
    x: XAxis,
    started_at: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], bool]:
    """A history's points on the x axis *x*: ``(xs, ys, x_is_order)``, in x order.

    *steps* holds NaN for a point logged without a step; then ``"step"`` uses
    each point's place in the history and ``x_is_order`` is True. Time axes
    sort the points by time (stable).
    """
    import numpy as np

    if x == "step":
        if np.isnan(steps).any():
            return np.arange(len(values), dtype=np.float64), values, True
        return steps, values, False
    xs = timestamps - started_at if x == "relative" else timestamps
    order = np.argsort(xs, kind="stable")
    return xs[order], values[order], False


def ema(
    values: Sequence[float] | npt.NDArray[np.float64], weight: float
) -> npt.NDArray[np.float64]:
    """TensorBoard's debiased exponential moving average of *values* with *weight* in [0, 1).

    NaN and ±inf stay as they are and do not enter the average; a constant
    series comes back unchanged.

    >>> [round(v, 3) for v in ema([1.0, 2.0, float("nan"), 3.0], 0.5).tolist()]
    [1.0, 1.667, nan, 2.429]
    """
    import numpy as np

    y = np.array(values, dtype=np.float64)
    finite = np.isfinite(y)
    v = y[finite]
    # below 1e-9 a weight changes no value by more than a billionth of the step between points
    if weight < 1e-9 or len(v) == 0 or (v == v[0]).all():
        return y
    y[finite] = _ema_finite(v, float(weight))
    return y


def _ema_finite(v: npt.NDArray[np.float64], w: float) -> npt.NDArray[np.float64]:
    """Debiased EMA of finite *v*, vectorised in chunks.

    Inside a chunk of m points, ``s_j = w^j * sum_{i<=j} w^-i v_i`` (plus the
    carry from the chunk before, times ``w^(j+1)``): a cumulative sum. The
    chunk is as long as ``w^-m`` stays far from overflowing; the carries from
    chunk to chunk are a loop over chunks, not over points.
    """
    import numpy as np

    n = len(v)
    m = max(1, min(n, int(200 / -math.log10(w))))
    chunks = -(-n // m)
    padded = np.zeros(chunks * m)
    padded[:n] = v
    rows = padded.reshape(chunks, m)
    j = np.arange(m, dtype=np.float64)
    local = (1 - w) * np.cumsum(rows * w**-j, axis=1) * w**j
    carry = np.empty(chunks)
    last, w_m = 0.0, w**m
    for c in range(chunks):
        carry[c] = last
        last = float(local[c, -1]) + w_m * last
    smoothed = (local + carry[:, None] * w ** (j + 1)).reshape(-1)[:n]
    # 1 - w^k is 1 to the last bit once w^k < 2^-53: only the first points need it
    head = min(n, int(-53 / math.log2(w)) + 1)
    smoothed[:head] /= 1 - w ** np.arange(1, head + 1, dtype=np.float64)
    return smoothed


def labels(runs: Sequence[Run]) -> dict[str, str]:
    """Run id -> legend label: name (or short id) and the params that differ across *runs*.

    Two runs that would read the same also get their short id.
    """
    params = {run.id: {p.key: p.value for p in run.params} for run in runs}
    keys = varying_keys(params.values())
    named: dict[str, str] = {}
    for run in runs:
        shown = [f"{key}={_short(params[run.id][key])}" for key in keys if key in params[run.id]]
        if len(shown) > LABEL_PARAMS:
            shown = [*shown[:LABEL_PARAMS], "…"]
        base = run.name or run.id[:8]
        named[run.id] = f"{base} ({', '.join(shown)})" if shown else base
    counts: dict[str, int] = {}
    for label in named.values():
        counts[label] = counts.get(label, 0) + 1
    return {
        run_id: label
        if counts[label] == 1 or label.startswith(run_id[:8])
        else f"{label} [{run_id[:8]}]"
        for run_id, label in named.items()
    }


def _short(value: JSONValue) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= LABEL_VALUE_CHARS else text[: LABEL_VALUE_CHARS - 1] + "…"


def time_unit(span: float) -> tuple[str, float]:
    """The unit for *span* seconds of relative time and its size: ``("min", 60.0)``."""
    if span >= 3 * 3600:
        return "h", 3600.0
    if span >= 3 * 60:
        return "min", 60.0
    return "s", 1.0


def x_label(drawn: Sequence[Curve]) -> str:
    """The x axis' label for *drawn* (one chart), with relative time's unit."""
    kind = drawn[0].x if drawn else "step"
    if kind == "time":
        return "time"
    if kind == "relative":
        unit, _ = time_unit(_span(drawn))
        return f"time since the run started ({unit})"
    if any(c.x_is_order for c in drawn):
        return "step (points without a step: order logged)"
    return "step"


def _span(drawn: Sequence[Curve]) -> float:
    finite = [x for c in drawn for x in c.xs if math.isfinite(x)]
    return max(finite) - min(finite) if finite else 0.0
