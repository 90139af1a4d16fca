"""isolate: a refused batch is written again in parts, so only the bad rows stay behind."""

from __future__ import annotations

from collections.abc import Sequence

from nbtrack.store.base import MetricRow
from nbtrack.tracking.isolate import MAX_FAILURES, describe, isolate


class _Store:
    """Takes a batch in one go unless a row in it has a negative value."""

    def __init__(self) -> None:
        self.rows: list[MetricRow] = []
        self.writes = 0
        self.up = True

    def write(self, rows: Sequence[MetricRow]) -> None:
        self.writes += 1
        if not self.up:
            raise ConnectionError("server closed the connection")
        if any(row[1] < 0 for row in rows):
            raise ValueError("value out of range")
        self.rows.extend(rows)


def _rows(values: list[float]) -> list[MetricRow]:
    return [("m", value, step, 0.0) for step, value in enumerate(values)]


def test_every_good_row_lands_in_order_and_only_the_bad_ones_stay() -> None:
    store = _Store()
    rows = _rows([float(i) if i not in (7, 300) else -1.0 for i in range(1000)])
    done = isolate(store.write, rows, ValueError("value out of range"), lambda: True)
    assert store.rows == [row for row in rows if row[1] >= 0]
    assert done.written == 998
    assert done.left == [rows[7], rows[300]]
    assert [row for row, _ in done.refused] == done.left
    assert done.outage is None
    assert store.writes < 60  # a search, not a row at a time
    assert "'m' step 7 value -1.0: value out of range" in describe(done.refused)


def test_a_store_that_goes_away_during_the_search_keeps_the_rest_unrefused() -> None:
    store = _Store()
    rows = _rows([1.0] * 60 + [-1.0] + [1.0] * 39)
    write = store.write

    def going(part: Sequence[MetricRow]) -> None:
        store.up = store.writes < 2  # the third write finds the server gone
        write(part)

    done = isolate(going, rows, ValueError("value out of range"), lambda: store.up)
    assert isinstance(done.outage, ConnectionError)
    assert done.refused == []
    assert store.rows + done.left == rows  # written or kept, in order, none lost


def test_a_batch_of_bad_rows_costs_a_bounded_number_of_writes() -> None:
    store = _Store()
    rows = _rows([-1.0] * 10_000)
    done = isolate(store.write, rows, ValueError("value out of range"), lambda: True)
    assert store.writes <= MAX_FAILURES
    assert done.left == rows
    assert done.written == 0
