"""A store made by the release before experiments (0004) upgrades to 0005 in a project
named ``churn``: every old run is in experiment ``churn``, nothing else changed.

Two makers of the old store, on SQLite and PostgreSQL: the shipped migrations up
to 0004 with rows inserted as 0004's schema has them (always), and nbtrack's own
code at the commit before this issue, taken from git history with ``git archive``
and run in a subprocess (when the clone has that history, as CI's does).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.store.migrations import upgrade
from tests.helpers.cli import nbtrack

#: the last commit of main before issue 14 (schema 0004_data_lineage)
RELEASE = "22309b1"
REPO = Path(__file__).resolve().parents[3]
OLD_RUNS = ("a" * 32, "b" * 32)


def _project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    return root


def _sqlite_parent(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _store_at_0004(url: str) -> None:
    """Two runs with params, metrics and tags, in tables exactly 0004's."""
    _sqlite_parent(url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        upgrade(connection, "0004_data_lineage")
        for seq, run in enumerate(OLD_RUNS, 1):
            connection.exec_driver_sql(
                "INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at, seq)"
                f" VALUES ('{run}', 'old-{seq}', 'FINISHED', {seq}.0, {seq}.5, {seq}.5, {seq})"
            )
            connection.exec_driver_sql(
                "INSERT INTO params (run_id, key, value, num, text, source)"
                f" VALUES ('{run}', 'lr', '0.{seq}', 0.{seq}, '0.{seq}', 'code')"
            )
            connection.exec_driver_sql(
                f"INSERT INTO tags (run_id, key, value) VALUES ('{run}', 'team', 'ml')"
            )
        columns = {c["name"] for c in sa.inspect(connection).get_columns("runs")}
    engine.dispose()
    assert "experiment" not in columns  # the fixture really is the old schema


def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables 0004 had, but runs.experiment (what must not change)."""
    engine = sa.create_engine(url)
    tables = ("params", "tags", "metric_latest", "metrics", "run_details", "artifacts")
    with engine.connect() as connection:
        runs = connection.exec_driver_sql(
            "SELECT id, name, status, started_at, ended_at, seq FROM runs ORDER BY id"
        ).all()
        rows = {"runs": [tuple(r) for r in runs]}
        for table in tables:
            found = connection.execute(sa.text(f"SELECT * FROM {table}")).all()
            rows[table] = sorted((tuple(r) for r in found), key=repr)
    engine.dispose()
    return rows


def _upgrade_in(project: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    code, out, _ = nbtrack("db", "upgrade", env={"NBTRACK_STORE": url})
    assert code == 0, out
    assert "to 0005_team_store." in out


def _listed(url: str, *args: str) -> list[dict[str, object]]:
    code, out, err = nbtrack("runs", "--format", "json", *args, env={"NBTRACK_STORE": url})
    assert code == 0, err
    listed: list[dict[str, object]] = json.loads(out)
    return listed


def test_a_0004_store_upgraded_in_project_churn_puts_every_run_in_churn(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_0004(store_url)
    before = _snapshot(store_url)
    _upgrade_in(_project(tmp_path, "churn"), store_url, monkeypatch)

    assert _snapshot(store_url) == before  # nothing but the new column changed
    listed = _listed(store_url, "--experiment", "churn")
    assert sorted(r["id"] for r in listed) == sorted(OLD_RUNS)
    assert {r["experiment"] for r in listed} == {"churn"}
    assert _listed(store_url, "--experiment", "other") == []
    # the new index is there on both databases
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes("runs")}
    engine.dispose()
    assert "ix_runs_experiment_started" in indexes


def _release_tree(tmp_path: Path) -> Path:
    """nbtrack's package as it was at RELEASE, unpacked from git history."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git clone: the release's code comes from git history")
    archive = tmp_path / "release.tar"
    made = subprocess.run(
        ["git", "-C", str(REPO), "archive", "-o", str(archive), RELEASE, "nbtrack"],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"this clone lacks commit {RELEASE}: {made.stderr.strip()}")
    tree = tmp_path / "release"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


_LOG_OLD_RUN = """
import nbtrack
with nbtrack.start_run(name="made by the release", tags={"team": "ml"}):
    nbtrack.log_params({"lr": 0.01, "epochs": 3})
    for step in range(3):
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
print(nbtrack.list_runs()[0].id)
"""


def test_a_store_written_by_the_release_itself_upgrades_into_churn(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = _release_tree(tmp_path)
    old_project = _project(tmp_path, "legacy")
    _sqlite_parent(store_url)
    env = {**os.environ, "PYTHONPATH": str(tree), "NBTRACK_STORE": store_url}
    env.pop("NBTRACK_EXPERIMENT", None)
    made = subprocess.run(
        [sys.executable, "-c", _LOG_OLD_RUN],
        cwd=old_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    run_id = made.stdout.split()[-1]
    engine = sa.create_engine(store_url)
    with engine.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert revision == "0004_data_lineage"
    before = _snapshot(store_url)

    _upgrade_in(_project(tmp_path, "churn"), store_url, monkeypatch)

    assert _snapshot(store_url) == before
    (listed,) = _listed(store_url, "--experiment", "churn")
    assert (listed["id"], listed["experiment"]) == (run_id, "churn")
    assert listed["params"] == {"epochs": 3, "lr": 0.01}
    assert listed["metrics"] == {"loss": pytest.approx(1 / 3)}
    code, out, _ = nbtrack("show", run_id[:8], env={"NBTRACK_STORE": store_url})
    assert code == 0
    assert "experiment: churn" in out
