"""Fewer points that draw the same line: LTTB and min/max downsampling of (x, y) series.

For: curves for people (``nbtrack plot``, the static report's inline SVG, the
web UI), where a series of 100,000 points on a chart 600 pixels wide is
mostly work for nothing. :func:`downsample` keeps at most ``max_points`` of
the points, always the first and the last, and chooses the rest so the line
looks the same:

* ``"lttb"`` (largest triangle, three buckets; Steinarsson 2013): one point
  per bucket, the one spanning the largest triangle with the point kept
  before it and the next bucket's mean. Peaks and the shape survive.
* ``"minmax"``: the lowest and the highest point of each bucket, in order.
  Every extreme survives exactly; the line looks thicker where it is noisy.

Values that are not finite are not values on the line:

* NaN breaks the line: the first NaN of each run of NaNs is kept, so a
  renderer draws a gap there (matplotlib and :mod:`nbtrack.compare.svg` do).
* +inf and -inf are kept as themselves (the first and the last of each run of
  them): renderers draw them as markers clipped to the top or bottom edge of
  the chart, since no axis can hold them; they break the line too.

Each stretch of finite points between them is downsampled on its own with a
share of the budget in proportion to its length. When a series has more such
stretches than the budget can honour (NaN every other point), it falls back
to buckets that each keep their lowest and highest finite point and their
first non-finite one.

Not for: reading histories (``Reader.history``), smoothing (``curves``) or
anything statistical: what is kept is chosen for the eye, not for the mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]

__all__ = ["DEFAULT_MAX_POINTS", "METHODS", "Method", "downsample", "lttb", "minmax"]

#: points a curve keeps by default: more than a wide chart has pixel columns
DEFAULT_MAX_POINTS = 2000
Method = Literal["lttb", "minmax"]
#: LTTB chooses among this many candidates per point it keeps (a min/max preselection)
PRESELECT = 4
METHODS: tuple[Method, ...] = ("lttb", "minmax")


def downsample(
    xs: Sequence[float] | FloatArray,
    ys: Sequence[float] | FloatArray,
    max_points: int = DEFAULT_MAX_POINTS,
    *,
    method: Method = "lttb",
) -> tuple[FloatArray, FloatArray]:
    """At most *max_points* of the points ``(xs[i], ys[i])``, in order, as two float arrays.

    A series no longer than *max_points* comes back whole. NaN and ±inf are
    handled as the module docstring says.

    >>> xs, ys = downsample(range(10_000), [i % 100 for i in range(10_000)], 400)
    >>> len(xs) <= 400, float(xs[0]), float(xs[-1]), float(ys.max())
    (True, 0.0, 9999.0, 99.0)
    """
    import numpy as np

    if method not in METHODS:
        raise ValueError(f"unknown downsampling method {method!r}; use one of {METHODS}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, not {max_points}")
    x = np.array(xs, dtype=np.float64)
    y = np.array(ys, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(
            f"xs and ys must be two 1-d series of one length, not {x.shape}, {y.shape}"
        )
    if len(y) <= max_points:
        return x, y
    keep = _keep(x, y, max_points, method)
    return x[keep], y[keep]


def lttb(x: FloatArray, y: FloatArray, n: int) -> IntArray:
    """Indices of the *n* points LTTB keeps of the finite series (x, y), first and last included.

    A series longer than ``PRESELECT * n`` is first cut to the lowest and
    highest point of ``PRESELECT * n / 2`` buckets (MinMaxLTTB, Van Der
    Donckt et al. 2023): LTTB picks from those, which keeps the work per
    output point constant and chooses, for a curve drawn at that size, the
    points it would have chosen from all of them.
    """
    import numpy as np

    size = len(y)
    if n >= size:
        return np.arange(size)
    if n <= 2:
        return np.array([0, size - 1][:n], dtype=np.intp)
    if size > PRESELECT * n:
        candidates = minmax(y, PRESELECT * n)
        return candidates[_lttb(x[candidates], y[candidates], n)]
    return _lttb(x, y, n)


def _lttb(x: FloatArray, y: FloatArray, n: int) -> IntArray:
    """Exact LTTB (Steinarsson 2013): *n* >= 3 indices of a series longer than *n*."""
    import numpy as np

    size = len(y)
    buckets = n - 2
    # bucket b covers [edges[b], edges[b+1]) of the points between the first and the last
    edges = (np.arange(buckets + 1) * ((size - 2) / buckets)).astype(np.intp) + 1
    edges[-1] = size - 1
    starts, ends = edges[:-1], edges[1:]
    # the "third" point of bucket b: the mean of bucket b+1 (the last point for the last)
    counts = (ends - starts).astype(np.float64)
    next_x = np.append((np.add.reduceat(x[1:-1], starts - 1) / counts)[1:], x[-1])
    next_y = np.append((np.add.reduceat(y[1:-1], starts - 1) / counts)[1:], y[-1])
    index = starts[:, None] + np.arange(int(counts.max()))[None, :]
    # a short bucket repeats its first point: a tie that argmax resolves to the first
    index = np.where(index < ends[:, None], index, starts[:, None])
    # Each bucket's choice depends on the point kept in the bucket before it.
    # Choose for every bucket at once from a guess of that point (the one
    # chosen from the bucket before's first point), then go through the
    # buckets in order and choose again only where the guess was wrong.
    rows = np.arange(buckets)
    guess = _largest_triangles(x, y, index, next_x, next_y, np.append(0, starts[:-1]))
    before = np.append(0, guess[:-1])
    chosen = _largest_triangles(x, y, index, next_x, next_y, before)
    xl, yl, nx, ny = x.tolist(), y.tolist(), next_x.tolist(), next_y.tolist()
    picked, assumed = chosen.tolist(), before.tolist()
    first, last = starts.tolist(), ends.tolist()
    previous = 0
    for b in rows.tolist():
        if assumed[b] != previous:
            ax, ay, cx, cy = xl[previous], yl[previous], nx[b], ny[b]
            best, where = -1.0, first[b]
            for i in range(first[b], last[b]):
                area = abs((ax - cx) * (yl[i] - ay) - (ax - xl[i]) * (cy - ay))
                if area > best:
                    best, where = area, i
            picked[b] = where
        previous = picked[b]
    return np.array([0, *picked, size - 1], dtype=np.intp)


def _largest_triangles(
    x: FloatArray,
    y: FloatArray,
    index: IntArray,
    next_x: FloatArray,
    next_y: FloatArray,
    before: IntArray,
) -> IntArray:
    """For every bucket (a row of *index*), its point of largest triangle with *before* and next."""
    import numpy as np

    # twice the area of the triangle (a, p, c) is |alpha * py + beta * px + gamma|
    ax, ay = x[before], y[before]
    alpha, beta = ax - next_x, next_y - ay
    gamma = -alpha * ay - beta * ax
    area = np.abs(alpha[:, None] * y[index] + beta[:, None] * x[index] + gamma[:, None])
    picked: IntArray = index[np.arange(len(index)), area.argmax(axis=1)]
    return picked


def minmax(y: FloatArray, n: int) -> IntArray:
    """Indices of at most *n* points of the finite series *y*: each bucket's min and max.

    The first and the last point are kept; the rest is cut into ``(n - 2) // 2``
    buckets of nearly equal count.
    """
    import numpy as np

    size = len(y)
    if n >= size:
        return np.arange(size)
    buckets = (n - 2) // 2
    if buckets < 1:
        return np.array([0, size - 1][:n], dtype=np.intp)
    edges = (np.arange(buckets + 1) * ((size - 2) / buckets)).astype(np.intp) + 1
    edges[-1] = size - 1
    lows, highs = _bucket_extremes(y, edges[:-1], edges[1:])
    picked = np.unique(np.concatenate(([0, size - 1], lows, highs)))
    return picked.astype(np.intp)


def _bucket_extremes(
    y: FloatArray, starts: IntArray, ends: IntArray, valid: npt.NDArray[np.bool_] | None = None
) -> tuple[IntArray, IntArray]:
    """Index of the lowest and of the highest *valid* value in each ``[starts[b], ends[b])``.

    A bucket without a valid value answers its first index for both.
    """
    import numpy as np

    width = int((ends - starts).max())
    index = starts[:, None] + np.arange(width)[None, :]
    inside = index < ends[:, None]
    index = np.where(inside, index, starts[:, None])
    if valid is not None:
        inside &= valid[index]
    values = y[index]
    rows = np.arange(len(starts))
    lows = index[rows, np.where(inside, values, np.inf).argmin(axis=1)]
    highs = index[rows, np.where(inside, values, -np.inf).argmax(axis=1)]
    return lows, highs


def _keep(x: FloatArray, y: FloatArray, max_points: int, method: Method) -> IntArray:
    """Indices to keep of a series longer than *max_points*."""
    import numpy as np

    finite = np.isfinite(y)
    if finite.all():
        return _pick(x, y, max_points, method)
    special = _special_points(y, finite)
    starts, ends = _finite_stretches(finite)
    budget = max_points - len(special)
    if budget < 2 * len(starts):
        return _coarse(y, finite, max_points)
    total = int((ends - starts).sum())
    kept = [special]
    spare = budget - 2 * len(starts)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        share = 2 + (spare * (end - start)) // total
        kept.append(start + _pick(x[start:end], y[start:end], share, method))
    return np.sort(np.concatenate(kept)).astype(np.intp)


def _pick(x: FloatArray, y: FloatArray, n: int, method: Method) -> IntArray:
    return lttb(x, y, n) if method == "lttb" else minmax(y, n)


def _special_points(y: FloatArray, finite: npt.NDArray[np.bool_]) -> IntArray:
    """The non-finite points worth keeping: each NaN run's first, each inf run's ends."""
    import numpy as np

    kind = np.where(finite, 0, np.where(np.isnan(y), 1, np.sign(np.nan_to_num(y, nan=0.0)) + 3))
    changed = np.diff(kind) != 0
    first = np.concatenate(([True], changed))
    last = np.concatenate((changed, [True]))
    keep = ~finite & (first | (last & ~np.isnan(y)))
    return np.flatnonzero(keep).astype(np.intp)


def _finite_stretches(finite: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) of each run of finite points."""
    import numpy as np

    edges = np.diff(np.concatenate(([0], finite.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _coarse(y: FloatArray, finite: npt.NDArray[np.bool_], max_points: int) -> IntArray:
    """Buckets keeping their lowest and highest finite point and first non-finite one."""
    import numpy as np

    size = len(y)
    buckets = max(1, (max_points - 2) // 3)
    edges = (np.arange(buckets + 1) * (size / buckets)).astype(np.intp)
    edges[-1] = size
    starts, ends = edges[:-1], edges[1:]
    lows, highs = _bucket_extremes(y, starts, ends, finite)
    marks = np.flatnonzero(~finite)
    # the first non-finite point at or after each bucket's start is the first of its own bucket
    firsts = np.unique(np.searchsorted(marks, starts))
    picked = np.concatenate(
        (
            [0, size - 1],
            lows[finite[lows]],
            highs[finite[highs]],
            marks[firsts[firsts < len(marks)]],
        )
    )
    return np.unique(picked).astype(np.intp)
