"""``nbtrack ui`` as a command: what it prints, how it fails at start, how it stops.

Each test runs the real command in a child process (``python -m nbtrack ui``):
a store that cannot be read, a port in use or a bad NBTRACK_UI_TOKEN is one
sentence and exit code 2 before anything is served; Ctrl-C stops it with
exit code 0 and no traceback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer


def nbtrack_ui(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``nbtrack ui ARGS`` that is expected to stop by itself (an error at start)."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "nbtrack", "ui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_one_sentence(result: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # no URL printed: nothing is served
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for part in parts:
        assert part in lines[0]


def test_it_prints_the_masked_store_and_the_url_and_stops_on_ctrl_c(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    add_run(store, "first")
    store.close()
    server = UiServer.start(sqlite_url, cwd=tmp_path)
    try:
        assert server.lines[0] == f"nbtrack ui: {sqlite_url} (read-only)"
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=30) as response:
            assert response.status == 200
    finally:
        rest = server.stop()
    assert server.process.returncode == 0
    assert "Traceback" not in rest
    assert "Aborted" not in rest


def test_a_password_in_the_store_url_is_masked(pg_url: str, tmp_path: Path) -> None:
    url = sa.make_url(pg_url)
    with_password = url.set(password="pw-not-to-print").render_as_string(hide_password=False)
    # the server trusts every role but one: any password is accepted for this one
    with UiServer.start(with_password, cwd=tmp_path) as server:
        assert "pw-not-to-print" not in "\n".join(server.lines)
        assert "***" in server.lines[0]


def test_port_0_picks_a_free_port_and_a_port_in_use_is_one_sentence(
    sqlite_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = nbtrack_ui("--store", sqlite_url, "--port", str(port), cwd=tmp_path)
    assert_one_sentence(result, f"127.0.0.1:{port}", "Address already in use", "--port")


def test_an_unreachable_postgresql_store_is_one_sentence_at_start(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once closed
    url = f"postgresql://ana:secret-pw@127.0.0.1:{port}/experiments"
    result = nbtrack_ui("--store", url, "--port", "0", cwd=tmp_path)
    assert_one_sentence(result, "Cannot reach the PostgreSQL store", f"127.0.0.1:{port}")
    assert "secret-pw" not in result.stderr


def test_a_missing_postgresql_database_is_one_sentence_at_start(
    pg_url: str, tmp_path: Path
) -> None:
    missing = sa.make_url(pg_url).set(database="no_such_db").render_as_string(False)
    result = nbtrack_ui("--store", missing, "--port", "0", cwd=tmp_path)
    assert_one_sentence(result, "no_such_db")


def test_a_store_of_a_newer_schema_is_one_sentence_at_start(
    sqlite_url: str, tmp_path: Path
) -> None:
    open_store(sqlite_url).close()
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    result = nbtrack_ui("--store", sqlite_url, "--port", "0", cwd=tmp_path)
    assert_one_sentence(result, "0099_future", "upgrade nbtrack")


def test_a_store_that_needs_db_upgrade_is_one_sentence_at_start(
    store_url: str, tmp_path: Path
) -> None:
    from nbtrack.store.migrations import upgrade

    if store_url.startswith("sqlite"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    engine = sa.create_engine(store_url)
    with engine.begin() as connection:
        upgrade(connection, "0001_initial")  # the tables an older nbtrack made
    engine.dispose()
    result = nbtrack_ui("--store", store_url, "--port", "0", cwd=tmp_path)
    assert_one_sentence(result, "older nbtrack (schema 0001_initial)", "`nbtrack db upgrade`")


@pytest.mark.parametrize(
    ("token", "problem"),
    [("short", "it has 5 characters"), ("x" * 20 + ";HttpOnly", "letters, digits")],
)
def test_a_bad_nbtrack_ui_token_is_one_sentence(
    sqlite_url: str, tmp_path: Path, token: str, problem: str
) -> None:
    result = nbtrack_ui(
        "--store", sqlite_url, "--port", "0", cwd=tmp_path, env={"NBTRACK_UI_TOKEN": token}
    )
    assert_one_sentence(result, "NBTRACK_UI_TOKEN", problem)


def test_off_loopback_it_makes_a_token_and_prints_it_once_in_the_url(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = {"NBTRACK_UI_TOKEN": ""}
    server = UiServer.start(sqlite_url, "--host", "0.0.0.0", cwd=tmp_path, env=env)
    try:
        assert server.url.startswith(f"http://{socket.gethostname()}:")
        token = server.url.split("?token=", 1)[1]
        assert len(token) == 48
        assert "\n".join(server.lines).count(token) == 1
    finally:
        rest = server.stop()
    assert rest.startswith("  the token is required off loopback")
    assert token not in rest


def test_a_token_from_the_environment_is_used_and_not_printed(
    sqlite_url: str, tmp_path: Path
) -> None:
    token = "team-token-0123456789"
    env = {"NBTRACK_UI_TOKEN": token}
    with UiServer.start(sqlite_url, "--host", "0.0.0.0", cwd=tmp_path, env=env) as server:
        assert "?token=" not in server.url
        assert token not in "\n".join(server.lines)
        port = server.base.rsplit(":", 1)[1].rstrip("/")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30)
        assert refused.value.code == 403
        refused.value.close()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", headers={"authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200


def test_the_access_log_is_off_by_default_and_masks_the_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = {"NBTRACK_UI_TOKEN": ""}
    server = UiServer.start(sqlite_url, "--host", "0.0.0.0", "--access-log", cwd=tmp_path, env=env)
    try:
        token = server.url.split("?token=", 1)[1]
        port = server.base.rsplit(":", 1)[1].rstrip("/")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(f"http://127.0.0.1:{port}/compare?token={token}", timeout=30)
        assert redirected.value.code == 303
        redirected.value.close()
    finally:
        rest = server.stop()
    assert "GET /compare?token=*** HTTP/1.1" in rest
    assert token not in rest
    quiet = UiServer.start(sqlite_url, cwd=tmp_path)
    try:
        urllib.request.urlopen(quiet.url, timeout=30).close()
    finally:
        assert "GET /" not in quiet.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_help_shows_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nbtrack", "ui", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Examples:" in result.stdout
    assert "--host 0.0.0.0" in result.stdout
    assert "--allow-edit" in result.stdout
    assert "NBTRACK_UI_TOKEN" in result.stdout


def test_behind_a_local_https_proxy_the_cookie_is_secure(sqlite_url: str, tmp_path: Path) -> None:
    token = "team-token-0123456789"
    env = {"NBTRACK_UI_TOKEN": token}
    server = UiServer.start(sqlite_url, "--host", "0.0.0.0", cwd=tmp_path, env=env)
    try:
        port = server.base.rsplit(":", 1)[1].rstrip("/")
        opener = urllib.request.build_opener(_NoRedirect)
        cookies = {}
        for proto in ("http", "https"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/?token={token}", headers={"x-forwarded-proto": proto}
            )
            with pytest.raises(urllib.error.HTTPError) as redirected:
                opener.open(request, timeout=30)
            cookies[proto] = redirected.value.headers["set-cookie"]
            redirected.value.close()
    finally:
        server.stop()
    assert "Secure" not in cookies["http"]
    assert cookies["https"].endswith("; Secure")


def test_ctrl_c_stops_promptly_with_connections_still_open(sqlite_url: str, tmp_path: Path) -> None:
    import time

    seed_store = open_store(sqlite_url)
    add_run(seed_store, "first")
    seed_store.close()
    server = UiServer.start(sqlite_url, cwd=tmp_path)
    port = int(server.base.rsplit(":", 1)[1].rstrip("/"))
    held = []
    try:
        # a browser's kept-alive connection after a page, and one stuck in its request
        idle = socket.create_connection(("127.0.0.1", port))
        idle.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert idle.recv(12).startswith(b"HTTP/1.1 200")
        stuck = socket.create_connection(("127.0.0.1", port))
        stuck.sendall(
            b"POST /api/runs/x/rename HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99\r\n\r\n"
        )
        held = [idle, stuck]
        started = time.monotonic()
    finally:
        rest = server.stop()
        for sock in held:
            sock.close()
    assert time.monotonic() - started < 15
    assert server.process.returncode == 0
    assert "Traceback" not in rest


def test_a_store_that_is_not_there_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing" / "runs.db"
    server = UiServer.start(f"sqlite:///{path}", cwd=tmp_path)
    try:
        with urllib.request.urlopen(server.url, timeout=30) as response:
            assert response.status == 200
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert not path.parent.exists()
