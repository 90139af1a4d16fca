"""A store whose ``alembic_version`` record is gone, its tables and runs intact.

Commands say what is wrong, ``db status`` tells the truth, ``db upgrade``
restores the record (the revision the tables match) and the runs are kept.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from nbtrack.model import Param, RunStatus
from nbtrack.store import schema
from nbtrack.store.base import Store
from tests.helpers.cli import Invoke, nbtrack

RUN = "ab" * 16


@pytest.fixture
def invoke(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(project_root)
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


def lose_record(store: Store, how: str, *more: str) -> None:
    """Record one run in *store*, then lose its schema record (*how*) and run *more* SQL."""
    store.create_run(run_id=RUN, name="kept", started_at=1.0)
    store.log_params(RUN, [Param("lr", 0.1)])
    store.end_run(RUN, RunStatus.FINISHED, 2.0)
    sql = "DROP TABLE alembic_version" if how == "dropped" else "DELETE FROM alembic_version"
    with store.engine.begin() as connection:  # type: ignore[attr-defined]
        for statement in (sql, *more):
            connection.exec_driver_sql(statement)
    store.close()


def one_sentence(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("how", ["dropped", "emptied"])
def test_db_upgrade_restores_a_lost_schema_record_and_keeps_the_runs(
    store: Store, invoke: Invoke, how: str
) -> None:
    lose_record(store, how)

    code, _, err = invoke("runs")
    assert code == 2
    line = one_sentence(err)
    assert "has nbtrack's tables but no record of its schema revision" in line
    assert "run `nbtrack db upgrade` to restore the record" in line
    assert "older nbtrack" not in line

    code, out, _ = invoke("db", "status")
    assert code == 0
    assert "no store yet" not in out
    lost = "schema:  none recorded (the alembic_version table is missing); the tables match"
    assert f"{lost} {schema.HEAD}\n" in out
    assert "Run `nbtrack db upgrade` to restore the record" in out

    code, out, err = invoke("db", "upgrade")
    assert (code, err) == (0, "")
    assert "Restored the schema record of the run store" in out
    assert f"its tables match {schema.HEAD}." in out

    code, out, _ = invoke("db", "status")
    assert (code, out.splitlines()[-1]) == (0, "Up to date.")
    code, out, _ = invoke("runs", "--format", "json")
    assert code == 0
    assert [(r["id"], r["name"]) for r in json.loads(out)] == [(RUN, "kept")]
    assert invoke("db", "upgrade")[1].endswith("nothing to do.\n")


def test_tables_that_match_no_schema_are_refused_and_left_alone(
    store: Store, invoke: Invoke
) -> None:
    lose_record(store, "dropped", "DROP TABLE events")

    code, out, _ = invoke("db", "status")
    assert code == 0
    assert "the tables match no known schema" in out
    code, _, err = invoke("db", "upgrade")
    assert code == 2
    line = one_sentence(err)
    assert "its tables match no schema this nbtrack knows" in line
    assert "restore it from a backup" in line
    # nothing was changed: still no record, the run still there
    assert "none recorded" in invoke("db", "status")[1]
