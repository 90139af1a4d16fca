"""SIGTERM on a tracked script (``docker stop``, Kubernetes, SLURM, ``timeout``).

The run ends KILLED with every point logged before the signal, and the
process still dies of SIGTERM; a handler the script set is left alone. Real
processes, real signals, a real store (SQLite and PostgreSQL).
"""

from __future__ import annotations

import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nbtrack.config import Settings, load_settings
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from nbtrack.tracking.api import get_tracker
from tests.helpers.processes import logging_script

pytestmark = pytest.mark.slow

TRAIN = textwrap.dedent(
    """
    import time
    import nbtrack

    run = nbtrack.start_run(name="train")
    print("run", run.id, flush=True)
    step = 0
    while True:
        nbtrack.log_metric("loss", 1.0 / (step + 1), step=step)
        print("logged", step, flush=True)
        step += 1
        time.sleep(0.002)
    """
)

OWN_HANDLER = textwrap.dedent(
    """
    import signal, sys, time
    import nbtrack

    def stop(signum, frame):
        print("my handler", flush=True)
        sys.exit(3)

    signal.signal(signal.SIGTERM, stop)
    run = nbtrack.start_run(name="own")
    print("run", run.id, flush=True)
    print("logged", 0, flush=True)
    while True:
        time.sleep(0.01)
    """
)


def _run_until_sigterm(script: str, cwd: Path) -> tuple[int, list[str]]:
    """Start *script*, let it log for a moment, SIGTERM it: (exit status, lines it printed)."""
    with logging_script(script, cwd) as (child, lines):
        time.sleep(0.4)  # less than a flush interval: the last points are still in its buffer
        child.send_signal(signal.SIGTERM)
    return child.returncode, lines


def test_sigterm_ends_a_scripts_run_killed_with_every_point_and_the_process_dies_of_it(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)

    status, lines = _run_until_sigterm(TRAIN, project_root)

    assert status == -signal.SIGTERM  # a shell shows 143: 128 + 15
    run_id = lines[0].split()[1]
    logged = [int(line.split()[1]) for line in lines[1:] if line.startswith("logged")]
    with open_store(store_url, settings=load_settings(project_root)) as store:
        run = store.get_run(run_id)
        assert run.status is RunStatus.KILLED
        assert run.ended_at is not None
        steps = {m.step for m in store.metric_history(run_id, "loss")}
    assert set(range(max(logged) + 1)) <= steps  # flushed before it died


def test_a_handler_the_script_set_is_left_alone(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)

    status, lines = _run_until_sigterm(OWN_HANDLER, project_root)

    assert status == 3
    assert "my handler\n" in lines
    run_id = lines[0].split()[1]
    with open_store(store_url, settings=load_settings(project_root)) as store:
        # its handler exited the interpreter: the exit hook ended the run
        assert store.get_run(run_id).ended_at is not None


def test_the_default_action_is_back_once_the_run_ends(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a script, not a kernel: the IPython shell other tests of this worker made is not ours
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    tracker = get_tracker()

    run = tracker.start_run(settings=settings)
    during = signal.getsignal(signal.SIGTERM)
    run.end()

    assert during is not signal.SIG_DFL
    assert callable(during)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
