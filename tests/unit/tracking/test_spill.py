"""Spill files: what an unreachable store could not take, written and replayed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nbtrack
from nbtrack.model import Artifact, DataRef, Param, ParamSource, RunEvent, RunStatus, Source
from nbtrack.tracking import replay_spill
from nbtrack.tracking.api import get_tracker
from nbtrack.tracking.spill import Op, write_spill


def test_every_kind_of_record_survives_a_spill_and_replay(tmp_path: Path) -> None:
    run = nbtrack.start_run(name="before")
    store = run.store
    run.flush()
    artifact_bytes = b"weights"
    digest, size, uri = store.put_artifact_bytes(artifact_bytes)
    ops = [
        Op("log_params", {"params": [Param("lr", 0.01), Param("f", "x.yaml", ParamSource.FILE)]}),
        Op("set_tags", {"tags": {"team": "vision"}}),
        Op("set_name", {"name": "after"}),
        Op("set_note", {"note": "## notes\n\nstep 0, 2026-12-03 07:11:09 UTC\n    text\n"}),
        Op("set_source", {"source": Source(path="train.ipynb", snapshot="# %%\n")}),
        Op("add_data_ref", {"ref": DataRef("d.csv", "file", "sha256:00", 3, {"k": 1}, 1.0)}),
        Op("add_artifact", {"artifact": Artifact("m.bin", digest, size, "x/y", uri, 2.0)}),
        Op(
            "add_artifact", {"artifact": Artifact("cm.png", digest, size, "image/png", uri, 2.5, 7)}
        ),
        Op("add_event", {"event": RunEvent("cell_error", 3.0, {"cell": 4})}),
        Op("end_run", {"status": "FAILED", "ended_at": run.started_at + 1}),
    ]
    rows = [("m", float(i), i, 10.0 + i) for i in range(25_000)]
    rows += [("x", math.nan, None, 1.0), ("x", math.inf, None, 2.0), ("x", -math.inf, None, 3.0)]
    spill = write_spill(tmp_path, run.id, store.url, ops, rows)
    nbtrack.end_run("KILLED")  # what the run itself managed to say; the spill says FAILED

    assert replay_spill(spill) == len(rows)
    stored = get_tracker().store().get_run(run.id)
    assert stored.name == "after"
    assert stored.note == "## notes\n\nstep 0, 2026-12-03 07:11:09 UTC\n    text\n"
    assert stored.status is RunStatus.FAILED
    assert {p.key: (p.value, p.source) for p in stored.params} == {
        "lr": (0.01, ParamSource.CODE),
        "f": ("x.yaml", ParamSource.FILE),
    }
    assert stored.tags == {"team": "vision"}
    assert stored.source.path == "train.ipynb"
    assert [(d.path, d.detail) for d in stored.data] == [("d.csv", {"k": 1})]
    assert [(a.name, a.step) for a in stored.artifacts] == [("m.bin", None), ("cm.png", 7)]
    assert [(e.kind, e.detail) for e in stored.events] == [("cell_error", {"cell": 4})]
    history = store.metric_history(run.id, "m")
    assert [(m.value, m.step) for m in history] == [(float(i), i) for i in range(25_000)]
    x = [m.value for m in store.metric_history(run.id, "x")]
    assert math.isnan(x[0])
    assert x[1:] == [math.inf, -math.inf]


def test_a_spill_file_names_no_store_password(tmp_path: Path) -> None:
    run = nbtrack.start_run()
    spill = write_spill(tmp_path, run.id, "postgresql+psycopg://bob:pw@db/runs", [], [])
    assert "bob@db/runs" in spill.read_text()
    assert ":pw@" not in spill.read_text()


def test_replaying_something_that_is_not_a_spill_file_is_a_usage_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"hello": 1}\n')
    with pytest.raises(nbtrack.UsageError, match="not an nbtrack spill file"):
        replay_spill(bogus)
    with pytest.raises(nbtrack.UsageError, match="cannot read spill file"):
        replay_spill(tmp_path / "missing.jsonl")
