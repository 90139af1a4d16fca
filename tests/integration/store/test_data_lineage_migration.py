"""A store made at 0003 (data refs and artifacts) upgrades to 0004: refs resolved, digests indexed.

SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.config import Settings
from nbtrack.store import open_store
from nbtrack.store.migrations import upgrade
from tests.helpers.cli import nbtrack

MAKER = "a" * 32
READER = "b" * 32


def _store_at_0003(url: str) -> None:
    """Two runs as nbtrack at 0003 left them: one logged a file, the other tracked it."""
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        upgrade(connection, "0003_artifact_steps")
        for seq, (run, name) in enumerate(((MAKER, "prepare"), (READER, "train")), 1):
            connection.exec_driver_sql(
                "INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at, seq)"
                f" VALUES ('{run}', '{name}', 'FINISHED', 1.0, 2.0, 2.0, {seq})"
            )
        connection.exec_driver_sql(
            "INSERT INTO artifacts (run_id, name, digest, size, media_type, uri, logged_at, step)"
            f" VALUES ('{MAKER}', 'prepared.csv', 'sha256:0f', 3, 'text/csv', 'sha256/0f/0f',"
            " 1.5, NULL)"
        )
        connection.exec_driver_sql(
            "INSERT INTO data_refs (run_id, path, kind, digest, size, detail, logged_at)"
            f" VALUES ('{READER}', 'data/prepared.csv', 'file', 'sha256:0f', 3, '{{}}', 1.6)"
        )
        inspector = sa.inspect(connection)
        columns = {c["name"] for c in inspector.get_columns("data_refs")}
        indexes = {i["name"] for i in inspector.get_indexes("artifacts")}
    engine.dispose()
    assert "resolved" not in columns  # the fixture really is the old schema
    assert "ix_artifacts_digest" not in indexes


def test_db_upgrade_to_0004_reads_old_refs_as_resolved_and_indexes_digests(
    store_url: str, settings: Settings, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_0003(store_url)
    monkeypatch.chdir(project_root)

    code, out, _ = nbtrack("db", "upgrade", env={"NBTRACK_STORE": store_url})

    assert code == 0, out
    assert "from schema 0003_artifact_steps to 0005_team_store." in out
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        assert "ix_artifacts_digest" in {i["name"] for i in inspector.get_indexes("artifacts")}
        assert "ix_data_refs_digest" in {i["name"] for i in inspector.get_indexes("data_refs")}
    engine.dispose()
    with open_store(settings=settings) as store:
        (ref,) = store.get_run(READER).data
        assert (ref.path, ref.digest, ref.resolved) == ("data/prepared.csv", "sha256:0f", True)
        assert [u.run_id for u in store.artifacts_with_digests(["sha256:0f"])] == [MAKER]
        assert [u.run_id for u in store.data_refs_with_digests(["sha256:0f"])] == [READER]
