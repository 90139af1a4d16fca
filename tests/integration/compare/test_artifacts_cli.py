"""``nbtrack artifacts ls`` and ``get`` as a user runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from tests.helpers.cli import Invoke
from tests.helpers.cli import nbtrack as run_nbtrack

DATA = bytes(range(256)) * 4096  # 1 MiB, not text


@pytest.fixture
def invoke(store_url: str) -> Invoke:
    return partial(run_nbtrack, env={"NBTRACK_STORE": store_url})


@pytest.fixture
def run_id(settings: Settings, tmp_path: Path) -> str:
    blob = tmp_path / "model.bin"
    blob.write_bytes(DATA)
    (tmp_path / "odd\u202ename.txt").write_text("text\n")
    with nbtrack.start_run(settings=settings) as run:
        nbtrack.log_artifact(blob)
        nbtrack.log_artifact(tmp_path / "odd\u202ename.txt")
    return run.id


def test_ls_lists_names_sizes_types_and_digests(invoke: Invoke, run_id: str) -> None:
    code, out, err = invoke("artifacts", "ls", run_id[:8])
    assert code == 0, err
    assert "model.bin" in out
    assert "1.0 MiB" in out
    assert "sha256:" + hashlib.sha256(DATA).hexdigest()[:12] in out
    assert "\u202e" not in out  # a bidi override in a name is shown escaped
    assert "odd<U+202E>name.txt" in out


def test_get_copies_the_bytes_and_refuses_to_overwrite_without_force(
    invoke: Invoke, run_id: str, project_root: Path
) -> None:
    code, _, err = invoke("artifacts", "get", run_id[:8], "model.bin", "-o", "out.bin")
    assert code == 0, err
    assert (project_root / "out.bin").read_bytes() == DATA
    assert "checked" in err
    (project_root / "out.bin").write_bytes(b"mine")
    code, _, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "out.bin")
    assert code == 2
    assert "out.bin exists; pass --force to overwrite it." in err
    assert (project_root / "out.bin").read_bytes() == b"mine"
    code, _, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "out.bin", "--force")
    assert code == 0, err
    assert (project_root / "out.bin").read_bytes() == DATA
    (project_root / "into").mkdir()
    code, _, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "into")
    assert code == 0, err
    assert (project_root / "into" / "model.bin").read_bytes() == DATA
    code, _, err = invoke("artifacts", "get", run_id, "model.bin")  # default: ./model.bin
    assert code == 0, err
    assert (project_root / "model.bin").read_bytes() == DATA


def test_get_to_stdout_writes_the_raw_bytes(
    store_url: str, run_id: str, project_root: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbtrack", "artifacts", "get", run_id, "model.bin", "-o", "-"],
        cwd=project_root,
        env={**os.environ, "NBTRACK_STORE": store_url},
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == DATA


def test_bad_input_is_one_sentence_and_exit_code_2(
    invoke: Invoke, run_id: str, project_root: Path
) -> None:
    code, _, err = invoke("artifacts", "get", "0123abcd", "model.bin", "-o", "x")
    assert code == 2
    assert "No run matches the id '0123abcd'" in err
    code, _, err = invoke("artifacts", "get", run_id, "model.pt", "-o", "x")
    assert code == 2
    assert "has no artifact 'model.pt'; it has " in err
    assert "'model.bin'" in err
    code, _, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "no/such/dir/x")
    assert code == 2
    assert "the folder no/such/dir does not exist" in err
    assert not (project_root / "x").exists()
    code, _, err = invoke("artifacts", "ls", "zz")
    assert code == 2
    assert "'zz'" in err


def test_damaged_bytes_in_the_store_are_refused_and_nothing_is_written(
    invoke: Invoke, run_id: str, project_root: Path
) -> None:
    path = nbtrack.artifact_path(run_id, "model.bin")
    path.chmod(0o644)
    path.write_bytes(DATA[:-1] + b"X")
    code, out, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "out.bin")
    assert code == 2
    assert "do not match its digest" in err
    assert not (project_root / "out.bin").exists()
    assert [p.name for p in project_root.iterdir() if p.name.startswith(".out.bin")] == []
    code, out, err = invoke("artifacts", "get", run_id, "model.bin", "-o", "-")
    assert code == 2
    assert out == ""


def test_every_command_and_option_has_help(invoke: Invoke) -> None:
    for args in (["artifacts"], ["artifacts", "ls"], ["artifacts", "get"]):
        code, out, _ = invoke(*args, "--help")
        assert code == 0
        assert "Usage:" in out
    _, out, _ = invoke("artifacts", "get", "--help")
    assert "--force" in out
    assert "Overwrite PATH" in out
    assert "-o, --output PATH" in out


def test_ls_of_a_run_without_artifacts_says_so(invoke: Invoke, settings: Settings) -> None:
    with nbtrack.start_run(settings=settings) as run:
        nbtrack.log_metric("loss", 1.0)
    code, out, err = invoke("artifacts", "ls", run.id)
    assert code == 0, err
    assert out == f"Run {run.id[:12]} has no artifacts.\n"
