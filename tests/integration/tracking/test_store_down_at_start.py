"""A store that is down when the run starts: the run is kept and lands whole later.

The outage is real, as in test_store_outage.py: PostgreSQL is reached through
a TCP relay that is cut (refusing connections) before the run starts.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.tracking import StoreOutageWarning, replay_spill
from nbtrack.tracking.api import get_tracker
from nbtrack.tracking.run import ActiveRun
from tests.helpers.relay import Relay, relay_to
from tests.helpers.runs import wait_until_flushed

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def cut_relay(pg_url: str) -> Iterator[tuple[Relay, str]]:
    """A relay to the test's PostgreSQL, already cut, and the URL through it."""
    with relay_to(pg_url) as (relay, url):
        relay.cut()
        yield relay, url


def test_a_run_started_while_the_store_is_down_lands_whole_once_it_is_back(
    cut_relay: tuple[Relay, str], pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, url = cut_relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    data = project_root / "train.csv"
    data.write_text("x,y\n1,2\n")
    with pytest.warns(StoreOutageWarning, match="started while its store cannot be reached"):
        run = nbtrack.start_run(name="late", tags={"team": "vision"})
    nbtrack.log_params({"lr": 0.01, "epochs": 3})
    nbtrack.track_data(data)
    for step in range(500):
        nbtrack.log_metric("loss", float(step), step=step)
    assert not run.flush(timeout=2)

    proxy.restore()
    with pytest.warns(StoreOutageWarning, match="reaches its store again"):
        assert wait_until_flushed(run)
    nbtrack.log_metric("loss", 500.0, step=500)
    nbtrack.end_run()

    assert run.spilled == []
    with open_store(pg_url) as store:
        stored = store.get_run(run.id)
        steps = [m.step for m in store.metric_history(run.id, "loss")]
    assert stored.name == "late"
    assert stored.status is RunStatus.FINISHED
    assert stored.started_at == pytest.approx(run.started_at)
    assert stored.tags == {"team": "vision"}
    assert {p.key: p.value for p in stored.params} == {"lr": 0.01, "epochs": 3}
    assert [d.path for d in stored.data] == ["train.csv"]
    assert steps == list(range(501))


def test_a_run_whose_store_never_comes_back_spills_and_replays_whole(
    cut_relay: tuple[Relay, str], pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = cut_relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    monkeypatch.setattr(get_tracker(), "max_pending", 1000)

    def a_whole_run_while_down() -> ActiveRun:
        run = nbtrack.start_run(name="never")
        nbtrack.log_params({"lr": 0.1, "layers": [64, 32]})
        nbtrack.set_tag("owner", "ana")
        for step in range(3000):  # past max_pending: one spill while the run lives
            nbtrack.log_metric("m", float(step), step=step)
        assert not run.flush(timeout=5)
        nbtrack.log_metric("m", 3000.0, step=3000)
        nbtrack.end_run(timeout=1.0)
        return run

    with pytest.warns(StoreOutageWarning):
        run = a_whole_run_while_down()

    assert len(run.spilled) == 2
    for spill in run.spilled:  # each file can create the run on its own
        first = json.loads(spill.read_text().splitlines()[1])
        assert first["op"] == "create_run"
    with open_store(pg_url) as store:
        points = sum(replay_spill(spill, store=store) for spill in reversed(run.spilled))
        stored = store.get_run(run.id)
        steps = sorted(m.step or 0 for m in store.metric_history(run.id, "m"))
    assert points == 3001
    assert stored.name == "never"
    assert stored.status is RunStatus.FINISHED
    assert stored.tags == {"owner": "ana"}
    assert {p.key: p.value for p in stored.params} == {"lr": 0.1, "layers": [64, 32]}
    assert steps == list(range(3001))


# -- through the magics (the ip fixture of tests/conftest.py) --------------------------


def test_track_params_with_the_store_down_warns_and_the_params_land_later(
    cut_relay: tuple[Relay, str],
    pg_url: str,
    ip: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxy, url = cut_relay
    monkeypatch.setenv("NBTRACK_STORE", url)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # shown as a notebook shows them, not raised
        result = ip.run_cell("%%track_params\nlr = 0.01\nlayers = [64, 32]\n")
        assert ip.run_cell("x = lr * 2").error_in_exec is None  # the params settle here
    assert result.error_in_exec is None
    assert ip.user_ns["lr"] == 0.01
    shown = [str(w.message) for w in caught if w.category is StoreOutageWarning]
    assert any("created in the store once the store answers" in text for text in shown)
    assert "Nothing from this cell was recorded" not in capsys.readouterr().err
    run = get_tracker().run
    assert run is not None

    proxy.restore()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StoreOutageWarning)
        assert wait_until_flushed(run)
    with open_store(pg_url) as store:
        stored = store.get_run(run.id)
    assert {p.key: (p.value, p.source.value) for p in stored.params} == {
        "lr": (0.01, "notebook"),
        "layers": ([64, 32], "notebook"),
    }
