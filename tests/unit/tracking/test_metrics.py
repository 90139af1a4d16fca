"""Metrics: what log_metric accepts, what it refuses, and what reaches the store."""

from __future__ import annotations

import decimal
import fractions
import math

import numpy as np
import pytest

import nbtrack
from nbtrack.tracking.api import get_tracker


def _history(run_id: str, key: str) -> list[tuple[float, int | None]]:
    return [(m.value, m.step) for m in get_tracker().store().metric_history(run_id, key)]


@pytest.mark.parametrize(
    "value",
    ["0.5", b"1", None, [1.0], {"a": 1}, 1 + 2j, object()],
    ids=["str", "bytes", "None", "list", "dict", "complex", "object"],
)
def test_a_non_number_is_a_metric_error_naming_key_and_value(value: object) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError) as caught:
        nbtrack.log_metric("loss", value)  # type: ignore[arg-type]
    assert "'loss'" in str(caught.value)
    assert repr(value) in str(caught.value)
    assert caught.value.key == "loss"


@pytest.mark.parametrize("value", [True, False, np.bool_(True)], ids=["True", "False", "np.bool_"])
def test_bools_are_refused(value: object) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="real number"):
        nbtrack.log_metric("converged", value)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", None, 3])
def test_metric_names_must_be_non_empty_strings(key: object) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="non-empty strings"):
        nbtrack.log_metric(key, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", ["1", 1.5, True])
def test_a_step_must_be_an_integer(step: object) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="step must be an integer"):
        nbtrack.log_metric("loss", 1.0, step=step)  # type: ignore[arg-type]


def test_numbers_of_every_kind_are_stored_as_floats() -> None:
    with nbtrack.start_run() as run:
        for step, value in enumerate(
            [3, 0.5, np.float32(0.25), np.int64(4), np.float64(1.5), decimal.Decimal("2.5"),
             fractions.Fraction(1, 4), np.array(7.0)]
        ):  # fmt: skip
            nbtrack.log_metric("v", value, step=np.int64(step))  # type: ignore[arg-type]
    assert _history(run.id, "v") == [
        (3.0, 0), (0.5, 1), (0.25, 2), (4.0, 3), (1.5, 4), (2.5, 5), (0.25, 6), (7.0, 7)
    ]  # fmt: skip


def test_nan_and_infinities_are_kept() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_metric("x", math.nan, step=0)
        nbtrack.log_metric("x", math.inf, step=1)
        nbtrack.log_metric("x", -math.inf, step=2)
    values = [v for v, _ in _history(run.id, "x")]
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]


def test_log_metrics_logs_each_key_at_one_step() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_metrics({"val_acc": 0.9, "val_loss": np.float32(0.5)}, step=3)
    assert _history(run.id, "val_acc") == [(0.9, 3)]
    assert _history(run.id, "val_loss") == [(0.5, 3)]


def test_log_metrics_refuses_a_batch_with_a_bad_value_whole() -> None:
    with nbtrack.start_run() as run:
        with pytest.raises(nbtrack.MetricError, match="'bad'"):
            nbtrack.log_metrics({"good": 1.0, "bad": "x"})
        run.flush()
        assert _history(run.id, "good") == []


def test_metrics_reach_the_store_while_the_run_is_still_going() -> None:
    with nbtrack.start_run() as run:
        for step in range(1000):
            nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
        assert run.flush()
        assert len(_history(run.id, "loss")) == 1000
        summary = {m.key: m for m in nbtrack.get_run(run.id).metrics}["loss"]
        assert (summary.count, summary.last, summary.last_step) == (1000, 1 / 1000, 999)


def test_metrics_logged_from_several_threads_all_arrive() -> None:
    import threading

    def work(name: str) -> None:
        for step in range(5000):
            nbtrack.log_metric(name, float(step), step=step)

    with nbtrack.start_run() as run:
        threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for i in range(4):
        assert [v for v, _ in _history(run.id, f"t{i}")] == [float(s) for s in range(5000)]


def test_a_metric_name_longer_than_the_store_keeps_is_refused() -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="300 characters long"):
        nbtrack.log_metric("k" * 300, 1.0)


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1, 10**30, np.uint64(2**63), 1e19])
def test_a_step_no_database_can_hold_is_a_metric_error_naming_key_and_step(step: object) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_metric("kept", 1.0, step=1)
        with pytest.raises(nbtrack.MetricError, match="64-bit") as caught:
            nbtrack.log_metric("m", 1.0, step=step)  # type: ignore[arg-type]
        assert "'m'" in str(caught.value)
        assert str(int(step)) in str(caught.value)  # type: ignore[call-overload]
        assert caught.value.key == "m"
        with pytest.raises(nbtrack.MetricError, match="64-bit"):
            nbtrack.log_metrics({"a": 1.0, "b": 2.0}, step=step)  # type: ignore[arg-type]
    assert _history(run.id, "kept") == [(1.0, 1)]
    assert run.spilled == []


def test_the_extreme_64_bit_steps_are_stored() -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_metric("m", 1.0, step=2**63 - 1)
        nbtrack.log_metric("m", 2.0, step=np.int64(-(2**63)))  # type: ignore[arg-type]
    assert sorted(_history(run.id, "m"), key=lambda p: p[1] or 0) == [
        (2.0, -(2**63)),
        (1.0, 2**63 - 1),
    ]


@pytest.mark.parametrize("value", [10**400, -(10**400), 10**5000], ids=["huge", "-huge", "vast"])
def test_an_int_no_float_can_hold_is_a_metric_error_naming_key_and_value(value: int) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="too large") as caught:
        nbtrack.log_metric("m", value)
    assert "'m'" in str(caught.value)
    with nbtrack.start_run(), pytest.raises(nbtrack.MetricError, match="'big'"):
        nbtrack.log_metrics({"ok": 1.0, "big": value})
