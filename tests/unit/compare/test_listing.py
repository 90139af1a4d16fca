"""The columns a list of runs shows: ``--columns`` checked, and the default."""

from __future__ import annotations

import pytest

from nbtrack.compare.listing import MISSING, Column, default_columns, parse_columns
from nbtrack.errors import UsageError
from nbtrack.model import RunStatus, RunSummary


def run(params: dict[str, object], metrics: dict[str, float] | None = None) -> RunSummary:
    return RunSummary(
        id="0" * 32,
        name=None,
        status=RunStatus.FINISHED,
        notebook=None,
        started_at=0.0,
        ended_at=None,
        heartbeat_at=None,
        params=dict(params),
        metrics=dict(metrics or {}),
    )


def names(columns: list[Column]) -> list[str]:
    return [str(c) for c in columns]


def test_columns_are_comma_separated_deduplicated_and_may_quote_a_key() -> None:
    columns = parse_columns(["params.lr, metrics.val_acc,tags.team", 'params."a,b"', "params.lr"])
    assert names(columns) == ["params.lr", "metrics.val_acc", "tags.team", "params.a,b"]
    assert parse_columns(["PARAMS.`my key`"]) == [Column("params", "my key")]


@pytest.mark.parametrize("bad", ["status", "param.lr", "params.", "params", "foo.bar", "x,y"])
def test_a_column_outside_params_metrics_tags_is_a_usage_error_naming_it(bad: str) -> None:
    with pytest.raises(UsageError, match=r"Cannot show the column '[^']+': name it params.KEY"):
        parse_columns([bad])


def test_default_shows_params_that_vary_not_the_first_ones_and_common_metrics() -> None:
    runs = [
        run({"a_same": 1, "b_same": 2, "c_same": 3, "lr": 0.1, "seed": 1}, {"acc": 0.5}),
        run({"a_same": 1, "b_same": 2, "c_same": 3, "lr": 0.01, "seed": 2}, {"acc": 0.6}),
        run({"a_same": 1, "b_same": 2, "c_same": 3, "lr": 0.1, "seed": 3, "x": 1}, {"loss": 1}),
    ]
    assert names(default_columns(runs)) == [
        "params.lr",
        "params.seed",
        "params.x",
        "metrics.acc",
        "metrics.loss",
    ]
    # a key the query names comes first even when it does not vary
    chosen = default_columns(runs, where="params.c_same = 3", sort=["-metrics.loss"])
    assert names(chosen)[:2] == ["params.c_same", "params.lr"]
    assert names(chosen)[-2:] == ["metrics.loss", "metrics.acc"]


def test_one_run_shows_its_params_and_a_missing_key_reads_missing() -> None:
    single = [run({"lr": 0.1, "seed": 1})]
    assert names(default_columns(single)) == ["params.lr", "params.seed"]
    assert Column("tags", "team").value(single[0]) is MISSING
    assert Column("params", "lr").value(single[0]) == 0.1
    assert not Column("tags", "team").present_in(single)
