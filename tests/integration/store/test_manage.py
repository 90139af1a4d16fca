"""Managing runs in the store: soft delete, restore, notes, tag removal, purging, 0001 -> 0002.

SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.compare.reader import Reader
from nbtrack.config import Settings
from nbtrack.errors import RunNotFoundError, SchemaError
from nbtrack.model import Artifact, Param, RunStatus
from nbtrack.store import open_store, schema
from nbtrack.store.base import Store
from nbtrack.store.migrations import upgrade
from tests.helpers.cli import nbtrack

A, B, C = "a" * 32, "b" * 32, "c" * 32


def three_runs(store: Store) -> None:
    for i, run_id in enumerate((A, B, C)):
        store.create_run(run_id=run_id, name=f"run-{i}", started_at=100.0 + i, tags={"team": "x"})
        store.log_params(run_id, [Param("lr", 0.1 * (i + 1))])
        store.log_metrics(run_id, [("acc", 0.5 + i / 10, 0, 100.0 + i)])
        store.end_run(run_id, RunStatus.FINISHED, 200.0)


def ids(runs: object) -> list[str]:
    return [r.id for r in runs]  # type: ignore[attr-defined]


def test_a_deleted_run_is_hidden_from_listings_unless_asked_and_restores(store: Store) -> None:
    three_runs(store)
    store.delete_run(B, at=300.0)

    assert ids(store.list_runs()) == [C, A]
    assert ids(store.list_runs(deleted=True)) == [B]
    assert ids(store.list_runs(deleted="all")) == [C, B, A]
    assert store.count_runs() == 2
    assert store.count_runs(deleted=True) == 1
    assert store.count_runs(where="params.lr > 0", deleted="all") == 3
    page, total = store.list_page(limit=1)
    assert (ids(page), total) == ([C], 2)
    page, total = store.list_page(where="tags.team = x", limit=1, deleted=True)
    assert (ids(page), total) == ([B], 1)
    assert store.list_runs(deleted=True)[0].deleted_at == 300.0
    assert store.list_runs()[0].deleted_at is None

    with Reader(store, owned=False) as reader:
        assert ids(reader.runs()) == [C, A]
        assert ids(reader.runs(deleted=True)) == [B]
        assert reader.page(deleted="all")[1] == 3
        shown = reader.run("bbbb")  # a deleted run still reads in full
    assert (shown.deleted_at, shown.name, shown.params) == (300.0, "run-1", (Param("lr", 0.2),))

    store.restore_run(B)
    assert ids(store.list_runs()) == [C, B, A]
    assert store.get_run(B).deleted_at is None


def test_notes_round_trip_any_text_and_clear(store: Store) -> None:
    three_runs(store)
    assert store.get_run(A).note is None
    text = "first line\nsecond: <b>bold</b> \x00 nul \ue000 and 学习率"
    store.set_note(A, text)
    assert store.get_run(A).note == text
    store.set_note(A, None)
    assert store.get_run(A).note is None


def test_remove_tags_removes_only_those(store: Store) -> None:
    three_runs(store)
    store.set_tags(A, {"keep": "1", "drop": "2", "a\x00b": "3"})
    store.remove_tags(A, ["drop", "a\x00b", "never-there"])
    assert store.get_run(A).tags == {"keep": "1", "team": "x"}


def test_edits_of_an_unknown_run_say_so(store: Store) -> None:
    for call in (
        lambda: store.delete_run("f" * 32, 1.0),
        lambda: store.restore_run("f" * 32),
        lambda: store.set_note("f" * 32, "x"),
        lambda: store.remove_tags("f" * 32, ["x"]),
    ):
        with pytest.raises(RunNotFoundError, match=r"No run with id 'f+' in the store"):
            call()


def artifact(store: Store, data: bytes, name: str) -> Artifact:
    digest, size, uri = store.put_artifact_bytes(data)
    return Artifact(name, digest, size, "application/octet-stream", uri, 1.0)


def test_purge_keeps_live_runs_and_the_files_they_share(store: Store) -> None:
    three_runs(store)
    shared = artifact(store, b"shared bytes", "model.pkl")
    own = artifact(store, b"only B has these", "plot.png")
    store.add_artifact(A, shared)
    store.add_artifact(B, shared)
    store.add_artifact(B, own)
    store.add_artifact(B, own)  # the same file twice: one digest

    store.delete_run(B, at=1.0)
    assert store.artifacts_only_in([B]) == [own]
    assert store.purge_runs([A, B]) == 1  # A is live: never purged

    assert ids(store.list_runs(deleted="all")) == [C, A]
    with pytest.raises(RunNotFoundError):
        store.get_run(B)
    assert store.metric_history(B, "acc") == []
    assert len(store.metric_history(A, "acc")) == 1
    assert store.referenced_digests([shared.digest, own.digest]) == {shared.digest}
    written = store.artifact_written_at(own)
    assert written is not None
    assert math.isfinite(written)
    assert store.remove_artifact(own) is True
    assert store.remove_artifact(own) is False
    assert store.artifact_written_at(own) is None
    assert store.artifact_path(shared).read_bytes() == b"shared bytes"


def _old_store(url: str) -> None:
    """A store as nbtrack 0001 made it, holding one run with a param, a tag and a metric."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        upgrade(connection, "0001_initial")
        connection.exec_driver_sql(
            "INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at, seq)"
            f" VALUES ('{A}', 'old run', 'FINISHED', 1.0, 2.0, 2.0, 1)"
        )
        connection.exec_driver_sql(
            f"INSERT INTO run_details (run_id, git_diff_truncated) VALUES ('{A}', false)"
        )
        connection.exec_driver_sql(
            "INSERT INTO params (run_id, key, value, num, text, source)"
            f" VALUES ('{A}', 'lr', '0.1', 0.1, '0.1', 'code')"
        )
        connection.exec_driver_sql(
            f"INSERT INTO tags (run_id, key, value) VALUES ('{A}', 't', 'v')"
        )
        connection.exec_driver_sql(
            "INSERT INTO metric_latest (run_id, key, last_value, last_step, last_timestamp,"
            f" min_value, max_value, count) VALUES ('{A}', 'acc', 0.9, 5, 2.5, 0.8, 0.9, 3)"
        )
        connection.exec_driver_sql(
            "INSERT INTO metrics (run_seq, key, seq, value, step, timestamp)"
            " VALUES (1, 'acc', 0, 0.8, 0, 1.5), (1, 'acc', 1, 0.9, 1, 2.0),"
            " (1, 'acc', 2, 0.9, 5, 2.5)"
        )
    engine.dispose()


def test_a_store_made_at_0001_upgrades_to_0002_with_its_runs_intact(
    store_url: str, settings: Settings, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_url.startswith("sqlite"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    _old_store(store_url)
    monkeypatch.chdir(project_root)
    env = {"NBTRACK_STORE": store_url}

    with pytest.raises(SchemaError, match=r"older nbtrack \(schema 0001_initial\)"):
        open_store(settings=settings)
    code, out, _ = nbtrack("db", "upgrade", env=env)
    assert code == 0
    assert "from schema 0001_initial to 0005_team_store." in out
    assert schema.HEAD == "0005_team_store"

    with open_store(settings=settings) as store:
        run = store.get_run(A)
        assert (run.name, run.deleted_at, run.note, run.tags) == ("old run", None, None, {"t": "v"})
        assert run.params == (Param("lr", 0.1),)
        assert [m.value for m in store.metric_history(A, "acc")] == [0.8, 0.9, 0.9]
        # the steps of the best values are filled from the history: the first 0.9 is step 1
        (acc,) = run.metrics
        assert (acc.min, acc.min_step, acc.max, acc.max_step) == (0.8, 0, 0.9, 1)
        assert ids(store.list_runs()) == [A]
        store.set_note(A, "written after the upgrade")
        store.delete_run(A, at=3.0)
        assert store.list_runs() == []
        assert store.get_run(A).note == "written after the upgrade"


def _age(store: Store, artifact: Artifact, seconds: float) -> None:
    import os

    path = store.artifact_path(artifact)
    then = path.stat().st_mtime - seconds
    os.utime(path, (then, then))


def test_gc_keeps_a_file_a_run_recorded_after_the_plan(store: Store) -> None:
    from nbtrack.tracking.edit import RunEditor

    three_runs(store)
    doomed = artifact(store, b"only B, for now", "model.pkl")
    store.add_artifact(B, doomed)
    _age(store, doomed, 7200)
    editor = RunEditor(store, owned=False)
    editor.delete([B])
    plan = editor.plan_gc()
    assert ([r.id for r in plan.runs], plan.files) == ([B], (doomed,))

    store.add_artifact(C, doomed)  # a live run logs the same bytes before gc runs
    done = editor.gc(plan)

    assert [r.id for r in done.runs] == [B]
    assert done.files == ()
    assert store.artifact_path(doomed).read_bytes() == b"only B, for now"
    assert ids(store.list_runs(deleted="all")) == [C, A]


def test_gc_of_a_store_with_nothing_deleted_changes_nothing(store: Store) -> None:
    from nbtrack.tracking.edit import RunEditor

    three_runs(store)
    editor = RunEditor(store, owned=False)
    plan = editor.plan_gc()
    assert (plan.runs, plan.files, plan.recent, plan.running, plan.bytes) == ((), (), (), (), 0)
    assert editor.gc(plan).runs == ()
    assert ids(store.list_runs()) == [C, B, A]


def test_a_0001_store_that_lost_its_schema_record_is_restored_then_upgraded(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if store_url.startswith("sqlite"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    _old_store(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    engine.dispose()
    monkeypatch.chdir(project_root)
    env = {"NBTRACK_STORE": store_url}

    code, out, _ = nbtrack("db", "status", env=env)
    assert code == 0
    assert "the tables match 0001_initial" in out
    code, out, _ = nbtrack("db", "upgrade", env=env)
    assert code == 0
    assert "its tables match 0001_initial, then upgraded it to 0005_team_store." in out
    code, out, _ = nbtrack("runs", "--format", "json", env=env)
    assert code == 0
    assert [r["name"] for r in json.loads(out)] == ["old run"]
