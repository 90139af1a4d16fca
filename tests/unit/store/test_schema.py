"""Schema versions: created on first use, never silently rewritten, clear when foreign."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.config import Settings
from nbtrack.errors import SchemaError, StoreError
from nbtrack.model import RunStatus
from nbtrack.store import open_store, schema
from nbtrack.store.migrations import script_heads
from tests.helpers.cli import nbtrack


def set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_revisions_list_matches_the_migration_scripts() -> None:
    assert script_heads() == (schema.HEAD,)


def test_migrations_create_exactly_the_tables_schema_py_describes(
    store_url: str, settings: Settings
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    open_store(settings=settings).close()
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    engine.dispose()
    assert diff == []


def test_new_sqlite_store_is_created_with_its_directories_in_wal_mode(tmp_path: Path) -> None:
    from nbtrack.config import load_settings

    settings = load_settings(tmp_path, env={"NBTRACK_STORE": str(tmp_path / "a" / "b" / "runs.db")})
    open_store(settings=settings).close()
    engine = sa.create_engine(settings.store_url)
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        metrics_ddl = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'metrics'"
        ).scalar()
    engine.dispose()
    assert "WITHOUT ROWID" in str(metrics_ddl)  # the hot path writes one b-tree
    assert mode == "wal"
    assert revision == schema.HEAD


def test_store_made_by_a_newer_nbtrack_is_refused(store_url: str, settings: Settings) -> None:
    open_store(settings=settings).close()
    set_revision(store_url, "0099_from_the_future")

    with pytest.raises(
        SchemaError,
        match=r"made by a newer nbtrack \(schema 0099_from_the_future\); upgrade nbtrack\.",
    ):
        open_store(settings=settings)

    result = nbtrack("runs", env={"NBTRACK_STORE": store_url})
    assert result.exit_code == 2
    assert "made by a newer nbtrack" in result.stderr
    assert "Traceback" not in result.output + result.stderr

    result = nbtrack("db", "upgrade", env={"NBTRACK_STORE": store_url})
    assert result.exit_code == 2
    assert "upgrade nbtrack" in result.stderr


def test_store_of_an_older_schema_is_not_rewritten_until_db_upgrade(
    store_url: str, settings: Settings
) -> None:
    open_store(settings=settings).close()
    set_revision(store_url, "0000_older")
    # pretend this nbtrack knows an older revision the store is at
    old_revisions = schema.REVISIONS
    schema.REVISIONS = ("0000_older", *old_revisions)
    try:
        with pytest.raises(
            SchemaError,
            match=r"made by an older nbtrack \(schema 0000_older\); run `nbtrack db upgrade`\.",
        ):
            open_store(settings=settings)
        status = nbtrack("db", "status", env={"NBTRACK_STORE": store_url})
        assert status.exit_code == 0
        assert "schema:  0000_older" in status.stdout
        assert "Older than this nbtrack: run `nbtrack db upgrade`." in status.stdout
    finally:
        schema.REVISIONS = old_revisions


def test_tables_without_a_revision_are_named_a_lost_record(
    sqlite_url: str, settings: Settings
) -> None:
    Path(sqlite_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE runs (id TEXT)")
    engine.dispose()
    with pytest.raises(SchemaError, match="no record of its schema revision"):
        open_store(sqlite_url, settings=settings)


def test_db_upgrade_creates_then_reports_current(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_root)
    env = {"NBTRACK_STORE": store_url}
    first = nbtrack("db", "upgrade", env=env)
    second = nbtrack("db", "upgrade", env=env)
    status = nbtrack("db", "status", env=env)

    assert first.exit_code == 0, first.output
    if store_url.startswith("sqlite"):
        assert f"Created the run store {store_url} at schema {schema.HEAD}." in first.stdout
    assert f"already at schema {schema.HEAD} (current); nothing to do." in second.stdout
    assert "Up to date." in status.stdout


def test_read_only_commands_do_not_create_a_store(
    tmp_path: Path, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_root)
    db = tmp_path / "never" / "runs.db"
    result = nbtrack("runs", env={"NBTRACK_STORE": str(db)})
    assert result.exit_code == 0
    assert "No runs yet" in result.stdout
    assert not db.parent.exists()


def test_missing_store_reads_empty_and_refuses_writes_without_create(
    tmp_path: Path, settings: Settings
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'none.db'}", settings=settings, create=False)
    assert store.list_runs() == []
    with pytest.raises(StoreError, match=r"There is no run store at sqlite:///.*none\.db yet\."):
        store.end_run("a" * 32, RunStatus.FINISHED, 0.0)
    assert not (tmp_path / "none.db").exists()


def test_opening_a_current_store_does_not_import_alembic(sqlite_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from nbtrack.config import load_settings\n"
        "from nbtrack.store import open_store\n"
        f"open_store({sqlite_url!r}, settings=load_settings()).close()\n"
        "print('alembic' in sys.modules)\n"
    )
    create = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    reopen = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert create.stdout.strip() == "True"  # creating a store runs the migrations
    assert reopen.stdout.strip() == "False"


def test_import_nbtrack_store_does_not_import_sqlalchemy() -> None:
    code = "import sys, nbtrack.store; print('sqlalchemy' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
