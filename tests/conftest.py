"""Shared fixtures: an isolated store for every test, and a real PostgreSQL.

* Every test gets ``NBTRACK_STORE`` pointing at a SQLite file in its own
  ``tmp_path`` (autouse), so no test ever writes the repository's ``.nbtrack/``.
* ``store_url`` runs a test against SQLite and against a real PostgreSQL
  server that this session starts from the machine's binaries (``initdb`` /
  ``pg_ctl`` on PATH or under ``/usr/lib/postgresql/*/bin``) in a temporary
  directory on a free port. Each pytest-xdist worker starts its own server; the
  server lives for the session and every test gets a fresh database.
* Without the binaries the postgres tests are skipped, except with ``CI=true``
  where that is a failure: CI must test PostgreSQL for real.
* ``ip`` is the real IPython shell after ``%load_ext nbtrack`` (one per
  process, as IPython keeps it), fresh for each test, in ``project_root``.

As root, PostgreSQL refuses to start; the server then runs as the ``postgres``
user through ``runuser``, in a directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers.shell import nbtrack_shell

if TYPE_CHECKING:
    from nbtrack.config import Settings
    from nbtrack.store.base import Store


#: the role of the test server that logs in with a password (all others are trusted)
PASSWORD_USER = "ana"
PASSWORD = "the-right-one"


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        )


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing_postgres(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but PostgreSQL cannot be used: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for this session (this xdist worker), stopped at the end."""
    bindir = _pg_bin()
    if bindir is None:
        _missing_postgres("no initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin")
    assert bindir is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing_postgres("the psycopg package is not installed")

    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="nbtrack-pg-"))
    data, log = base / "data", base / "server.log"
    if as_root:
        shutil.chown(base, user="postgres", group="postgres")
    port = _free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=120, check=False
        )

    done = run(
        str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
        "-E", "UTF8", "--no-sync", "--no-instructions",
    )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        _missing_postgres(f"initdb failed: {done.stderr.strip()[-500:]}")
    # one role must give its password (PASSWORD_USER), so a refused password is the
    # server's own answer; every other role is trusted
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    started = run(
        str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
        "-t", "60", "start",
    )  # fmt: skip
    if started.returncode != 0:
        detail = log.read_text(errors="replace")[-800:] if log.exists() else started.stderr
        shutil.rmtree(base, ignore_errors=True)
        _missing_postgres(f"pg_ctl start failed: {detail.strip()}")
    try:
        server = PgServer("127.0.0.1", port, "postgres")
        with server.admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'")
        yield server
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A URL to a fresh, empty database on the session's PostgreSQL server."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with pg_server.admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    with pg_server.admin() as admin, contextlib.suppress(Exception):  # type: ignore[attr-defined]
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to a SQLite store file (not created yet) in the test's tmp dir."""
    return f"sqlite:///{tmp_path / 'store' / 'runs.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest) -> str:
    """The test runs twice: on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    """An empty project (a pyproject.toml without [tool.nbtrack]) in tmp_path."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    return root


@pytest.fixture
def settings(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a tmp project whose store is *store_url* (via NBTRACK_STORE)."""
    from nbtrack.config import load_settings

    monkeypatch.setenv("NBTRACK_STORE", store_url)
    return load_settings(project_root)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An open, empty store on *settings* (SQLite and PostgreSQL)."""
    from nbtrack.store import open_store

    opened = open_store(settings=settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ip(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shell after ``%load_ext nbtrack``, in an empty project, no run active."""
    with nbtrack_shell(project_root, monkeypatch) as shell:
        yield shell


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes the repository's .nbtrack/: the default store is in tmp_path.

    Nor the developer's artifact root: no ``NBTRACK_ARTIFACTS`` from the shell
    (tests of remote roots set their own download cache, ``XDG_CACHE_HOME``).
    """
    monkeypatch.setenv("NBTRACK_STORE", str(tmp_path / ".nbtrack-default" / "runs.db"))
    monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
