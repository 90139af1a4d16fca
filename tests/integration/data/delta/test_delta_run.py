"""Delta tables tracked inside real runs: the store, ``nbtrack show``, the magic, no deltalake."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError as IPythonUsageError

import nbtrack
from nbtrack.config import Settings
from tests.helpers.cli import nbtrack as nbtrack_cli
from tests.helpers.delta import events_table
from tests.helpers.shell import current_run_id, stored


@pytest.fixture
def events(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``data/events`` (versions 0..3) in the project, which is the working directory."""
    monkeypatch.chdir(project_root)
    return events_table(project_root / "data" / "events", versions=4)


def test_a_run_stores_the_latest_and_a_pinned_version(settings: Settings, events: Path) -> None:
    with nbtrack.start_run() as run:
        latest = nbtrack.track_data("data/events")
        pinned = nbtrack.track_data("data/events", version="1")
    data = nbtrack.get_run(run.id).data
    assert [(d.path, d.kind, d.digest, d.resolved) for d in data] == [
        ("data/events", "delta", "delta:3", True),
        ("data/events", "delta", "delta:1", True),
    ]
    assert [(d.size, d.detail) for d in data] == [
        (latest.size, latest.detail),
        (pinned.size, pinned.detail),
    ]
    assert data[0].detail["table_id"] == data[1].detail["table_id"]
    assert data[1].detail["pinned"] is True
    assert data[1].detail["files"] == 2


def test_nbtrack_show_lists_the_table_and_its_version(events: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.track_data("data/events", version=2)
    code, out, err = nbtrack_cli("show", run.id)
    assert (code, err) == (0, "")
    row = next(line for line in out.splitlines() if line.startswith("data/events"))
    assert row.split()[:3] == ["data/events", "delta", "delta:2"]
    code, out, _ = nbtrack_cli("show", run.id, "--format", "json")
    assert code == 0
    shown = json.loads(out)["data"]
    assert [(d["kind"], d["digest"], d["detail"]["version"]) for d in shown] == [
        ("delta", "delta:2", 2)
    ]


def test_a_version_the_table_lacks_fails_the_call_and_keeps_the_run(events: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.track_data("data/events")
        nbtrack.log_metric("rows", 4)
        with pytest.raises(nbtrack.UsageError, match=r"has no version 9: it has 0\.\.3\.$"):
            nbtrack.track_data("data/events", version=9)
        nbtrack.log_metric("rows", 5)
    again = nbtrack.get_run(run.id)
    assert [d.digest for d in again.data] == ["delta:3"]
    assert again.status.value == "FINISHED"


def test_a_broken_log_fails_the_call_with_deltalakes_reason(events: Path) -> None:
    (events / "_delta_log" / f"{3:020d}.json").write_text("{not json\n")
    broken = r"^cannot read Delta table 'data/events'"
    with nbtrack.start_run() as run, pytest.raises(nbtrack.UsageError, match=broken):
        nbtrack.track_data("data/events")
    assert nbtrack.get_run(run.id).data == ()


def test_without_deltalake_the_ref_is_unresolved_and_the_run_goes_on(
    events: Path, project_root: Path, tmp_path: Path
) -> None:
    store = tmp_path / "child" / "runs.db"
    child = textwrap.dedent(
        """
        import sys, warnings
        sys.modules["deltalake"] = None  # as if nbtrack[delta] were not installed
        import nbtrack
        from nbtrack.data.refs import DataUnresolvedWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with nbtrack.start_run() as run:
                nbtrack.track_data("data/events", version=2)
                nbtrack.log_metric("loss", 0.5)
        print(run.id)
        for w in caught:
            print(w.category.__name__, w.message, sep=": ")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child],
        cwd=project_root,
        env={"NBTRACK_STORE": str(store), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    run_id, *warned = done.stdout.splitlines()
    assert warned == [
        "DataUnresolvedWarning: nbtrack: data 'data/events' recorded unresolved (as given, not"
        " pinned to a version): the deltalake package is not installed"
        " (pip install 'nbtrack[delta]')."
    ]
    from nbtrack.store import open_store

    with open_store(f"sqlite:///{store}") as reader:
        run = reader.get_run(run_id)
    assert [(d.path, d.kind, d.digest, d.resolved) for d in run.data] == [
        ("data/events", "delta", "", False)
    ]
    assert run.data[0].detail == {
        "reason": "the deltalake package is not installed (pip install 'nbtrack[delta]')",
        "version": "2",
    }
    assert run.status.value == "FINISHED"
    assert "loss" in {m.key for m in run.metrics}


def test_the_magic_pins_a_version_and_names_a_missing_one(ip: Any, events: Path) -> None:
    assert ip.run_cell("%track_data --version 2 data/events").error_in_exec is None
    run_id = current_run_id()
    result = ip.run_cell("%track_data --version 12 data/events")
    assert isinstance(result.error_in_exec, IPythonUsageError)
    assert "Delta table 'data/events' has no version 12: it has 0..3." in str(result.error_in_exec)
    data = stored(run_id).data
    assert [(d.path, d.kind, d.digest, d.detail["pinned"]) for d in data] == [
        ("data/events", "delta", "delta:2", True)
    ]
