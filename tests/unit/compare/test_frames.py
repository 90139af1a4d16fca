"""Runs and histories as DataFrames: columns, dtypes, NaN/inf, missing values, errors.

On SQLite and PostgreSQL, through a real ``Reader`` over a real store.
"""

from __future__ import annotations

import math
import uuid

import numpy as np
import pandas as pd
import pytest

from nbtrack.compare.frames import HISTORY_COLUMNS, RUN_COLUMNS, history_frame, runs_frame
from nbtrack.compare.reader import Reader
from nbtrack.errors import MetricError, QueryError, RunNotFoundError
from nbtrack.model import Param, RunStatus, Source
from nbtrack.store.base import Store

NAN, INF = math.nan, math.inf
T0 = 1_700_000_000.0


@pytest.fixture
def reader(store: Store) -> Reader:
    return Reader(store, owned=False)


def new_run(store: Store, name: str, started: float, notebook: str) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=name, started_at=started, source=Source(path=notebook))
    return run_id


def two_notebooks(store: Store) -> tuple[str, str]:
    a = new_run(store, "train", T0, "notebooks/train.ipynb")
    b = new_run(store, "<b>eval</b>", T0 + 10, "notebooks/eval.ipynb")
    store.log_params(
        a, [Param("lr", 0.1), Param("epochs", 20), Param("opt", "adam"), Param("aug", True)]
    )
    store.log_params(b, [Param("lr", 0.01), Param("epochs", 3), Param("split", "test")])
    store.log_metrics(a, [("loss", 0.9, 1, T0 + 1), ("loss", NAN, 2, T0 + 2)])
    store.log_metrics(b, [("loss", -INF, 1, T0 + 11), ("acc", 0.75, 1, T0 + 12)])
    store.set_tags(a, {"team": "vision"})
    store.end_run(a, RunStatus.FINISHED, T0 + 90.5)
    return a, b


def test_runs_frame_has_the_fixed_columns_then_params_metrics_tags_with_their_dtypes(
    store: Store, reader: Reader
) -> None:
    a, b = two_notebooks(store)

    df = runs_frame(reader)

    assert list(df.columns) == [
        *RUN_COLUMNS,
        "params.aug", "params.epochs", "params.lr", "params.opt", "params.split",
        "metrics.acc", "metrics.loss",
        "tags.team",
    ]  # fmt: skip
    assert df["run_id"].tolist() == [b, a]  # newest first
    assert df["name"].tolist() == ["<b>eval</b>", "train"]
    assert pd.api.types.is_string_dtype(df["name"])
    assert isinstance(df["status"].dtype, pd.CategoricalDtype)
    assert list(df["status"].cat.categories) == [s.value for s in RunStatus]
    assert df["status"].tolist() == ["CRASHED", "FINISHED"]  # its heartbeat is years old
    assert str(df["started"].dtype) == "datetime64[ns, UTC]"
    assert str(df["ended"].dtype) == "datetime64[ns, UTC]"
    assert df["started"][1] == pd.Timestamp(T0, unit="s", tz="UTC")
    assert df["ended"][1] == pd.Timestamp(T0 + 90.5, unit="s", tz="UTC")
    assert pd.isna(df["ended"][0])  # never ended
    assert df["duration"].dtype == np.float64
    assert df["duration"][1] == pytest.approx(90.5)
    assert df["notebook"].tolist() == ["notebooks/eval.ipynb", "notebooks/train.ipynb"]
    # params: union over both notebooks; numbers numeric, bools and strings kept
    assert df["params.epochs"].dtype == np.int64
    assert df["params.epochs"].tolist() == [3, 20]
    assert df["params.lr"].dtype == np.float64
    assert df["params.lr"].tolist() == [0.01, 0.1]
    assert df["params.aug"].dtype == object
    assert df["params.aug"][1] is True
    assert df["params.aug"][0] is None
    assert pd.isna(df["params.opt"][0])
    assert df["params.opt"][1] == "adam"
    # metrics: last value, NaN and -inf kept, missing NaN
    assert df["metrics.loss"].dtype == np.float64
    assert df["metrics.loss"][0] == -INF
    assert math.isnan(df["metrics.loss"][1])
    assert math.isnan(df["metrics.acc"][1])
    assert df["tags.team"].tolist()[1] == "vision"
    assert pd.isna(df["tags.team"][0])


def test_a_param_missing_from_a_run_makes_an_int_column_float_and_mixed_values_object(
    store: Store, reader: Reader
) -> None:
    a = new_run(store, "a", T0, "n.ipynb")
    b = new_run(store, "b", T0 + 1, "n.ipynb")
    store.log_params(a, [Param("seed", 1), Param("mixed", 1), Param("inf", INF)])
    store.log_params(b, [Param("mixed", "x"), Param("inf", 2)])

    df = runs_frame(reader, sort=["name"])

    assert df["params.seed"].dtype == np.float64
    assert df["params.seed"].tolist()[0] == 1.0
    assert math.isnan(df["params.seed"][1])
    assert df["params.mixed"].dtype == object
    assert df["params.mixed"].tolist() == [1, "x"]
    assert df["params.inf"].tolist() == [INF, 2.0]


def test_where_sort_and_limit_are_the_listing_language(store: Store, reader: Reader) -> None:
    a, b = two_notebooks(store)

    assert runs_frame(reader, where="params.lr < 0.05")["run_id"].tolist() == [b]
    assert runs_frame(reader, sort=["params.lr"])["run_id"].tolist() == [b, a]
    assert runs_frame(reader, sort=["name"], limit=1)["name"].tolist() == ["<b>eval</b>"]
    with pytest.raises(QueryError):
        runs_frame(reader, where="params.lr <")


def test_an_empty_store_or_no_match_gives_an_empty_frame_with_the_fixed_columns(
    store: Store, reader: Reader
) -> None:
    empty = runs_frame(reader)
    assert list(empty.columns) == list(RUN_COLUMNS)
    assert len(empty) == 0
    assert str(empty["started"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(empty["status"].dtype, pd.CategoricalDtype)
    two_notebooks(store)
    none = runs_frame(reader, where="params.lr > 5")
    assert list(none.columns) == list(RUN_COLUMNS)
    assert len(none) == 0


def test_history_frame_steps_values_and_utc_times(store: Store, reader: Reader) -> None:
    run_id = new_run(store, "h", T0, "n.ipynb")
    store.log_metrics(
        run_id, [("loss", 0.5, 2, T0 + 2.25), ("loss", INF, 1, T0 + 1), ("loss", NAN, 3, T0 + 3)]
    )

    h = history_frame(reader, run_id[:8], "loss")

    assert list(h.columns) == list(HISTORY_COLUMNS)
    assert h["step"].dtype == np.int64
    assert h["step"].tolist() == [1, 2, 3]
    assert h["value"].dtype == np.float64
    assert h["value"].tolist()[:2] == [INF, 0.5]
    assert math.isnan(h["value"][2])
    assert str(h["time"].dtype) == "datetime64[ns, UTC]"
    assert h["time"][1] == pd.Timestamp(T0 + 2.25, unit="s", tz="UTC")


def test_points_without_a_step_make_the_step_column_nullable_and_come_first(
    store: Store, reader: Reader
) -> None:
    run_id = new_run(store, "h", T0, "n.ipynb")
    store.log_metrics(run_id, [("acc", 0.1, 5, T0 + 1), ("acc", 0.2, None, T0 + 2)])

    h = history_frame(reader, run_id, "acc")

    assert str(h["step"].dtype) == "Int64"
    assert h["step"].isna().tolist() == [True, False]
    assert h["step"][1] == 5
    assert h["value"].tolist() == [0.2, 0.1]


def test_an_unknown_metric_names_it_and_what_the_run_has(store: Store, reader: Reader) -> None:
    run_id = new_run(store, "h", T0, "n.ipynb")
    store.log_metrics(run_id, [("val_acc", 0.1, 1, T0), ("loss", 1.0, 1, T0)])
    with pytest.raises(MetricError, match=r"no metric 'val_ac'; it has 'loss', 'val_acc'\."):
        history_frame(reader, run_id, "val_ac")
    bare = new_run(store, "bare", T0, "n.ipynb")
    with pytest.raises(MetricError, match="it logged no metrics"):
        history_frame(reader, bare, "loss")


def test_an_unknown_run_is_named(store: Store, reader: Reader) -> None:
    with pytest.raises(RunNotFoundError, match="'abc123'"):
        history_frame(reader, "abc123", "loss")


def test_a_long_history_reads_whole_and_in_order(store: Store, reader: Reader) -> None:
    if "postgresql" in store.url:
        pytest.skip("one dialect is enough for the size; order and types are tested on both")
    run_id = new_run(store, "long", T0, "n.ipynb")
    n = 300_000
    for start in range(0, n, 100_000):
        store.log_metrics(
            run_id, [("m", s * 0.5, s, T0 + s) for s in range(start, start + 100_000)]
        )

    h = history_frame(reader, run_id, "m")

    assert len(h) == n
    assert h["step"].is_monotonic_increasing
    assert h["value"].iloc[-1] == (n - 1) * 0.5
    assert h["time"].iloc[-1] == pd.Timestamp(T0 + n - 1, unit="s", tz="UTC")


def test_histories_reads_every_run_and_key_pair(store: Store, reader: Reader) -> None:
    a = new_run(store, "a", T0, "n.ipynb")
    b = new_run(store, "b", T0 + 1, "n.ipynb")
    store.log_metrics(a, [("loss", 1.0, 1, T0), ("loss", 0.5, 2, T0 + 1), ("acc", 0.1, 1, T0)])
    store.log_metrics(b, [("loss", 2.0, None, T0)])

    got = reader.histories([a, b], ["loss", "acc"])

    assert list(got) == [(a, "loss"), (a, "acc"), (b, "loss"), (b, "acc")]
    assert got[a, "loss"].steps == (1, 2)
    assert got[a, "loss"].values == (1.0, 0.5)
    assert got[b, "loss"].steps == (None,)
    assert len(got[b, "acc"]) == 0
    assert got[a, "acc"] == reader.history(a, "acc")
