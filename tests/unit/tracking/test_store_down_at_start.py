"""A run whose store cannot be reached when it starts: kept, then created or spilled.

The unreachable store is a PostgreSQL URL on a local port nothing listens on
(connection refused, the way a server that is down answers). The tests with a
store that comes back are in tests/integration/tracking/test_store_down_at_start.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import load_settings
from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.store._engine import cannot_reach
from nbtrack.tracking import StoreOutageWarning, replay_spill


def test_a_run_starts_while_its_store_is_down_and_its_spill_replays_whole(
    down_url: str, project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", down_url)
    with pytest.warns(StoreOutageWarning, match="started while its store cannot be reached"):
        run = nbtrack.start_run(name="offline", tags={"team": "vision"})
    assert run.status is RunStatus.RUNNING
    assert nbtrack.active_run() is run
    nbtrack.log_params({"lr": 0.01, "layers": [64, 32]})
    nbtrack.set_tag("owner", "ana")
    for step in range(100):
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
    assert not run.flush(timeout=2)
    with pytest.warns(StoreOutageWarning, match="replay_spill"):
        nbtrack.end_run(timeout=1.0)

    (spill,) = run.spilled
    assert spill.is_relative_to(project_root / ".nbtrack" / "spill")
    lines = [json.loads(line) for line in spill.read_text().splitlines()]
    assert lines[1]["op"] == "create_run"
    assert lines[-1]["op"] == "end_run"
    assert "secret" not in spill.read_text()

    target = f"sqlite:///{tmp_path / 'later' / 'runs.db'}"
    with open_store(target, settings=load_settings(project_root)) as store:
        assert replay_spill(spill, store=store) == 100
        stored = store.get_run(run.id)
        history = store.metric_history(run.id, "loss")
    assert stored.name == "offline"
    assert stored.status is RunStatus.FINISHED
    assert stored.started_at == pytest.approx(run.started_at)
    assert stored.tags == {"team": "vision", "owner": "ana"}
    assert {p.key: p.value for p in stored.params} == {"lr": 0.01, "layers": [64, 32]}
    assert [m.step for m in history] == list(range(100))
    assert stored.environment.python  # captured at the start, while the store was away


def test_a_file_while_the_store_was_never_reached_is_not_stored_and_says_so(
    down_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", down_url)
    model = project_root / "model.pkl"
    model.write_bytes(b"weights")
    with pytest.warns(StoreOutageWarning):
        run = nbtrack.start_run()
    with pytest.raises(StoreError, match=r"model\.pkl was not stored: .* log it again"):
        nbtrack.log_artifact(model)
    assert run.status is RunStatus.RUNNING
    with pytest.warns(StoreOutageWarning):
        nbtrack.end_run(timeout=0.5)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://nbtrack@no-such-host.invalid/runs",
        "mysql://nbtrack@127.0.0.1/runs",
    ],
    ids=["unknown host", "unsupported database"],
)
def test_a_store_url_that_is_wrong_still_fails_at_once(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", url)
    with pytest.raises(StoreError) as caught:
        nbtrack.start_run()
    assert not cannot_reach(caught.value)
    assert not isinstance(caught.value, StoreUnreachableError)
    assert nbtrack.active_run() is None


def test_a_sqlite_store_that_cannot_be_opened_still_fails_at_once(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = project_root / "not-a-dir"  # fails for root too, unlike a chmod
    blocker.write_text("")
    monkeypatch.setenv("NBTRACK_STORE", str(blocker / "runs.db"))
    with pytest.raises(StoreError, match="not-a-dir") as caught:
        nbtrack.start_run()
    assert not cannot_reach(caught.value)
    assert not isinstance(caught.value, StoreUnreachableError)
    assert nbtrack.active_run() is None


def test_only_a_store_that_cannot_be_reached_counts_as_down(down_url: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(down_url)
    assert cannot_reach(caught.value)
    assert isinstance(caught.value, StoreUnreachableError)
    assert not cannot_reach(StoreError("The store URL 'x' is not a valid URL."))
    assert not cannot_reach(ValueError("connection refused"))
