"""A store made at 0002 (artifacts without steps) upgrades to 0003 with its artifacts intact.

SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.config import Settings
from nbtrack.errors import SchemaError
from nbtrack.model import Artifact
from nbtrack.store import open_store, schema
from nbtrack.store.migrations import upgrade
from tests.helpers.cli import nbtrack

RUN = "d" * 32


def _store_at_0002(url: str) -> None:
    """A store as nbtrack at 0002 left it: one run with one artifact (no step column)."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        upgrade(connection, "0002_manage_runs")
        connection.exec_driver_sql(
            "INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at, seq)"
            f" VALUES ('{RUN}', 'before steps', 'FINISHED', 1.0, 2.0, 2.0, 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO artifacts (run_id, name, digest, size, media_type, uri, logged_at)"
            f" VALUES ('{RUN}', 'cm.png', 'sha256:00', 3, 'image/png', 'sha256/00/00', 1.5)"
        )
        columns = {c["name"] for c in sa.inspect(connection).get_columns("artifacts")}
    engine.dispose()
    assert "step" not in columns  # the fixture really is the old schema


def test_db_upgrade_adds_the_step_and_the_old_artifact_reads_without_one(
    store_url: str, settings: Settings, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_0002(store_url)
    monkeypatch.chdir(project_root)
    env = {"NBTRACK_STORE": store_url}

    with pytest.raises(SchemaError, match=r"older nbtrack \(schema 0002_manage_runs\)"):
        open_store(settings=settings)
    code, out, _ = nbtrack("db", "status", env=env)
    assert code == 0
    assert "schema:  0002_manage_runs" in out
    assert "Older than this nbtrack: run `nbtrack db upgrade`." in out
    code, out, _ = nbtrack("db", "upgrade", env=env)
    assert code == 0
    assert "from schema 0002_manage_runs to 0005_team_store." in out

    with open_store(settings=settings) as store:
        (old,) = store.get_run(RUN).artifacts
        assert old == Artifact("cm.png", "sha256:00", 3, "image/png", "sha256/00/00", 1.5, None)
        digest, size, uri = store.put_artifact_bytes(b"epoch 2")
        store.add_artifact(RUN, Artifact("cm.png", digest, size, "image/png", uri, 3.0, 2))
        assert [a.step for a in store.get_run(RUN).artifacts] == [None, 2]
    code, out, _ = nbtrack("db", "status", env=env)
    assert "Up to date." in out


def test_a_0002_store_that_lost_its_record_is_recognised_as_0002(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_0002(store_url)
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
    engine.dispose()
    monkeypatch.chdir(project_root)
    env = {"NBTRACK_STORE": store_url}

    code, out, _ = nbtrack("db", "upgrade", env=env)

    assert code == 0, out
    assert f"its tables match 0002_manage_runs, then upgraded it to {schema.HEAD}." in out
    code, out, _ = nbtrack("artifacts", "ls", RUN[:8], env=env)
    assert code == 0
    assert "cm.png" in out
