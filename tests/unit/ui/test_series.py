"""``/api/series`` and ``/api/status``: the JSON the charts fetch, on SQLite and PostgreSQL.

The real app (``create_app``) over a real store, through Starlette's TestClient.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.store.base import Store
from nbtrack.ui.app import create_app
from nbtrack.ui.config import UiConfig
from tests.helpers.comparison import add_run


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def client(store_url: str, store: Store) -> Iterator[Any]:
    from starlette.testclient import TestClient

    with TestClient(create_app(UiConfig(store_url=store_url))) as opened:
        yield opened


def _strict(text: str) -> Any:
    """*text* parsed as strict JSON: a NaN or Infinity token fails."""

    def refuse(token: str) -> None:
        raise AssertionError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _get(client: Any, query: str, status: int = 200) -> Any:
    response = client.get(query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return _strict(response.text)


def test_a_long_history_comes_downsampled_to_the_budget_with_its_ends_and_its_spike(
    client: Any, store: Store
) -> None:
    values = [math.sin(i / 500) for i in range(30_000)]
    values[12_345] = 1000.0
    run_id = add_run(store, "long", metrics={"loss": values})
    body = _get(client, f"/api/series?run={run_id}&metric=loss&points=500")
    (series,) = body["runs"]
    assert series["points"] == 30_000
    assert series["downsampled"] is True
    assert 2 <= series["shown"] == len(series["xs"]) == len(series["ys"]) <= 500
    assert series["xs"][0] == 0
    assert series["xs"][-1] == 29_999
    assert series["xs"] == sorted(series["xs"])
    assert max(series["ys"]) == 1000.0
    # every point sent is a point logged, at its step
    assert all(values[int(x)] == y for x, y in zip(series["xs"], series["ys"], strict=True))
    assert body["metric"] == "loss"
    assert body["x"] == "step"
    assert body["x_label"] == "step"


def test_points_are_capped_at_2000_and_a_short_history_comes_whole(
    client: Any, store: Store
) -> None:
    long_id = add_run(store, "long", metrics={"loss": [float(i % 7) for i in range(9_000)]})
    short_id = add_run(store, "short", metrics={"loss": [3.0, 2.0, 1.0]})
    body = _get(client, f"/api/series?run={long_id}&run={short_id}&metric=loss&points=100000")
    long, short = body["runs"]
    assert long["shown"] <= 2000
    assert long["downsampled"] is True
    assert short == {
        **short,
        "xs": [0, 1, 2],
        "ys": [3.0, 2.0, 1.0],
        "points": 3,
        "shown": 3,
        "downsampled": False,
    }
    default = _get(client, f"/api/series?run={long_id}&metric=loss")["runs"][0]
    assert default["shown"] <= 1000


def test_nan_is_a_null_gap_and_infinities_are_nulls_listed_as_marks(
    client: Any, store: Store
) -> None:
    nan, inf = math.nan, math.inf
    run_id = add_run(store, "odd", metrics={"loss": [1.0, nan, 2.0, inf, 3.0, -inf, 4.0]})
    response = client.get(f"/api/series?run={run_id}&metric=loss")
    assert "NaN" not in response.text
    assert "Infinity" not in response.text
    (series,) = _strict(response.text)["runs"]
    assert series["ys"] == [1.0, None, 2.0, None, 3.0, None, 4.0]
    assert series["posinf"] == [3]
    assert series["neginf"] == [5]


def test_a_long_history_keeps_its_gaps_and_infinities_when_downsampled(
    client: Any, store: Store
) -> None:
    values = [float(i % 100) for i in range(20_000)]
    values[5_000] = math.nan
    values[15_000] = math.inf
    run_id = add_run(store, "odd", metrics={"acc": values})
    (series,) = _get(client, f"/api/series?run={run_id}&metric=acc&points=300")["runs"]
    assert series["shown"] <= 300
    gaps = [x for x, y in zip(series["xs"], series["ys"], strict=True) if y is None]
    assert 5_000 in gaps
    assert 15_000 in gaps
    assert series["posinf"] == [15_000]
    assert series["neginf"] == []


def test_a_run_without_the_metric_has_an_empty_series_and_labels_name_what_differs(
    client: Any, store: Store
) -> None:
    a = add_run(store, "a", params={"lr": 0.1, "seed": 1}, metrics={"loss": [1.0, 0.5]})
    b = add_run(store, "b", params={"lr": 0.01, "seed": 1}, metrics={"acc": [0.5]})
    body = _get(client, f"/api/series?run={a}&run={b[:10]}&metric=loss")
    first, second = body["runs"]
    assert (first["run"], first["label"], first["ys"]) == (a, "a (lr=0.1)", [1.0, 0.5])
    assert (second["run"], second["label"]) == (b, "b (lr=0.01)")  # the full id, from a prefix
    assert second["xs"] == second["ys"] == []
    assert second["points"] == 0
    assert first["status"] == "FINISHED"
    assert first["live"] is False


def test_time_and_relative_axes(client: Any, store: Store) -> None:
    run_id = add_run(store, "t", metrics={"loss": [1.0, 2.0, 3.0]})
    started = store.get_run(run_id).started_at
    relative = _get(client, f"/api/series?run={run_id}&metric=loss&x=relative")
    assert relative["runs"][0]["xs"] == pytest.approx([0.0, 0.001, 0.002], abs=1e-6)
    assert relative["x_label"] == "time since the run started (s)"
    wall = _get(client, f"/api/series?run={run_id}&metric=loss&x=time")
    assert wall["runs"][0]["xs"] == pytest.approx([started, started + 0.001, started + 0.002])


def test_points_without_a_step_are_placed_in_logging_order(client: Any, store: Store) -> None:
    run_id = add_run(store, "nostep")
    now = time.time()
    store.log_metrics(run_id, [("loss", 5.0, None, now), ("loss", 4.0, None, now + 1)])
    body = _get(client, f"/api/series?run={run_id}&metric=loss")
    assert body["runs"][0]["xs"] == [0, 1]
    assert body["runs"][0]["x_is_order"] is True
    assert body["x_label"] == "step (points without a step: order logged)"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("/api/series?metric=loss", 400, "Name at least one run"),
        ("/api/series?run={id}", 400, "Name the metric"),
        ("/api/series?run={id}&metric=nope", 400, "No metric 'nope' in the run"),
        ("/api/series?run={id}&metric=loss&x=epoch", 400, "Unknown x axis 'epoch'"),
        ("/api/series?run={id}&metric=loss&points=many", 400, "not 'many'"),
        ("/api/series?run={id}&metric=loss&points=1", 400, "not '1'"),
        ("/api/series?run=ffffffff&metric=loss", 404, "ffffffff"),
        ("/api/status", 400, "Name at least one run"),
        ("/api/status?run=ffffffff", 404, "ffffffff"),
    ],
)
def test_bad_queries_answer_one_sentence_naming_the_value(
    client: Any, store: Store, query: str, status: int, says: str
) -> None:
    run_id = add_run(store, "a", metrics={"loss": [1.0]})
    body = _get(client, query.format(id=run_id), status)
    assert list(body) == ["error"]
    assert says in body["error"]
    assert "Traceback" not in body["error"]


def test_status_reads_running_finished_and_a_stale_heartbeat_as_crashed(
    client: Any, store: Store
) -> None:
    finished = add_run(store, "done", metrics={"loss": [2.0, math.nan]})
    now = time.time()
    store.create_run(run_id="1" * 32, name="live", started_at=now)
    store.heartbeat("1" * 32, now, [("loss", 0.25, 7, now)])
    store.create_run(run_id="2" * 32, name="gone", started_at=now - 10_000)
    body = _get(client, f"/api/status?run={finished}&run={'1' * 32}&run={'2' * 32}")
    done, live, gone = body["runs"]
    assert (done["status"], done["live"], done["last_step"]) == ("FINISHED", False, 1)
    assert done["ended_at"] is not None
    assert done["metrics"]["loss"] == {"last": "NaN", "count": 2, "last_step": 1}
    assert (live["status"], live["live"], live["last_step"]) == ("RUNNING", True, 7)
    assert live["metrics"]["loss"]["last"] == 0.25
    assert (gone["status"], gone["live"], gone["metrics"]) == (RunStatus.CRASHED.value, False, {})


def test_a_live_run_series_says_it_is_live(client: Any, store: Store) -> None:
    now = time.time()
    store.create_run(run_id="3" * 32, name="live", started_at=now)
    store.heartbeat("3" * 32, now, [("loss", 1.0, 0, now), ("loss", 0.5, 1, now)])
    (series,) = _get(client, f"/api/series?run={'3' * 32}&metric=loss")["runs"]
    assert (series["status"], series["live"], series["ys"]) == ("RUNNING", True, [1.0, 0.5])


def test_terminal_escapes_in_a_label_come_as_their_escapes(client: Any, store: Store) -> None:
    run_id = add_run(store, "\x1b[31mred\x07", metrics={"loss\x1b[0m": [1.0]})
    body = _get(client, f"/api/series?run={run_id}&metric=loss%1B%5B0m")
    assert body["metric"] == "loss\\x1b[0m"
    assert body["runs"][0]["label"] == body["runs"][0]["name"] == "\\x1b[31mred\\x07"
