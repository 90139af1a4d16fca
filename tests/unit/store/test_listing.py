"""Listing, filtering, sorting and id prefixes, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import pytest

from nbtrack.errors import QueryError, RunNotFoundError
from nbtrack.model import Param, RunStatus
from nbtrack.store.base import Store
from nbtrack.store.query import MAX_NESTING

T0 = 1_700_000_000.0


def add_run(
    store: Store,
    run_id: str,
    name: str,
    *,
    started: float,
    params: dict[str, object] | None = None,
    metrics: Sequence[tuple[str, float, int | None]] = (),
    tags: dict[str, str] | None = None,
    status: RunStatus | None = RunStatus.FINISHED,
    notebook: str | None = None,
) -> None:
    from nbtrack.model import Source

    store.create_run(
        run_id=run_id,
        name=name,
        started_at=started,
        tags=tags,
        source=Source(path=notebook) if notebook else None,
    )
    store.log_params(run_id, [Param(k, v) for k, v in (params or {}).items()])
    if metrics:
        store.log_metrics(run_id, [(k, v, s, started + 1) for k, v, s in metrics])
    if status is not None:
        store.end_run(run_id, status, started + 10)


@pytest.fixture
def populated(store: Store) -> Store:
    add_run(
        store, "a" * 32, "adam-small", started=T0 + 1,
        params={"lr": 0.01, "optimizer": "adam", "opt.beta": 0.9},
        metrics=[("val_acc", 0.80, 0), ("val_acc", 0.91, 1), ("loss", 0.3, 1)],
        tags={"team": "vision"}, notebook="train.ipynb",
    )  # fmt: skip
    add_run(
        store, "ab" + "0" * 30, "sgd-big", started=T0 + 2,
        params={"lr": 0.5, "optimizer": "sgd", "flag": True},
        metrics=[("val_acc", 0.95, 0), ("val_acc", 0.70, 1)],
        tags={"team": "nlp"}, status=RunStatus.FAILED, notebook="train.ipynb",
    )  # fmt: skip
    add_run(
        store, "b" * 32, "adam-nan", started=T0 + 3,
        params={"lr": 0.001, "optimizer": "adam", "batch": "32"},
        metrics=[("val_acc", math.nan, 0), ("loss", math.inf, 0)],
        notebook="eval.ipynb",
    )  # fmt: skip
    add_run(store, "c" * 32, "empty", started=T0 + 4, status=None)
    store.heartbeat("c" * 32, time.time())
    return store


def names(store: Store, where: str | None = None, sort: Sequence[str] = ()) -> list[str | None]:
    return [r.name for r in store.list_runs(where=where, sort=sort)]


def test_empty_store_lists_nothing(store: Store) -> None:
    assert store.list_runs() == []
    assert store.list_runs(where="params.lr < 1", sort=["-metrics.acc"]) == []
    assert store.count_runs() == 0


def test_newest_first_with_last_values_and_limit(populated: Store) -> None:
    listed = populated.list_runs()
    assert [r.name for r in listed] == ["empty", "adam-nan", "sgd-big", "adam-small"]
    small = listed[-1]
    assert small.params == {"lr": 0.01, "opt.beta": 0.9, "optimizer": "adam"}
    assert small.metrics == {"loss": 0.3, "val_acc": 0.91}  # last by step, not max
    assert small.tags == {"team": "vision"}
    assert small.notebook == "train.ipynb"
    assert [r.name for r in populated.list_runs(limit=2)] == ["empty", "adam-nan"]
    assert populated.count_runs(where="params.optimizer = adam") == 2


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("params.lr < 0.1", ["adam-nan", "adam-small"]),
        ("params.lr >= 0.01 and params.lr <= 0.5", ["sgd-big", "adam-small"]),
        ("params.optimizer = adam", ["adam-nan", "adam-small"]),
        ("params.optimizer != adam", ["sgd-big"]),  # a run without the param does not match
        ("params.opt.beta = 0.9", ["adam-small"]),
        ("params.batch = 32", ["adam-nan"]),  # the string "32" equals the number 32
        ("params.flag = true", ["sgd-big"]),
        ("metrics.val_acc > 0.9", ["adam-small"]),  # last value 0.91; sgd-big's last is 0.70
        ("metrics.val_acc = nan", ["adam-nan"]),
        ("metrics.loss > 1000", ["adam-nan"]),  # +inf
        ("tags.team = vision or tags.team = nlp", ["sgd-big", "adam-small"]),
        ("not tags.team = vision", ["empty", "adam-nan", "sgd-big"]),
        ("status = failed", ["sgd-big"]),
        ("status = RUNNING", ["empty"]),
        ("status != FINISHED", ["empty", "sgd-big"]),
        ("name contains adam", ["adam-nan", "adam-small"]),
        ("name like 'adam-%'", ["adam-nan", "adam-small"]),
        ("notebook = eval.ipynb", ["adam-nan"]),
        ("id = ab", ["sgd-big"]),
        (f"started > {T0 + 2.5}", ["empty", "adam-nan"]),
        ("(params.lr < 0.1 or status = FAILED) and not name = adam-nan", ["sgd-big", "adam-small"]),
    ],
)
def test_where_filters(populated: Store, where: str, expected: list[str]) -> None:
    assert names(populated, where) == expected


def test_where_on_time_takes_iso_dates(populated: Store) -> None:
    assert names(populated, "started > 2000-01-01 and started < '2999-01-01T00:00'") == [
        "empty", "adam-nan", "sgd-big", "adam-small",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("where", "fault"),
    [
        ("status = DONE", "'DONE' is not a status (one of RUNNING, FINISHED"),
        ("metrics.val_acc > high", "metrics.val_acc compares with numbers, not 'high'"),
        ("started > yesterday", "needs a time such as 2024-05-01"),
        ("params.lr <", "expected a value after params.lr <"),
    ],
)
def test_bad_where_is_a_query_error(populated: Store, where: str, fault: str) -> None:
    with pytest.raises(QueryError, match="Cannot read --where") as caught:
        populated.list_runs(where=where)
    assert fault in str(caught.value)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # NaN and missing sort last, ties newest first
        (["-metrics.val_acc"], ["adam-small", "sgd-big", "empty", "adam-nan"]),
        (["metrics.val_acc"], ["sgd-big", "adam-small", "empty", "adam-nan"]),
        (["params.lr"], ["adam-nan", "adam-small", "sgd-big", "empty"]),
        (["-params.optimizer", "params.lr"], ["sgd-big", "adam-nan", "adam-small", "empty"]),
        (["name"], ["adam-nan", "adam-small", "empty", "sgd-big"]),
        (["started"], ["adam-small", "sgd-big", "adam-nan", "empty"]),
        (["status", "-started"], ["sgd-big", "adam-nan", "adam-small", "empty"]),
        (["tags.team"], ["sgd-big", "adam-small", "empty", "adam-nan"]),
    ],
)
def test_sorting(populated: Store, sort: list[str], expected: list[str]) -> None:
    assert names(populated, sort=sort) == expected


def test_sort_and_where_and_limit_combine(populated: Store) -> None:
    listed = populated.list_runs(where="params.lr < 1", sort=["-metrics.val_acc"], limit=1)
    assert [r.name for r in listed] == ["adam-small"]


def test_unique_prefix_resolves(populated: Store) -> None:
    assert populated.resolve_run_id("aaaa") == "a" * 32
    assert populated.resolve_run_id("B" * 32) == "b" * 32
    assert populated.get_run("abc"[:2] + "0").name == "sgd-big"


def test_unknown_id_names_it(populated: Store) -> None:
    with pytest.raises(RunNotFoundError, match=r"No run matches the id 'dead'") as caught:
        populated.get_run("dead")
    assert caught.value.exit_code == 2
    with pytest.raises(RunNotFoundError, match=r"No run matches the id 'not-hex!'"):
        populated.resolve_run_id("not-hex!")


def test_ambiguous_prefix_names_the_count_and_candidates(populated: Store) -> None:
    with pytest.raises(RunNotFoundError) as caught:
        populated.resolve_run_id("a")
    message = str(caught.value)
    assert "The id prefix 'a' is ambiguous: it matches 2 runs" in message
    assert "aaaaaaaaaaaa" in message
    assert "ab0000000000" in message


def test_a_thousand_terms_filter_without_recursion(populated: Store) -> None:
    every = " and ".join(f"params.lr < {1 + i}" for i in range(1000))
    assert names(populated, every) == ["adam-nan", "sgd-big", "adam-small"]
    assert populated.count_runs(where=every) == 3
    anyone = " or ".join(f"params.lr = {i}" for i in range(999)) + " or params.lr = 0.5"
    assert names(populated, anyone) == ["sgd-big"]
    page, total = populated.list_page(where=anyone, limit=1)
    assert ([r.name for r in page], total) == (["sgd-big"], 1)


def test_nesting_at_the_limit_filters_and_deeper_is_a_query_error(populated: Store) -> None:
    # each level "(x or y and (...))" is an OR holding an AND: the deepest SQL it can build
    levels = MAX_NESTING
    where = "(params.lr > 100 or status = FINISHED and " * levels + "params.lr < 0.1"
    where += ")" * levels
    assert names(populated, where) == ["adam-nan", "adam-small"]
    with pytest.raises(QueryError, match=f"nests deeper than {MAX_NESTING} levels"):
        populated.list_runs(where="(" * 1000 + "params.lr < 1" + ")" * 1000)
    with pytest.raises(QueryError, match=f"nests deeper than {MAX_NESTING} levels"):
        populated.count_runs(where="not " * 1000 + "params.lr < 1")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        # a string is ordered against string params only, a number against numbers only
        ("params.lr < 'abc'", []),
        ("params.lr > ''", []),
        ("params.optimizer < 'b'", ["adam-nan", "adam-small"]),
        ("params.optimizer >= adam", ["adam-nan", "sgd-big", "adam-small"]),
        ("params.optimizer < 1000", []),
        ("params.batch < 100", []),  # the string "32"
        ("params.batch < '4'", ["adam-nan"]),
        ("params.flag > 'a'", []),  # a boolean is not a string
        ("params.lr contains 0", []),
        ("params.lr like '0%'", []),
        ("params.optimizer contains da", ["adam-nan", "adam-small"]),
        # = and != compare the value as written, across types (as before)
        ("params.batch = '32'", ["adam-nan"]),
        ("params.lr = '0.5'", ["sgd-big"]),
    ],
)
def test_ordering_compares_like_types_only(
    populated: Store, where: str, expected: list[str]
) -> None:
    assert names(populated, where) == expected


def test_double_quoted_keys_may_hold_spaces(store: Store) -> None:
    add_run(
        store, "d" * 32, "spaced", started=T0,
        params={"my key": 1, "a.b": "x"}, metrics=[("val acc", 0.75, 0)],
    )  # fmt: skip
    add_run(store, "e" * 32, "other", started=T0 + 1, params={"my": 1})
    assert names(store, 'params."my key" = 1') == ["spaced"]
    assert names(store, 'params."a.b" = x and metrics."val acc" > 0.5') == ["spaced"]
    assert names(store, sort=['-params."my key"']) == ["spaced", "other"]


def test_pages_at_an_offset_cover_every_run_once_with_the_total(populated: Store) -> None:
    everyone = [r.name for r in populated.list_runs(sort=["name"])]
    seen: list[str | None] = []
    for offset in (0, 2):
        page, total = populated.list_page(sort=["name"], limit=2, offset=offset)
        assert total == 4
        seen += [r.name for r in page]
    assert seen == everyone == ["adam-nan", "adam-small", "empty", "sgd-big"]
    page, total = populated.list_page(where="params.optimizer = adam", limit=1, offset=1)
    assert ([r.name for r in page], total) == (["adam-small"], 2)
    # past the end: no run, but the total still says how many match
    assert populated.list_page(limit=2, offset=10) == ([], 4)
    assert populated.list_page(where="params.lr < 1", offset=10) == ([], 3)
    page, total = populated.list_page(offset=3)  # no limit: the rest
    assert ([r.name for r in page], total) == (["adam-small"], 4)
    with pytest.raises(ValueError, match="offset must be >= 0"):
        populated.list_page(offset=-1)
