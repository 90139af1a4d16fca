"""A store that goes away mid-run: nothing logged is lost, nothing hangs.

The outage is real: the run talks to PostgreSQL through a TCP relay that this
test cuts (it closes every connection and refuses new ones) and restores.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbtrack
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.tracking import StoreOutageWarning, replay_spill
from nbtrack.tracking.api import get_tracker
from tests.helpers.relay import Relay, relay_to
from tests.helpers.runs import wait_until_flushed

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def relay(pg_url: str) -> Iterator[tuple[Relay, str]]:
    with relay_to(pg_url) as (relay, url):
        yield relay, url


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
        return wait_until_flushed(run, within=30)

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
