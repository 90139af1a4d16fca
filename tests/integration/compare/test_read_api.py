"""The public read API as a notebook uses it: ``nbtrack.runs``, ``metric_history``,
``get_run(...).history``, ``load_artifact`` and ``artifact_path``, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbtrack
from nbtrack.compare.frames import RUN_COLUMNS
from nbtrack.config import Settings
from nbtrack.model import Run, RunStatus


def test_runs_and_histories_read_back_what_was_logged(settings: Settings) -> None:
    with nbtrack.start_run(name="base", settings=settings) as first:
        nbtrack.log_params({"lr": 0.1, "epochs": 3})
        for step, value in enumerate([0.5, math.nan, math.inf]):
            nbtrack.log_metric("val_acc", value, step=step)
    with nbtrack.start_run(name="small", settings=settings) as second:
        nbtrack.log_params({"lr": 0.01, "epochs": 3})
        nbtrack.log_metric("val_acc", 0.9, step=1)

    df = nbtrack.runs(where="params.lr < 0.5", sort="-metrics.val_acc")

    assert df["run_id"].tolist() == [first.id, second.id]  # inf sorts first, descending
    assert df[["name", "params.lr"]].values.tolist() == [["base", 0.1], ["small", 0.01]]
    assert df["status"].tolist() == [RunStatus.FINISHED.value] * 2
    assert nbtrack.runs(limit=1)["name"].tolist() == ["small"]
    h = nbtrack.metric_history(first.id[:7], "val_acc")
    assert h["step"].tolist() == [0, 1, 2]
    assert h["value"][0] == 0.5
    assert math.isnan(h["value"][1])
    assert h["value"][2] == math.inf
    same = nbtrack.get_run(first.id[:7]).history("val_acc")
    pd.testing.assert_frame_equal(same, h)


def test_run_pages_read_every_run_once_in_frames_of_a_size(settings: Settings) -> None:
    for i in range(7):
        with nbtrack.start_run(name=f"r{i}", settings=settings):
            nbtrack.log_params({"lr": i / 10, "odd": i % 2 == 1})

    frames = list(nbtrack.run_pages(where="params.lr > 0.05", sort="params.lr", size=2))

    assert [f["name"].tolist() for f in frames] == [["r1", "r2"], ["r3", "r4"], ["r5", "r6"]]
    assert [f.attrs["next_page"] is None for f in frames] == [False, False, True]
    assert frames[0].columns.tolist() == nbtrack.runs(sort="params.lr").columns.tolist()
    rest = list(
        nbtrack.run_pages(where="params.lr > 0.05", sort="params.lr", size=10,
                          after=frames[0].attrs["next_page"])
    )  # fmt: skip
    assert [f["name"].tolist() for f in rest] == [["r3", "r4", "r5", "r6"]]
    with pytest.raises(nbtrack.QueryError, match="belongs to a listing with another"):
        next(nbtrack.run_pages(size=2, after=frames[0].attrs["next_page"]))
    with pytest.raises(nbtrack.UsageError, match="size must be at least 1"):
        next(nbtrack.run_pages(size=0))
    empty = list(nbtrack.run_pages(where="params.lr > 5"))
    assert len(empty) == 1
    assert empty[0].empty
    assert empty[0].attrs["next_page"] is None


def test_an_active_run_reads_what_it_has_logged_so_far(settings: Settings) -> None:
    with nbtrack.start_run(settings=settings) as run:
        nbtrack.log_metric("loss", 1.0, step=1)
        nbtrack.log_metric("loss", 0.5, step=2)
        assert nbtrack.metric_history(run.id, "loss")["value"].tolist() == [1.0, 0.5]
        assert nbtrack.runs()["run_id"].tolist() == [run.id]


def test_an_empty_store_gives_an_empty_frame_with_the_fixed_columns() -> None:
    df = nbtrack.runs()
    assert list(df.columns) == list(RUN_COLUMNS)
    assert df.empty


def test_unknown_run_and_metric_are_named(settings: Settings) -> None:
    with nbtrack.start_run(settings=settings) as run:
        nbtrack.log_metric("loss", 1.0)
    with pytest.raises(nbtrack.RunNotFoundError, match="'0123abcd'"):
        nbtrack.metric_history("0123abcd", "loss")
    with pytest.raises(nbtrack.RunNotFoundError):
        nbtrack.get_run("0123abcd")
    with pytest.raises(nbtrack.MetricError, match="no metric 'acc'; it has 'loss'"):
        nbtrack.get_run(run.id).history("acc")


def test_a_run_built_by_hand_says_how_to_read_a_history() -> None:
    run = Run(id="ab" * 16, name=None, status=RunStatus.FINISHED, started_at=0.0,
              ended_at=None, heartbeat_at=None)  # fmt: skip
    with pytest.raises(nbtrack.UsageError, match=r"nbtrack.metric_history\('abababababab'"):
        run.history("loss")
    assert run == Run(id="ab" * 16, name=None, status=RunStatus.FINISHED, started_at=0.0,
                      ended_at=None, heartbeat_at=None)  # fmt: skip
    assert "_history" not in repr(run)


@pytest.fixture
def with_artifacts(settings: Settings, tmp_path: Path) -> str:
    files = tmp_path / "files"
    files.mkdir()
    (files / "config.json").write_text(json.dumps({"lr": 0.1, "layers": [64, 32]}))
    (files / "preds.csv").write_text("id,score\n1,0.5\n2,0.25\n")
    np.save(files / "weights.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    (files / "model.pkl").write_bytes(pickle.dumps({"kind": "tree", "depth": 3}))
    np.save(files / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (files / "notes.md").write_text("# Notes\nfine\n")
    (files / "curve.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    with nbtrack.start_run(settings=settings) as run:
        for path in sorted(files.iterdir()):
            nbtrack.log_artifact(path)
    return run.id


def test_load_artifact_returns_an_object_by_the_artifact_type(with_artifacts: str) -> None:
    run = with_artifacts
    assert nbtrack.load_artifact(run, "config.json") == {"lr": 0.1, "layers": [64, 32]}
    preds = nbtrack.load_artifact(run, "preds.csv")
    assert isinstance(preds, pd.DataFrame)
    assert preds["score"].tolist() == [0.5, 0.25]
    weights = nbtrack.load_artifact(run, "weights.npy")
    assert weights.dtype == np.float32
    assert weights.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert nbtrack.load_artifact(run, "notes.md") == "# Notes\nfine\n"
    image = nbtrack.load_artifact(nbtrack.get_run(run), "curve.png")
    assert isinstance(image, Path)
    assert image.read_bytes().startswith(b"\x89PNG")
    assert nbtrack.artifact_path(run, "curve.png") == image


def test_a_pickle_loads_only_when_asked_for(with_artifacts: str) -> None:
    with pytest.raises(nbtrack.UsageError, match=r"'model.pkl'.*allow_pickle=True"):
        nbtrack.load_artifact(with_artifacts, "model.pkl")
    loaded = nbtrack.load_artifact(with_artifacts, "model.pkl", allow_pickle=True)
    assert loaded == {"kind": "tree", "depth": 3}
    with pytest.raises(nbtrack.UsageError, match=r"'objects\.npy'.*without unpickling"):
        nbtrack.load_artifact(with_artifacts, "objects.npy")


def test_an_unknown_artifact_is_named_with_what_the_run_has(with_artifacts: str) -> None:
    with pytest.raises(nbtrack.UsageError, match=r"no artifact 'model.pt'; it has 'config.json', "):
        nbtrack.load_artifact(with_artifacts, "model.pt")
    with pytest.raises(nbtrack.UsageError, match="no artifact 'x'"):
        nbtrack.artifact_path(with_artifacts, "x")
    with pytest.raises(nbtrack.RunNotFoundError):
        nbtrack.load_artifact("fff000", "config.json")
