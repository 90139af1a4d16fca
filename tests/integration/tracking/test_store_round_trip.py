"""What the tracking API writes reads back the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import re
import time
import warnings
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.model import ParamSource, RunStatus
from nbtrack.tracking import StoreOutageWarning, replay_spill
from nbtrack.tracking.api import get_tracker
from nbtrack.tracking.spill import write_spill


def test_nan_and_infinities_round_trip(settings: Settings) -> None:
    with nbtrack.start_run(settings=settings) as run:
        for step, value in enumerate([1.5, math.nan, math.inf, -math.inf, 0.0]):
            nbtrack.log_metric("x", value, step=step)
    history = get_tracker().store(settings).metric_history(run.id, "x")
    values = [m.value for m in history]
    assert [m.step for m in history] == [0, 1, 2, 3, 4]
    assert values[0] == 1.5
    assert math.isnan(values[1])
    assert values[2:] == [math.inf, -math.inf, 0.0]


def test_the_extreme_64_bit_steps_round_trip(settings: Settings) -> None:
    with nbtrack.start_run(settings=settings) as run:
        nbtrack.log_metric("m", 1.0, step=2**63 - 1)
        nbtrack.log_metric("m", 2.0, step=-(2**63))
        nbtrack.log_metric("m", 3.0)
    history = get_tracker().store(settings).metric_history(run.id, "m")
    assert sorted((m.value, m.step) for m in history) == [
        (1.0, 2**63 - 1),
        (2.0, -(2**63)),
        (3.0, None),
    ]
    assert run.spilled == []


def test_a_whole_run_round_trips(settings: Settings, project_root: Path) -> None:
    (project_root / "train.csv").write_text("a,b\n")
    with nbtrack.start_run(name="baseline", tags={"team": "vision"}, settings=settings) as run:
        nbtrack.log_params({"lr": 0.01, "layers": (64, 32), "password": "x"})
        run.log_param("from_cell", "yes", source=ParamSource.NOTEBOOK)
        nbtrack.track_data("train.csv")
        for step in range(100):
            nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
    stored = get_tracker().store(settings).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.name == "baseline"
    assert stored.tags == {"team": "vision"}
    params = {p.key: (p.value, p.source) for p in stored.params}
    assert params == {
        "lr": (0.01, ParamSource.CODE),
        "layers": ([64, 32], ParamSource.CODE),
        "password": ("***", ParamSource.CODE),
        "from_cell": ("yes", ParamSource.NOTEBOOK),
    }
    assert [(d.path, d.kind) for d in stored.data] == [("train.csv", "file")]
    (loss,) = stored.metrics
    assert (loss.count, loss.last_step, loss.min, loss.max) == (100, 99, 1 / 100, 1.0)


@pytest.mark.parametrize("exc", [ValueError, KeyboardInterrupt])
def test_statuses_round_trip(settings: Settings, exc: type[BaseException]) -> None:
    with pytest.raises(exc), nbtrack.start_run(settings=settings) as run:
        raise exc
    expected = RunStatus.KILLED if exc is KeyboardInterrupt else RunStatus.FAILED
    assert get_tracker().store(settings).get_run(run.id).status is expected


def test_a_record_the_store_refuses_is_set_aside_and_holds_nothing_up(
    settings: Settings,
) -> None:
    run = nbtrack.start_run(settings=settings)
    nbtrack.log_metric("before", 1.0)
    assert run.flush()
    nbtrack.log_param("note", "half a surrogate pair: \ud800")  # no database can encode it
    nbtrack.log_param("lr", 0.01)
    nbtrack.log_metric("after", 2.0)
    with pytest.warns(StoreOutageWarning) as caught:
        nbtrack.end_run()
    messages = [str(w.message) for w in caught]
    assert any("refused a log_params record 3 times" in m for m in messages), messages
    stored = get_tracker().store(settings).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert {m.key for m in stored.metrics} == {"before", "after"}
    assert [(p.key, p.value) for p in stored.params] == [("lr", 0.01)]
    (spill,) = run.spilled
    assert "half a surrogate pair" in spill.read_text(errors="replace")


def test_points_the_store_refuses_are_set_aside_and_the_run_still_ends(
    settings: Settings,
) -> None:
    run = nbtrack.start_run(settings=settings)
    nbtrack.log_metric("good", 1.0)
    assert run.flush()
    nbtrack.log_metric("bad \udc00 key", 2.0)
    with pytest.warns(StoreOutageWarning) as caught:
        nbtrack.end_run()
    messages = [str(w.message) for w in caught]
    assert any("refused 1 points 3 times" in m for m in messages), messages
    stored = get_tracker().store(settings).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert [m.key for m in stored.metrics] == ["good"]
    assert len(run.spilled) == 1


def test_a_param_string_with_a_nul_character_is_stored_exactly_on_both_databases(
    settings: Settings,
) -> None:
    # PostgreSQL text cannot hold NUL; the store encodes it, so no write is refused
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreOutageWarning)
        with nbtrack.start_run(name="nul\x00name", settings=settings) as run:
            nbtrack.log_param("note", "before\x00after")
            nbtrack.set_tag("kind", "a\x00b")
            nbtrack.log_metric("loss", 0.5)
    stored = get_tracker().store(settings).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.name == "nul\x00name"
    assert [(p.key, p.value) for p in stored.params] == [("note", "before\x00after")]
    assert stored.tags == {"kind": "a\x00b"}
    assert run.spilled == []
    (listed,) = nbtrack.list_runs(where="params.note = 'before\x00after'")
    assert listed.id == run.id


def test_one_point_the_store_refuses_does_not_cost_the_batch_it_came_in(
    settings: Settings,
) -> None:
    # points no database takes, logged among good ones in the same batch: one
    # past validation (half a surrogate pair), one from code that bypasses it
    run = nbtrack.start_run(settings=settings)
    for step in range(1000):
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
        if step == 500:
            nbtrack.log_metric("bad \udc00 key", 2.0, step=step)
            run._buf.append(("huge", 3.0, 2**63, time.time()))
    nbtrack.log_metric("acc", 0.9, step=1000)
    with pytest.warns(StoreOutageWarning) as caught:
        nbtrack.end_run()
    messages = [str(w.message) for w in caught]
    stored = get_tracker().store(settings).get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert {m.key for m in stored.metrics} == {"loss", "acc"}
    history = get_tracker().store(settings).metric_history(run.id, "loss")
    assert [m.step for m in history] == list(range(1000))
    # the warnings name what was set aside and never claim it was written
    assert not any("everything held back has been written" in m for m in messages), messages
    counts = [int(n) for m in messages for n in re.findall(r"refused (\d+) points", m)]
    assert counts, messages
    assert max(counts) <= 2, messages
    assert any("'huge'" in m and str(2**63) in m for m in messages), messages
    (spill,) = run.spilled
    lines = [json.loads(line) for line in spill.read_text().splitlines()[1:]]
    spilled = [row[0] for line in lines if line["op"] == "metrics" for row in line["rows"]]
    assert sorted(spilled) == ["bad \udc00 key", "huge"]


def test_a_spill_file_with_a_row_no_database_can_hold_replays_the_others(
    settings: Settings, tmp_path: Path
) -> None:
    run = nbtrack.start_run(settings=settings)
    assert run.flush()
    rows = [("m", float(i), i, 10.0 + i) for i in range(300)]
    rows.insert(123, ("m", 1.0, 2**63, 5.0))  # what an older nbtrack let through
    spill = write_spill(tmp_path, run.id, run.store.url, [], rows)
    nbtrack.end_run()
    with pytest.warns(StoreOutageWarning) as caught:
        assert replay_spill(spill, get_tracker().store(settings)) == 300
    (message,) = [str(w.message) for w in caught]
    assert f"'m' step {2**63}" in message
    assert "line 2" in message
    history = get_tracker().store(settings).metric_history(run.id, "m")
    assert [m.step for m in history] == list(range(300))
