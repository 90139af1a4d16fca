"""`nbtrack rm`, `restore`, `gc`, `rename`, `tag` and `note` as a user runs them.

SQLite and PostgreSQL; bad input is one sentence and exit code 2 with nothing changed.
"""

from __future__ import annotations

import json
import os
from functools import partial
from pathlib import Path

import pytest

from nbtrack.model import Artifact, Param, RunStatus
from nbtrack.store.base import Store
from tests.helpers.cli import Invoke, nbtrack

A, B, C = "a1" * 16, "b2" * 16, "c3" * 16


@pytest.fixture
def invoke(store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.chdir(project_root)
    return partial(nbtrack, env={"NBTRACK_STORE": store_url})


@pytest.fixture
def runs(store: Store) -> Store:
    """Three finished runs, a1.. (oldest), b2.., c3.., each with lr and acc."""
    for i, run_id in enumerate((A, B, C)):
        store.create_run(run_id=run_id, name=f"run-{i}", started_at=1000.0 + i)
        store.log_params(run_id, [Param("lr", 0.1 * (i + 1)), Param("seed", 7)])
        store.log_metrics(run_id, [("acc", 0.5 + i / 10, 0, 1000.0 + i)])
        store.end_run(run_id, RunStatus.FINISHED, 2000.0)
    return store


def listed(invoke: Invoke, *options: str) -> list[str]:
    code, out, err = invoke("runs", "--format", "json", *options)
    assert code == 0, err
    return [r["id"] for r in json.loads(out)]


def one_error(outcome: tuple[int, str, str]) -> str:
    code, out, err = outcome
    assert code == 2, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in out + err
    return lines[0]


def test_rm_hides_runs_says_how_to_undo_and_restore_brings_them_back(
    invoke: Invoke, runs: Store
) -> None:
    code, out, _ = invoke("rm", "b2b2", "c3")
    assert code == 0
    assert "Deleted run b2b2b2b2 (run-1).\nDeleted run c3c3c3c3 (run-2).\n" in out
    assert "Undo with: nbtrack restore b2b2b2b2 c3c3c3c3" in out
    assert listed(invoke) == [A]
    assert listed(invoke, "--deleted") == [C, B]
    table = invoke("runs", "--deleted")[1]
    assert "run-1" in table
    assert "deleted" in table.splitlines()[0]
    assert "run-0" not in table
    shown = invoke("show", "b2b2")[1]
    assert "deleted:  " in shown
    assert "nbtrack restore b2b2b2b2" in shown

    assert "already deleted" in invoke("rm", "b2b2")[1]
    code, out, _ = invoke("restore", "b2b2", "a1")
    assert code == 0
    assert "Restored run b2b2b2b2 (run-1)." in out
    assert "The run a1a1a1a1 (run-0) is not deleted; nothing to restore." in out
    assert listed(invoke) == [B, A]
    events = json.loads(invoke("show", "b2b2", "--format", "json")[1])["events"]
    assert [e["kind"] for e in events] == ["deleted", "restored"]


def test_rm_of_an_unknown_run_deletes_nothing(invoke: Invoke, runs: Store) -> None:
    line = one_error(invoke("rm", "b2b2", "ffff"))
    assert "No run matches the id 'ffff'" in line
    assert listed(invoke) == [C, B, A]


def test_rm_refuses_a_running_run_unless_forced(invoke: Invoke, store: Store) -> None:
    import time

    store.create_run(run_id=A, name="live", started_at=time.time())
    line = one_error(invoke("rm", "a1"))
    assert "Run a1a1a1a1 is still RUNNING" in line
    assert "--force" in line
    assert listed(invoke) == [A]
    assert invoke("rm", "a1", "--force")[0] == 0
    assert listed(invoke, "--deleted") == [A]
    assert "still RUNNING: a1a1a1a1 (--force purges them too)" in invoke("gc", "--yes")[1]
    assert listed(invoke, "--deleted") == [A]
    assert invoke("gc", "--yes", "--force")[0] == 0
    assert listed(invoke, "--deleted") == []


def add_file(store: Store, run_id: str, data: bytes, name: str, age: float = 7200) -> Artifact:
    digest, size, uri = store.put_artifact_bytes(data)
    artifact = Artifact(name, digest, size, "text/plain", uri, 1.0)
    store.add_artifact(run_id, artifact)
    old = os.stat(store.artifact_path(artifact)).st_mtime - age
    os.utime(store.artifact_path(artifact), (old, old))
    return artifact


def test_gc_purges_deleted_runs_and_only_the_files_no_live_run_uses(
    invoke: Invoke, runs: Store
) -> None:
    shared = add_file(runs, A, b"a model both runs logged", "model.pkl")
    add_file(runs, B, b"a model both runs logged", "model.pkl")
    own = add_file(runs, B, b"a plot only run-1 has", "plot.png")
    fresh = add_file(runs, B, b"written a minute ago", "new.txt", age=60)
    invoke("rm", "b2")

    code, out, _ = invoke("gc", "--dry-run")
    assert code == 0
    assert "Would purge 1 deleted run:\n  b2b2b2b2  deleted " in out
    assert "Would remove 1 artifact file (21 bytes) that no other run uses:" in out
    assert "plot.png" in out
    assert "model.pkl" not in out
    assert "Kept 1 file written in the last hour" in out
    assert "Dry run: nothing was removed." in out
    assert listed(invoke, "--deleted") == [B]

    line = one_error(invoke("gc"))  # no terminal to ask on
    assert "pass --yes" in line
    assert runs.artifact_path(own).exists()

    code, out, _ = invoke("gc", "--yes")
    assert code == 0
    assert "Purged 1 deleted run:" in out
    assert "Removed 1 artifact file (21 bytes)" in out
    assert listed(invoke, "--deleted") == []
    assert listed(invoke) == [C, A]
    assert not runs.artifact_path(own).exists()
    assert runs.artifact_path(shared).read_bytes() == b"a model both runs logged"
    assert runs.artifact_path(fresh).exists()
    assert one_error(invoke("show", "b2b2")).startswith("Error: No run matches the id 'b2b2'")
    code, out, _ = invoke("gc")
    assert code == 0
    assert out == "Nothing to collect: no deleted runs (`nbtrack rm RUN` deletes one).\n"


def test_rename_tag_and_note_change_the_run_and_show_tells_the_history(
    invoke: Invoke, runs: Store
) -> None:
    code, out, _ = invoke("rename", "a1", "baseline")
    assert (code, out) == (0, "Renamed run a1a1a1a1 from run-0 to baseline.\n")
    code, out, _ = invoke("tag", "a1", "team=vision", "api_token=s3cret", "empty=")
    assert code == 0
    assert "Tagged run a1a1a1a1 (baseline): set team=vision, api_token=***, empty=." in out
    assert invoke("tag", "a1", "--remove", "empty", "stage=dev")[0] == 0
    code, out, _ = invoke("note", "a1", "Tried a larger batch.\nLoss diverged at step 300.")
    assert (code, out) == (0, "Set the note of run a1a1a1a1 (baseline) (48 characters).\n")
    code, out, _ = invoke("note", "a1", "--append", "See postgresql://ana:pw@db/x")
    assert "Added to the note" in out

    data = json.loads(invoke("show", "a1", "--format", "json")[1])
    assert data["name"] == "baseline"
    assert data["tags"] == {"api_token": "***", "stage": "dev", "team": "vision"}
    assert data["note"] == (
        "Tried a larger batch.\nLoss diverged at step 300.\n\nSee postgresql://ana:***@db/x"
    )
    assert [e["kind"] for e in data["events"]] == ["renamed", "tagged", "tagged", "noted", "noted"]
    assert data["events"][0]["detail"] == {"from": "run-0", "to": "baseline"}
    text = invoke("show", "a1")[1]
    assert "Note\n  Tried a larger batch.\n  Loss diverged at step 300.\n" in text
    assert "s3cret" not in text

    code, out, _ = invoke("note", "a1", "-", input="from stdin\n")
    assert code == 0
    assert runs.get_run(A).note == "from stdin\n"
    assert runs.get_run(A).events[-1].detail["previous"].startswith("Tried a larger batch.")
    assert invoke("note", "a1", "--clear")[1] == "Cleared the note of run a1a1a1a1 (baseline).\n"
    assert runs.get_run(A).note is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("tag", "a1", "novalue"), "Cannot read the tag 'novalue': write it as key=value"),
        (("tag", "a1", "=v"), "tag names must be non-empty strings, not ''."),
        (("tag", "a1"), "Give a tag to set (key=value) or one to remove (--remove KEY)."),
        (("tag", "a1", "--remove", "nope"), "Run a1a1a1a1 has no tag 'nope' to remove"),
        (("tag", "a1", "k=v", "--remove", "k"), "The tag 'k' is both set and removed"),
        (("rename", "a1", ""), "A run name cannot be empty ('')"),
        (("rename", "a1", "   "), "A run name cannot be empty"),
        (("rename", "zz", "x"), "No run matches the id 'zz'"),
        (("note", "a1"), "Give the note's TEXT (or - to read it from stdin), or --clear."),
        (("note", "a1", " "), "A note cannot be empty"),
        (("note", "a1", "x", "--clear"), "Give the note's TEXT"),
        (("restore", "0000"), "No run matches the id '0000'"),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(
    invoke: Invoke, runs: Store, args: tuple[str, ...], expected: str
) -> None:
    before = runs.get_run(A)
    assert expected in one_error(invoke(*args))
    after = runs.get_run(A)
    assert (after.name, after.tags, after.note, after.events) == (
        before.name,
        before.tags,
        before.note,
        before.events,
    )


def test_hostile_names_and_notes_are_printed_inert(invoke: Invoke, runs: Store) -> None:
    evil = "x\x1b[2J\x1b]0;owned\x07\nFAKE LINE\u202e"
    code, out, _ = invoke("rename", "a1", evil)
    assert code == 0
    assert invoke("note", "a1", evil)[0] == 0
    assert invoke("tag", "a1", f"k={evil}")[0] == 0
    for output in (out, invoke("show", "a1")[1], invoke("rm", "a1")[1]):
        assert "\x1b" not in output
        assert "\u202e" not in output
        assert "\x07" not in output
        assert "\nFAKE LINE" not in output
        assert "\\x1b[2J" in output


def test_runs_columns_picks_the_columns_and_a_bad_namespace_is_exit_2(
    invoke: Invoke, runs: Store
) -> None:
    runs.set_tags(B, {"team": "vision"})
    code, out, err = invoke("runs", "--columns", "tags.team,metrics.acc", "-c", "params.seed")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split()[6:] == ["tags.team", "metrics.acc", "params.seed"]
    assert lines[2].split()[-3:] == ["vision", "0.6", "7"]

    code, out, err = invoke("runs", "--columns", "params.nope", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0].endswith(",duration,params.nope")
    assert err == "Warning: no listed run has params.nope; its column is empty.\n"

    line = one_error(invoke("runs", "--columns", "status,params.lr"))
    assert "Cannot show the column 'status': name it params.KEY, metrics.KEY or tags.KEY" in line


def test_runs_default_param_columns_are_the_ones_that_vary(invoke: Invoke, runs: Store) -> None:
    header = invoke("runs")[1].splitlines()[0].split()
    assert "params.lr" in header
    assert "params.seed" not in header  # 7 in every run
    invoke("rm", "a1")
    assert listed(invoke, "--deleted", "--where", "params.lr < 0.15") == [A]
    assert listed(invoke, "--where", "params.lr < 0.15") == []
    assert invoke("runs", "--deleted", "--where", "params.lr > 5")[1] == (
        "No deleted runs matching --where 'params.lr > 5'.\n"
    )


def test_compare_where_leaves_deleted_runs_out_but_compares_one_named_by_id(
    invoke: Invoke, runs: Store
) -> None:
    invoke("rm", "b2")
    code, out, err = invoke("compare", "--where", "params.seed = 7", "--format", "json")
    assert code == 0, err
    assert B not in out
    assert A in out
    assert C in out
    code, out, err = invoke("compare", "a1", "b2", "--format", "json")
    assert code == 0, err
    assert B in out


@pytest.mark.parametrize(("answer", "purged"), [("y", True), ("n", False)])
def test_gc_on_a_terminal_asks_before_removing(
    store_url: str, project_root: Path, runs: Store, answer: str, purged: bool
) -> None:
    import pty
    import subprocess
    import sys

    runs.delete_run(B, at=1.0)
    leader, follower = pty.openpty()  # stdin is a terminal: gc may ask
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "nbtrack", "gc"],
            cwd=project_root,
            env={**os.environ, "NBTRACK_STORE": store_url},
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(leader, f"{answer}\n".encode())
        out, err = process.communicate(timeout=120)
    finally:
        os.close(leader)
        os.close(follower)
    assert "Would purge 1 deleted run:" in out
    assert "Remove them for good? [y/N]" in out
    assert process.returncode == (0 if purged else 1), err
    assert ("Purged 1 deleted run:" in out) is purged
    remaining = [r.id for r in runs.list_runs(deleted="all")]
    assert (B not in remaining) is purged
