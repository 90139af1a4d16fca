"""Curves read from a real store (SQLite and PostgreSQL): axes, smoothing, labels, bad input."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence

import numpy as np
import pytest

from nbtrack.compare.curves import CurveWarning, curves, ema, x_label
from nbtrack.compare.reader import Reader
from nbtrack.errors import RunNotFoundError, UsageError
from nbtrack.model import Param, RunStatus
from nbtrack.store.base import MetricRow, Store

T0 = 1_700_000_000.0


def add_run(
    store: Store,
    name: str | None,
    params: dict[str, object],
    metrics: dict[str, Sequence[tuple[float, int | None, float]]],
) -> str:
    """A finished run with *params* and *metrics* (key -> [(value, step, seconds after start)])."""
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=name, started_at=T0)
    store.log_params(run_id, [Param(k, v) for k, v in params.items()])
    rows: list[MetricRow] = [
        (key, value, step, T0 + offset)
        for key, points in metrics.items()
        for value, step, offset in points
    ]
    store.log_metrics(run_id, rows)
    store.end_run(run_id, RunStatus.FINISHED, time.time())
    return run_id


def steps(values: Sequence[float], start: float = 10.0) -> list[tuple[float, int | None, float]]:
    return [(v, i, start + i) for i, v in enumerate(values)]


def test_each_metric_of_each_run_is_a_curve_labelled_by_name_and_the_params_that_differ(
    store: Store,
) -> None:
    a = add_run(
        store,
        "baseline",
        {"lr": 0.1, "seed": 1},
        {"loss": steps([3, 2, 1]), "acc": steps([0.5, 0.6])},
    )
    b = add_run(
        store, None, {"lr": 0.01, "seed": 1}, {"loss": steps([4, 3]), "acc": steps([0.4, 0.7, 0.8])}
    )
    drawn = curves(Reader(store, owned=False), [a[:6], b], ["loss", "acc"])
    assert [(c.metric, c.run_id) for c in drawn] == [
        ("loss", a),
        ("loss", b),
        ("acc", a),
        ("acc", b),
    ]
    assert drawn[0].label == "baseline (lr=0.1)"  # seed is the same in both: not shown
    assert drawn[1].label == f"{b[:8]} (lr=0.01)"
    assert drawn[0].xs == (0.0, 1.0, 2.0)
    assert drawn[0].ys == (3.0, 2.0, 1.0)
    assert drawn[3].raw_points == 3
    assert x_label(drawn[:2]) == "step"


def test_time_is_wall_clock_and_relative_is_seconds_since_the_run_started(store: Store) -> None:
    run = add_run(store, "r", {}, {"loss": [(1.0, 0, 30.0), (2.0, 1, 90.0), (3.0, 2, 600.0)]})
    reader = Reader(store, owned=False)
    (wall,) = curves(reader, [run], ["loss"], x="time")
    (relative,) = curves(reader, [run], ["loss"], x="relative")
    assert wall.xs == (T0 + 30, T0 + 90, T0 + 600)
    assert relative.xs == (30.0, 90.0, 600.0)
    assert x_label([relative]) == "time since the run started (min)"
    assert x_label([wall]) == "time"


def test_points_logged_without_a_step_are_placed_by_their_order_and_the_label_says_so(
    store: Store,
) -> None:
    run = add_run(store, "r", {}, {"loss": [(5.0, None, 1), (4.0, None, 2), (3.0, None, 3)]})
    (curve,) = curves(Reader(store, owned=False), [run], ["loss"])
    assert curve.xs == (0.0, 1.0, 2.0)
    assert curve.ys == (5.0, 4.0, 3.0)
    assert curve.x_is_order
    assert "order logged" in x_label([curve])


def test_nan_and_inf_in_a_history_reach_the_curve_as_they_were_logged(store: Store) -> None:
    run = add_run(store, "r", {}, {"loss": steps([1.0, math.nan, math.inf, -math.inf, 0.5])})
    (curve,) = curves(Reader(store, owned=False), [run], ["loss"], smoothing=0.5)
    assert curve.ys[0] == 1.0
    assert math.isnan(curve.ys[1])
    assert curve.ys[2:4] == (math.inf, -math.inf)
    # smoothed past the gap from the points before it: 0.5 is pulled towards 1.0
    assert 0.5 < curve.ys[4] < 1.0


def test_a_long_history_is_downsampled_to_max_points_keeping_its_ends(store: Store) -> None:
    values = np.sin(np.arange(20_000) / 300.0).tolist()
    run = add_run(store, "r", {}, {"loss": steps(values)})
    (curve,) = curves(Reader(store, owned=False), [run], ["loss"], max_points=500)
    assert curve.raw_points == 20_000
    assert len(curve.xs) <= 500
    assert (curve.xs[0], curve.xs[-1]) == (0.0, 19_999.0)
    assert max(curve.ys) == pytest.approx(1.0, abs=1e-4)


def test_a_run_without_the_metric_is_left_out_of_its_chart_with_a_warning(store: Store) -> None:
    a = add_run(store, "a", {}, {"loss": steps([1, 2]), "acc": steps([1])})
    b = add_run(store, "b", {}, {"loss": steps([3])})
    with pytest.warns(CurveWarning, match=rf"Run b \({b[:8]}\) has no metric 'acc'"):
        drawn = curves(Reader(store, owned=False), [a, b], ["loss", "acc"])
    assert [(c.metric, c.label) for c in drawn] == [("loss", "a"), ("loss", "b"), ("acc", "a")]


def test_a_metric_no_run_has_is_one_error_naming_it_and_the_metrics_they_have(store: Store) -> None:
    a = add_run(store, "a", {}, {"loss": steps([1]), "val_loss": steps([2])})
    b = add_run(store, "b", {}, {})
    with pytest.raises(UsageError) as error:
        curves(Reader(store, owned=False), [a, b], ["loss", "val_acc"])
    assert str(error.value) == (
        f"No metric 'val_acc' in the runs {a[:8]}, {b[:8]}; they have: loss, val_loss."
    )
    with pytest.raises(UsageError, match="they have no metrics at all"):
        curves(Reader(store, owned=False), [b], ["loss"])


def test_an_unknown_run_is_a_run_not_found_error(store: Store) -> None:
    with pytest.raises(RunNotFoundError, match="ffffffffff"):
        curves(Reader(store, owned=False), ["ffffffffff"], ["loss"])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"smoothing": 1.0}, "Smoothing must be a number from 0 up to"),
        ({"smoothing": -0.1}, "not -0.1"),
        ({"x": "epoch"}, "Unknown x axis 'epoch': use one of step, time, relative"),
        ({"max_points": 1}, "max_points must be at least 2"),
    ],
)
def test_bad_options_are_usage_errors_naming_the_value(
    store: Store, options: dict[str, object], message: str
) -> None:
    run = add_run(store, "a", {}, {"loss": steps([1])})
    with pytest.raises(UsageError, match=message):
        curves(Reader(store, owned=False), [run], ["loss"], **options)  # type: ignore[arg-type]


def test_no_runs_or_no_metrics_is_a_usage_error(store: Store) -> None:
    run = add_run(store, "a", {}, {"loss": steps([1])})
    with pytest.raises(UsageError, match="at least one run"):
        curves(Reader(store, owned=False), [], ["loss"])
    with pytest.raises(UsageError, match="at least one metric"):
        curves(Reader(store, owned=False), [run], [])


def test_two_runs_that_would_read_the_same_get_their_short_ids(store: Store) -> None:
    a = add_run(store, "same", {"lr": 0.1}, {"loss": steps([1])})
    b = add_run(store, "same", {"lr": 0.1}, {"loss": steps([2])})
    labels = [c.label for c in curves(Reader(store, owned=False), [a, b], ["loss"])]
    assert labels == [f"same [{a[:8]}]", f"same [{b[:8]}]"]


def test_many_differing_params_are_cut_to_three_and_long_values_shortened(store: Store) -> None:
    a = add_run(
        store, "a", {"p1": 1, "p2": 2, "p3": 3, "p4": 4, "note": "x" * 40}, {"m": steps([1])}
    )
    b = add_run(store, "b", {"p1": 0, "p2": 0, "p3": 0, "p4": 0, "note": "y"}, {"m": steps([1])})
    first, _ = curves(Reader(store, owned=False), [a, b], ["m"])
    # params come in key order; a value over 24 characters ends in "…"
    assert first.label == f"a (note={'x' * 23}…, p1=1, p2=2, …)"


def test_ema_matches_tensorboards_loop_and_is_debiased() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=5000).tolist()
    values[100] = math.nan
    values[2000] = math.inf

    def tensorboard(data: list[float], weight: float) -> list[float]:
        last, count, out = 0.0, 0, []
        for value in data:
            if not math.isfinite(value):
                out.append(value)
                continue
            last = last * weight + (1 - weight) * value
            count += 1
            out.append(last / (1 - weight**count))
        return out

    for weight in (0.0, 0.3, 0.6, 0.99, 0.9999):
        expected = tensorboard(values, weight) if weight else values
        got = ema(values, weight)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True), weight
    assert ema([2.0, 2.0, 2.0], 0.9).tolist() == [2.0, 2.0, 2.0]  # a constant stays exact
