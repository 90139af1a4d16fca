"""The store's columnar reads give what the row-by-row reads give, on SQLite and PostgreSQL.

``metric_columns`` / ``metric_arrays`` against ``metric_history`` (the
original per-point read), ``run_table`` against ``list_runs``, and
``SqlStore``'s fast versions against the ``Store`` base class's generic ones.
"""

from __future__ import annotations

import math
import time
import uuid

import numpy as np
import pytest

from nbtrack.errors import RunNotFoundError
from nbtrack.model import Param, RunStatus, Source
from nbtrack.store import sql_columns
from nbtrack.store.base import Store

NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True, params=["arrow", "sqlite3"])
def reader_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test reads SQLite histories through the optional Arrow reader and without it."""
    if request.param == "arrow":
        pytest.importorskip("adbc_driver_sqlite")
    monkeypatch.setattr(sql_columns.FAST_READS, "enabled", request.param == "arrow")
    return str(request.param)


def new_run(store: Store, name: str, started: float, notebook: str = "train.ipynb") -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=name, started_at=started, source=Source(path=notebook))
    return run_id


def same(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Equal, NaN equal to NaN."""
    return len(a) == len(b) and all(
        x == y or (x != x and y != y) for x, y in zip(a, b, strict=False)
    )


def test_a_history_with_no_step_points_ties_nan_and_inf_reads_in_the_one_step_order(
    store: Store,
) -> None:
    run_id = new_run(store, "r", time.time())
    t = 1_700_000_000.0
    rows = [
        ("loss", 5.0, 3, t + 1),
        ("loss", NAN, None, t + 2),  # no step: first, by time like every tie
        ("loss", INF, 1, t + 3),
        ("loss", -INF, 3, t + 0.5),  # same step as the first point, earlier: before it
        ("loss", 0.25, None, t + 0.1),
        ("loss", 7.0, 2, t + 4),
        ("acc", 0.5, 1, t),
    ]
    store.log_metrics(run_id, rows[:3])
    store.log_metrics(run_id, rows[3:])

    points = store.metric_history(run_id, "loss")
    history = store.metric_columns(run_id, "loss")

    assert history.steps == (None, None, 1, 2, 3, 3)
    assert history.steps == tuple(p.step for p in points)
    assert same(history.values, (0.25, NAN, INF, 7.0, -INF, 5.0))
    assert same(history.values, tuple(p.value for p in points))
    assert history.timestamps == tuple(p.timestamp for p in points)
    arrays = store.metric_arrays(run_id, "loss")
    assert arrays.has_step.tolist() == [False, False, True, True, True, True]
    assert arrays.steps.dtype == np.int64
    assert arrays.steps[2:].tolist() == [1, 2, 3, 3]
    assert arrays.values.dtype == np.float64
    assert np.isnan(arrays.values[1])
    assert store.metric_columns(run_id, "acc").values == (0.5,)


def test_steps_beyond_float_precision_stay_exact_and_in_order(store: Store) -> None:
    run_id = new_run(store, "big", time.time())
    big = 2**62 + 1  # not a float64
    store.log_metrics(
        run_id, [("m", 1.0, big, 1.0), ("m", 2.0, big - 1, 2.0), ("m", 3.0, None, 3.0)]
    )

    history = store.metric_columns(run_id, "m")

    assert history.steps == (None, big - 1, big)
    assert history.values == (3.0, 2.0, 1.0)


def test_long_runs_of_null_steps_and_nan_values_read_the_same_as_row_by_row(
    store: Store,
) -> None:
    # more NULLs than a driver looks at to guess a column's type, then numbers
    run_id = new_run(store, "nulls", time.time())
    rows = [("m", NAN, None, float(i)) for i in range(3000)]
    rows += [("m", float(i), i, 3000.0 + i) for i in range(3000)]
    store.log_metrics(run_id, rows)
    store.log_metrics(run_id, [("all_nan", NAN, None, 1.0), ("all_nan", NAN, None, 2.0)])

    history = store.metric_columns(run_id, "m")
    points = store.metric_history(run_id, "m")

    assert history.steps == tuple(p.step for p in points)
    assert same(history.values, tuple(p.value for p in points))
    assert history.timestamps == tuple(p.timestamp for p in points)
    assert history.steps[2999:3001] == (None, 0)
    nan_only = store.metric_columns(run_id, "all_nan")
    assert nan_only.steps == (None, None)
    assert all(math.isnan(v) for v in nan_only.values)


def test_a_key_never_logged_is_empty_and_an_unknown_run_is_named(store: Store) -> None:
    run_id = new_run(store, "r", time.time())
    assert len(store.metric_columns(run_id, "nothing")) == 0
    assert len(store.metric_arrays(run_id, "nothing").values) == 0
    with pytest.raises(RunNotFoundError, match="f" * 32):
        store.metric_columns("f" * 32, "loss")


def _fill(store: Store) -> list[str]:
    t0 = time.time() - 100
    a = new_run(store, "a", t0, "notebooks/a.ipynb")
    b = new_run(store, "b", t0 + 1, "notebooks/b.ipynb")
    c = new_run(store, "c\x00nul", t0 + 2, "notebooks/a.ipynb")
    store.log_params(a, [Param("lr", 0.1), Param("bs", 32), Param("opt", "adam")])
    store.log_params(b, [Param("lr", 1), Param("flag", True), Param("layers", [64, 32])])
    store.log_params(c, [Param("lr", NAN), Param("big", 2**60 + 1), Param("x", INF)])
    store.log_metrics(a, [("loss", 0.5, 1, t0), ("loss", NAN, 2, t0 + 1)])
    store.log_metrics(b, [("loss", INF, 1, t0), ("acc", 0.9, None, t0)])
    store.set_tags(a, {"team": "vision", "k\x00ey": "v\x00"})
    store.end_run(a, RunStatus.FINISHED, t0 + 50)
    store.end_run(b, RunStatus.FAILED, t0 + 60)
    return [a, b, c]


@pytest.mark.parametrize(
    ("where", "sort", "limit"),
    [(None, (), None), ("params.lr < 0.5", (), None), (None, ("-metrics.loss",), 2)],
)
def test_run_table_holds_what_list_runs_lists(
    store: Store, where: str | None, sort: tuple[str, ...], limit: int | None
) -> None:
    _fill(store)
    listed = store.list_runs(where=where, sort=sort, limit=limit)

    table = store.run_table(where=where, sort=sort, limit=limit)
    generic = Store.run_table(store, where=where, sort=sort, limit=limit)

    assert table.ids == tuple(r.id for r in listed) == generic.ids
    assert table.names == tuple(r.name for r in listed)
    assert table.statuses == tuple(r.status for r in listed)
    assert table.notebooks == tuple(r.notebook for r in listed)
    assert table.started_at == tuple(r.started_at for r in listed)
    assert table.ended_at == tuple(r.ended_at for r in listed)
    for i, run in enumerate(listed):
        params = {k: c[i] for k, c in table.params.items() if i in c}
        assert params.keys() == run.params.keys()
        for key, value in run.params.items():
            got = params[key]
            assert type(got) is type(value), key
            assert got == value or (got != got and value != value), key
        metrics = {k: c[i] for k, c in table.metrics.items() if i in c}
        assert same(tuple(metrics.values()), tuple(run.metrics[k] for k in metrics))
        assert metrics.keys() == run.metrics.keys()
        assert {k: c[i] for k, c in table.tags.items() if i in c} == run.tags
    assert generic.params.keys() == table.params.keys()
    assert generic.tags == table.tags


def test_run_table_of_an_empty_store_or_no_match_is_empty(store: Store) -> None:
    assert len(store.run_table()) == 0
    _fill(store)
    assert len(store.run_table(where="params.lr > 100")) == 0


def test_the_arrow_reader_answers_for_sqlite_when_installed(store: Store, reader_path: str) -> None:
    if reader_path != "arrow" or not store.url.startswith("sqlite"):
        pytest.skip("the Arrow reader is for SQLite, when nbtrack[fast] is installed")
    run_id = new_run(store, "r", time.time())
    store.log_metrics(run_id, [("m", 0.5, 2, 1.0), ("m", NAN, None, 2.0), ("m", INF, 1, 3.0)])
    run_seq = store._metrics.run_seq  # type: ignore[attr-defined]
    with store._read() as connection:  # type: ignore[attr-defined]
        seq = run_seq(connection, run_id)

    fast = sql_columns._arrow_arrays(store.url, seq, "m")

    assert fast is not None
    assert fast.has_step.tolist() == [False, True, True]
    assert fast.steps.tolist()[1:] == [1, 2]
    assert fast.values.tolist()[1:] == [INF, 0.5]
    assert math.isnan(fast.values[0])
