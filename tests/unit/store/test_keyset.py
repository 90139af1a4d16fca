"""Keyset pagination (``Store.run_page``), on SQLite and PostgreSQL: every run once,
in the listing's order, whatever the page size, sort, filter, ties and deletions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from nbtrack.errors import QueryError
from nbtrack.model import Param, RunStatus
from nbtrack.store import keyset
from nbtrack.store.base import Deleted, Store

T0 = 1_700_000_000.0


@pytest.fixture(autouse=True)
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counts finish however loaded the machine (the budget has its own test)."""
    from nbtrack.store import sql_page

    monkeypatch.setattr(sql_page, "COUNT_BUDGET", 600.0)


@pytest.fixture
def many(store: Store) -> Store:
    """23 runs: started_at ties in threes, params of mixed kinds (some missing),
    NaN and missing metrics, two soft-deleted runs."""
    for i in range(23):
        run_id = f"{i:02d}" + "f" * 30 if i % 2 else f"{i:02d}" + "0" * 30
        store.create_run(run_id=run_id, name=f"run-{i}", started_at=T0 + i // 3)
        params = [Param("opt", "adam" if i % 3 else "sgd")]
        if i % 4:
            params.append(Param("lr", 10.0 ** -(i % 5)))
        store.log_params(run_id, params)
        if i % 5:
            value = math.nan if i % 7 == 0 else (i * 37 % 11) / 10
            store.log_metrics(run_id, [("acc", value, 0, T0 + i)])
        store.end_run(run_id, RunStatus.FINISHED if i % 6 else RunStatus.FAILED, T0 + i + 5)
    store.delete_run("04" + "0" * 30, T0 + 100)
    store.delete_run("09" + "f" * 30, T0 + 100)
    return store


def paged(
    store: Store, size: int, *, where: str | None = None, sort: Sequence[str] = (),
    deleted: Deleted = False,
) -> list[str]:  # fmt: skip
    ids: list[str] = []
    after = None
    for _ in range(100):
        page = store.run_page(where=where, sort=sort, deleted=deleted, limit=size, after=after)
        ids += [r.id for r in page.runs]
        if page.next is None:
            assert page.more == 0
            return ids
        assert len(page.runs) == size
        assert page.more >= 1
        after = page.next
    raise AssertionError("more than 100 pages")


@pytest.mark.parametrize(
    ("where", "sort"),
    [
        (None, ()),
        (None, ("name",)),
        (None, ("-metrics.acc",)),
        (None, ("metrics.acc", "-params.lr")),
        (None, ("params.opt", "status")),
        ("params.lr < 0.5", ()),
        ("metrics.acc > 0.3 or params.opt = sgd", ("-started",)),
        (None, ("id",)),
    ],
)
@pytest.mark.parametrize("size", [1, 4, 7, 50])
def test_pages_list_each_run_once_in_order(
    many: Store, where: str | None, sort: tuple[str, ...], size: int
) -> None:
    expected = [r.id for r in many.list_runs(where=where, sort=sort)]
    assert expected  # the filters match something
    assert paged(many, size, where=where, sort=sort) == expected


@pytest.mark.parametrize("deleted", [True, "all"])
def test_pages_of_deleted_runs(many: Store, deleted: Deleted) -> None:
    expected = [r.id for r in many.list_runs(deleted=deleted)]
    assert paged(many, 2, deleted=deleted) == expected
    assert len(expected) == (2 if deleted is True else 23)


def test_more_counts_what_follows_up_to_the_cap(many: Store) -> None:
    first = many.run_page(limit=5)
    assert (first.more, first.more_capped) == (16, False)  # 21 live runs
    capped = many.run_page(limit=5, count_cap=10)
    assert (capped.more, capped.more_capped) == (10, True)
    last = many.run_page(limit=5, after=many.run_page(limit=16, count_cap=0).next)
    assert [len(last.runs), last.more, last.next] == [5, 0, None]
    exact = many.run_page(limit=21)
    assert (len(exact.runs), exact.more, exact.next) == (21, 0, None)
    assert many.run_page(limit=5, count_cap=0).more == 1  # not counted: "some"


def test_a_count_out_of_time_says_at_least_one_more(
    many: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.store import sql_page

    monkeypatch.setattr(sql_page, "COUNT_BUDGET", 0.0)
    page = many.run_page(limit=5)
    assert (len(page.runs), page.more, page.more_capped) == (5, 1, True)
    assert page.next is not None


def test_a_run_deleted_between_pages_is_not_repeated_or_skipped(many: Store) -> None:
    first = many.run_page(limit=6)
    before = [r.id for r in many.list_runs()]
    gone = before[8]
    many.delete_run(gone, T0 + 200)
    rest = many.run_page(limit=100, after=first.next)
    assert [r.id for r in first.runs] + [r.id for r in rest.runs] == [
        i for i in before if i != gone
    ]


def test_an_empty_filter_and_an_empty_store(many: Store) -> None:
    page = many.run_page(where="params.lr > 100", limit=5)
    assert (page.runs, page.more, page.next) == ([], 0, None)


@pytest.mark.parametrize(
    ("where", "sort", "deleted"),
    [("params.lr < 1", (), False), (None, ("name",), False), (None, (), True)],
)
def test_a_cursor_of_another_listing_is_refused(
    many: Store, where: str | None, sort: tuple[str, ...], deleted: Deleted
) -> None:
    cursor = many.run_page(limit=3).next
    with pytest.raises(QueryError, match="belongs to a listing with another --where"):
        many.run_page(where=where, sort=sort, deleted=deleted, limit=3, after=cursor)


def test_a_cursor_of_another_experiment_is_refused(many: Store) -> None:
    cursor = many.run_page(limit=3).next
    with pytest.raises(QueryError, match="belongs to a listing with another"):
        many.run_page(limit=3, after=cursor, experiment="elsewhere")
    inside = many.run_page(limit=3, experiment=many.list_runs(limit=1)[0].experiment)
    assert [r.id for r in inside.runs] == [r.id for r in many.list_runs(limit=3)]


def test_the_same_filter_written_otherwise_keeps_its_cursor(many: Store) -> None:
    cursor = many.run_page(where="params.lr<0.5", limit=2).next
    again = many.run_page(where="params.lr  <  0.5", limit=100, after=cursor)
    assert [r.id for r in again.runs] == [r.id for r in many.list_runs(where="params.lr < 0.5")][2:]


@pytest.mark.parametrize("text", ["garbage!", "", "eyJhIjoxfQ", keyset.encode("x", [1])])
def test_text_that_is_not_a_cursor_is_refused_in_one_sentence(many: Store, text: str) -> None:
    with pytest.raises(QueryError, match=r"^Cannot continue after .*\.$"):
        many.run_page(limit=3, after=text)


def test_a_cursor_from_another_version_is_refused(many: Store) -> None:
    import base64
    import json

    mark = many.run_page(limit=1).next
    assert mark is not None
    version, fingerprint, values = json.loads(base64.urlsafe_b64decode(mark + "=="))
    forged = json.dumps([version + 1, fingerprint, values]).encode()
    with pytest.raises(QueryError, match="not a page cursor of this nbtrack version"):
        many.run_page(limit=1, after=base64.urlsafe_b64encode(forged).decode())


def test_infinite_values_survive_a_cursor() -> None:
    text = keyset.encode("m", [math.inf, -math.inf, None, "x", 1.5])
    assert keyset.decode(text, "m", 5) == [math.inf, -math.inf, None, "x", 1.5]
