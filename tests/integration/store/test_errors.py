"""Stores that cannot be used: one sentence naming the place, exit code 2, no traceback."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtrack.config import load_settings
from nbtrack.errors import StoreError
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from tests.helpers.cli import nbtrack_subprocess


def nbtrack(*args: str, store: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return nbtrack_subprocess(*args, cwd=cwd, env={"NBTRACK_STORE": store})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def assert_one_sentence(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_unreachable_postgresql_names_host_port_and_hides_password(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql://ana:hunter2@127.0.0.1:{port}/runs"

    proc = nbtrack("runs", store=url, cwd=tmp_path)

    assert_one_sentence(proc, f"Cannot reach the PostgreSQL store at 127.0.0.1:{port}", "ana:***@")
    assert "hunter2" not in proc.stderr
    assert "connection refused" in proc.stderr


def test_unreachable_postgresql_hides_a_password_in_the_query_string(tmp_path: Path) -> None:
    port = closed_port()
    url = f"postgresql://ana@127.0.0.1:{port}/runs?sslpassword=k3y&password=hunter2"

    proc = nbtrack("runs", store=url, cwd=tmp_path)

    assert_one_sentence(proc, f"Cannot reach the PostgreSQL store at 127.0.0.1:{port}")
    assert "?sslpassword=***&password=***" in proc.stderr
    assert "hunter2" not in proc.stderr
    assert "k3y" not in proc.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("secret", ["ana:hunter2@", "ana@", "ana:pw@"])
def test_refused_password_names_the_store_with_every_password_hidden(
    pg_server: Any, tmp_path: Path, secret: str
) -> None:
    # the test server asks role "ana" for its password (tests/conftest.py); these are wrong
    port = pg_server.port
    url = f"postgresql://{secret}127.0.0.1:{port}/postgres?password=hunter2"

    proc = nbtrack("runs", store=url, cwd=tmp_path)

    assert_one_sentence(
        proc,
        f"Cannot reach the PostgreSQL store at 127.0.0.1:{port}",
        "/postgres?password=***",
        "password authentication failed",
    )
    assert "hunter2" not in proc.stderr


@pytest.mark.postgres
def test_missing_postgresql_database_is_named(pg_url: str, tmp_path: Path) -> None:
    url = pg_url.rsplit("/", 1)[0] + "/no_such_db"
    proc = nbtrack("runs", store=url, cwd=tmp_path)
    assert_one_sentence(proc, "no_such_db", "does not exist")


def test_store_whose_parent_is_a_regular_file_cannot_be_created(tmp_path: Path) -> None:
    # fails for root too: no directory can be made under a regular file
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    store = blocker / "nbtrack" / "runs.db"

    proc = nbtrack("db", "upgrade", store=str(store), cwd=tmp_path)

    assert_one_sentence(proc, f"Cannot create the run store {store}", "cannot be made")
    with pytest.raises(StoreError, match=str(store)):
        open_store(settings=load_settings(tmp_path, env={"NBTRACK_STORE": str(store)}))


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody, root included, can write: chmod for users, chattr +i for root."""
    directory = tmp_path / "ro"
    directory.mkdir()
    if os.geteuid() != 0:
        directory.chmod(0o555)
        yield directory
        directory.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a directory read-only for root")
    made = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
    probe = directory / "probe"
    try:
        probe.touch()
    except OSError:
        pass
    else:
        probe.unlink()
        subprocess.run(["chattr", "-i", str(directory)], check=False)
        pytest.skip(f"chattr +i had no effect here ({made.stderr!r})")
    try:
        yield directory
    finally:
        subprocess.run(["chattr", "-i", str(directory)], check=True)


def test_new_store_in_a_read_only_directory_names_it(read_only_dir: Path, tmp_path: Path) -> None:
    store = read_only_dir / "runs.db"
    proc = nbtrack("db", "upgrade", store=str(store), cwd=tmp_path)
    assert_one_sentence(proc, str(store), f"the directory {read_only_dir} is read-only")


def _made_store(directory: Path) -> Path:
    """A store in *directory* with one run (params, a metric), closed cleanly."""
    from nbtrack.model import Param, ParamSource

    store_path = directory / "runs.db"
    url = f"sqlite:///{store_path}"
    store = open_store(url, settings=load_settings(directory, env={"NBTRACK_STORE": url}))
    store.create_run(run_id="ab" * 16, name="kept", started_at=1.0)
    store.log_params("ab" * 16, [Param("lr", 0.1, ParamSource.NOTEBOOK)])
    store.log_metrics("ab" * 16, [("loss", 0.5, 0, 2.0)])
    store.end_run("ab" * 16, RunStatus.FINISHED, 3.0)
    store.close()
    assert not list(directory.glob("runs.db-*"))  # a clean close leaves no -wal / -shm
    return store_path


@contextlib.contextmanager
def made_read_only(path: Path) -> Iterator[None]:
    """*path* (a file or a folder) read-only for this user: chmod, or chattr +i for root."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a path read-only for root")
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0 or os.access(path, os.W_OK):
        subprocess.run(["chattr", "-i", str(path)], check=False)
        pytest.skip(f"chattr +i had no effect here ({made.stderr!r})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.parametrize("what", ["directory", "file"])
def test_a_read_only_store_is_read_and_a_write_is_one_sentence(tmp_path: Path, what: str) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    store = _made_store(directory)
    locked = directory if what == "directory" else store
    reason = f"its directory {directory} is read-only" if what == "directory" else "read-only"
    with made_read_only(locked):
        listed = nbtrack("runs", "--format", "json", store=str(store), cwd=tmp_path)
        shown = nbtrack("show", "abab", store=str(store), cwd=tmp_path)
        upgraded = nbtrack("db", "upgrade", store=str(store), cwd=tmp_path)
        settings = load_settings(tmp_path, env={"NBTRACK_STORE": str(store)})
        opened = open_store(settings=settings)
        try:
            with pytest.raises(StoreError) as refused:
                opened.create_run(run_id="cd" * 16, name="new", started_at=4.0)
        finally:
            opened.close()
        after = sorted(p.name for p in directory.iterdir())
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    assert run["name"] == "kept"
    assert shown.returncode == 0, shown.stderr
    assert "lr" in shown.stdout
    assert "loss" in shown.stdout
    assert upgraded.returncode == 0, upgraded.stderr
    assert "already at schema" in upgraded.stdout
    message = str(refused.value)
    assert message.startswith(f"The SQLite store {store} can be read but not written: ")
    assert reason in message
    assert "\n" not in message
    if what == "directory":
        assert after == ["runs.db"]  # nothing was made in (or vanished from) the folder


def test_a_store_path_that_is_a_directory_is_named_as_one(tmp_path: Path) -> None:
    store = tmp_path / "runs.db"
    store.mkdir()
    for args in (("runs",), ("db", "status"), ("db", "upgrade")):
        proc = nbtrack(*args, store=str(store), cwd=tmp_path)
        assert_one_sentence(proc, f"The SQLite store {store} is a directory, not a SQLite file")
        assert "permission" not in proc.stderr


def test_unsupported_url_scheme_is_named(tmp_path: Path) -> None:
    proc = nbtrack("runs", store="mysql://u:pw@localhost/db", cwd=tmp_path)
    assert_one_sentence(proc, "uses 'mysql'", "supports sqlite and postgresql", "u:***@")


@pytest.mark.parametrize("command", [("runs",), ("db", "status"), ("show", "abc")])
def test_a_url_with_a_bad_port_is_one_sentence_with_the_password_hidden(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    proc = nbtrack(*command, store="postgresql://ana:hunter2@db:notaport/runs", cwd=tmp_path)
    assert_one_sentence(proc, "is not a valid URL", "ana:***@db:notaport")
    assert "hunter2" not in proc.stderr
