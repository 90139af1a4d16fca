"""Downsampling keeps the shape a chart shows: ends, peaks, gaps and points off the chart."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbtrack.compare.downsample import PRESELECT, downsample, lttb


def sequential_lttb(x: list[float], y: list[float], n: int) -> list[int]:
    """LTTB as Steinarsson's thesis writes it, one bucket after another (the reference)."""
    size = len(y)
    every = (size - 2) / (n - 2)
    kept, a = [0], 0
    for b in range(n - 2):
        start, end = int(b * every) + 1, int((b + 1) * every) + 1
        if b < n - 3:
            following = range(end, int((b + 2) * every) + 1)
            cx = sum(x[i] for i in following) / len(following)
            cy = sum(y[i] for i in following) / len(following)
        else:
            end, cx, cy = size - 1, x[-1], y[-1]
        areas = [
            abs((x[a] - cx) * (y[i] - y[a]) - (x[a] - x[i]) * (cy - y[a]))
            for i in range(start, end)
        ]
        a = start + areas.index(max(areas))
        kept.append(a)
    return [*kept, size - 1]


@pytest.mark.parametrize(("size", "n"), [(1000, 300), (7999, 2000), (12, 5), (12, 3)])
def test_lttb_chooses_exactly_the_points_sequential_lttb_chooses(size: int, n: int) -> None:
    rng = np.random.default_rng(size)
    x = np.sort(rng.uniform(0, 100, size))
    y = np.cumsum(rng.normal(size=size))
    assert size <= PRESELECT * n  # no preselection: every point is a candidate
    assert lttb(x, y, n).tolist() == sequential_lttb(x.tolist(), y.tolist(), n)


@pytest.mark.parametrize("method", ["lttb", "minmax"])
def test_a_long_noisy_series_keeps_its_budget_its_ends_and_its_spikes(method: str) -> None:
    rng = np.random.default_rng(7)
    x = np.arange(100_000, dtype=float)
    y = np.sin(x / 5000) + rng.normal(scale=0.05, size=x.size)
    y[31_415], y[77_777] = 25.0, -30.0  # one spike up, one down: a chart must show both
    xs, ys = downsample(x, y, 2000, method=method)
    assert len(xs) <= 2000
    assert len(xs) > 1900  # the budget is used, not wasted
    assert (xs[0], xs[-1]) == (0.0, 99_999.0)
    assert (ys[0], ys[-1]) == (y[0], y[-1])
    assert 31_415.0 in xs
    assert 77_777.0 in xs
    assert np.all(np.diff(xs) > 0)  # in order, no point twice
    # every kept point is a real point of the series
    assert np.array_equal(ys, y[xs.astype(int)])


def test_minmax_keeps_every_buckets_lowest_and_highest_point() -> None:
    y = np.tile([0.0, 5.0, -5.0, 1.0], 2500)  # each bucket of 10 holds a 5 and a -5
    _xs, ys = downsample(np.arange(y.size), y, 2000, method="minmax")
    assert ys.max() == 5.0
    assert ys.min() == -5.0
    interior = ys[1:-1]
    assert np.count_nonzero(interior == 5.0) >= 999
    assert np.count_nonzero(interior == -5.0) >= 999


@pytest.mark.parametrize("method", ["lttb", "minmax"])
def test_a_monotone_series_stays_monotone_from_its_first_to_its_last_value(method: str) -> None:
    x = np.linspace(0, 1, 50_000)
    y = np.exp(-5 * x)
    xs, ys = downsample(x, y, 500, method=method)
    assert len(xs) <= 500
    assert ys[0] == 1.0
    assert ys[-1] == y[-1]
    assert np.all(np.diff(ys) < 0)


def test_a_short_series_comes_back_whole_as_floats() -> None:
    xs, ys = downsample([1, 2, 3], [0.5, math.nan, math.inf], 3)
    assert xs.tolist() == [1.0, 2.0, 3.0]
    assert ys[0] == 0.5
    assert math.isnan(ys[1])
    assert ys[2] == math.inf


@pytest.mark.parametrize("method", ["lttb", "minmax"])
def test_nan_leaves_a_gap_where_it_was_and_inf_stays_as_a_point_off_the_chart(method: str) -> None:
    x = np.arange(100_000, dtype=float)
    y = np.cos(x / 1000)
    y[40_000:40_100] = math.nan  # a gap of 100 points
    y[60_000] = math.inf
    y[70_000:70_003] = -math.inf
    xs, ys = downsample(x, y, 1000, method=method)
    assert len(xs) <= 1000
    gaps = xs[np.isnan(ys)]
    assert gaps.tolist() == [40_000.0]  # one NaN: enough to break the line there
    assert xs[ys == math.inf].tolist() == [60_000.0]
    assert xs[ys == -math.inf].tolist() == [70_000.0, 70_002.0]  # a run of them: its ends
    # the line resumes right after the gap and finishes at the last point
    assert 40_100.0 in xs
    assert xs[-1] == 99_999.0
    finite = np.isfinite(ys)
    assert np.array_equal(ys[finite], y[xs[finite].astype(int)])


@pytest.mark.parametrize("method", ["lttb", "minmax"])
def test_nan_every_other_point_falls_back_to_buckets_that_still_show_gaps(method: str) -> None:
    y = np.arange(50_000, dtype=float)
    y[1::2] = math.nan
    xs, ys = downsample(np.arange(y.size), y, 600, method=method)
    assert len(xs) <= 600
    assert np.isnan(ys).sum() > 100  # the line is drawn broken, as it is
    finite = ys[np.isfinite(ys)]
    assert finite.min() == 0.0
    assert finite.max() == 49_998.0


@pytest.mark.parametrize("method", ["lttb", "minmax"])
def test_an_all_nan_series_comes_back_as_one_gap_not_an_error(method: str) -> None:
    xs, ys = downsample(np.arange(10_000), np.full(10_000, math.nan), 100, method=method)
    assert xs.tolist() == [0.0]
    assert math.isnan(ys[0])


def test_all_inf_keeps_both_ends_of_the_run() -> None:
    xs, ys = downsample(np.arange(10_000), np.full(10_000, math.inf), 100)
    assert xs.tolist() == [0.0, 9999.0]
    assert ys.tolist() == [math.inf, math.inf]


def test_bad_arguments_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="max_points must be at least 2, not 1"):
        downsample([1, 2, 3], [1, 2, 3], 1)
    with pytest.raises(ValueError, match="unknown downsampling method 'mean'"):
        downsample([1, 2, 3], [1, 2, 3], 2, method="mean")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one length"):
        downsample([1, 2], [1, 2, 3], 2)
