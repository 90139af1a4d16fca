"""A store that goes away mid-run: nothing logged is lost, nothing hangs.

The outage is real: the run talks to PostgreSQL through a TCP relay that this
test cuts (it closes every connection and refuses new ones) and restores.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

import nbtrack
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.tracking import StoreOutageWarning, replay_spill
from nbtrack.tracking.api import get_tracker

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


class Relay:
    """Forwards TCP connections to a server until cut; refuses them while cut."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def relay(pg_url: str) -> Iterator[tuple[Relay, str]]:
    url = make_url(pg_url)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    try:
        yield relay, url.set(port=relay.port).render_as_string(hide_password=False)
    finally:
        relay.close()


def _steps(url: str, run_id: str, root: Path) -> list[int | None]:
    from nbtrack.config import load_settings

    with open_store(url, settings=load_settings(root)) as store:
        return [m.step for m in store.metric_history(run_id, "m")]


def test_points_logged_during_an_outage_arrive_once_the_store_is_back(
    relay: tuple[Relay, str], pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, url = relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    run = nbtrack.start_run(name="outage")
    for step in range(1000):
        nbtrack.log_metric("m", float(step), step=step)
    assert run.flush()

    def log_while_cut() -> bool:
        proxy.cut()
        for step in range(1000, 2000):
            nbtrack.log_metric("m", float(step), step=step)
        nbtrack.log_param("lr", 0.01)
        return run.flush(timeout=5)

    def restore_and_wait() -> bool:
        proxy.restore()
        deadline = time.monotonic() + 30
        while not run.flush(timeout=5):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True

    started = time.monotonic()
    with pytest.warns(StoreOutageWarning, match="cannot write run .* retrying"):
        assert not log_while_cut()
    assert time.monotonic() - started < 6  # logging never waited for the store
    with pytest.warns(StoreOutageWarning, match="reaches its store again"):
        assert restore_and_wait()
    nbtrack.end_run()
    assert _steps(pg_url, run.id, project_root) == list(range(2000))
    with open_store(pg_url) as store:
        stored = store.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert [(p.key, p.value) for p in stored.params] == [("lr", 0.01)]


def test_a_run_ending_during_an_outage_spills_to_a_file_that_replays(
    relay: tuple[Relay, str], pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, url = relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    run = nbtrack.start_run(name="spilled")
    nbtrack.log_metric("m", 0.0, step=0)
    assert run.flush()

    proxy.cut()
    nbtrack.log_params({"lr": 0.01, "layers": [64, 32]})
    for step in range(1, 500):
        nbtrack.log_metric("m", float(step), step=step)
    started = time.monotonic()
    with pytest.warns(StoreOutageWarning) as caught:
        nbtrack.end_run(timeout=2.0)
    waited = time.monotonic() - started
    assert waited < 15  # bounded: a notebook is never wedged by the store
    assert nbtrack.active_run() is None
    (spill,) = run.spilled
    assert spill.is_file()
    assert spill.is_relative_to(project_root / ".nbtrack" / "spill")
    assert any(str(spill) in str(w.message) and "replay_spill" in str(w.message) for w in caught)

    proxy.restore()
    with open_store(pg_url) as store:
        assert store.get_run(run.id).status is RunStatus.RUNNING  # the end is in the file too
        assert replay_spill(spill, store=store) == 499
        stored = store.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert {p.key: p.value for p in stored.params} == {"lr": 0.01, "layers": [64, 32]}
    assert _steps(pg_url, run.id, project_root) == list(range(500))
    assert not spill.exists()
    assert spill.with_name(spill.name + ".replayed").is_file()


def test_a_long_outage_spills_the_buffer_instead_of_growing_it(
    relay: tuple[Relay, str], pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, url = relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    monkeypatch.setattr(get_tracker(), "max_pending", 1000)
    run = nbtrack.start_run(name="long outage")
    assert run.flush()
    proxy.cut()

    def log_past_the_limit() -> bool:
        for step in range(3000):
            nbtrack.log_metric("m", float(step), step=step)
        return run.flush(timeout=5)

    with pytest.warns(StoreOutageWarning) as caught:
        assert not log_past_the_limit()
    assert any("more than 1000 points were waiting" in str(w.message) for w in caught)
    spilled = list(run._flusher.spilled)
    assert len(spilled) == 1
    proxy.restore()
    nbtrack.end_run()
    with open_store(pg_url) as store:
        assert replay_spill(spilled[0], store=store) == 3000
        assert store.get_run(run.id).status is RunStatus.FINISHED
    assert _steps(pg_url, run.id, project_root) == list(range(3000))
