"""What the tracking API writes reads back the same on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.model import ParamSource, RunStatus
from nbtrack.tracking.api import get_tracker


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
