"""``nbtrack import tensorboard LOGDIR``: what the user sees, and the exit codes."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from tensorboardX import SummaryWriter

from nbtrack.store import open_store
from tests.helpers.cli import Invoke
from tests.helpers.cli import nbtrack as run_nbtrack


@pytest.fixture
def invoke(sqlite_url: str) -> Invoke:
    return partial(run_nbtrack, env={"NBTRACK_STORE": sqlite_url})


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    for name, epochs in (("lr_0.1", 12), ("lr_0.01", 8)):
        with SummaryWriter(str(root / name)) as writer:
            for epoch in range(epochs):
                writer.add_scalar("loss", 1 / (epoch + 1), epoch)
            writer.add_text("notes", f"{name} done", epochs - 1)
    return root


def test_import_prints_a_row_per_run_and_a_summary_then_nothing_new(
    invoke: Invoke, logdir: Path, sqlite_url: str
) -> None:
    code, out, err = invoke("import", "tensorboard", str(logdir))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["run", "name", "id", "imported"]
    assert lines[1].split()[:2] == ["created", "lr_0.01"]
    assert lines[1].endswith("8 points, 1 text")
    assert lines[2].split()[:2] == ["created", "lr_0.1"]
    assert lines[-1] == (
        f"2 run folders in {logdir}: 2 created, 0 updated, 0 unchanged; 20 points."
    )
    with open_store(sqlite_url) as store:
        ids = {r.name: r.id for r in store.list_runs()}
    assert ids["lr_0.1"][:12] in lines[2]

    code, out, err = invoke("import", "tensorboard", str(logdir))
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()[1:3]] == ["unchanged", "unchanged"]
    assert out.splitlines()[-1].endswith("0 created, 0 updated, 2 unchanged; 0 points.")


def test_dry_run_says_what_would_be_imported_and_writes_nothing(
    invoke: Invoke, logdir: Path, sqlite_url: str
) -> None:
    code, out, _ = invoke(
        "import", "tensorboard", "--dry-run", "--name-prefix", "sweep/", str(logdir)
    )
    assert code == 0
    assert "would be created  sweep/lr_0.1" in out
    assert out.splitlines()[-1].startswith("Dry run, nothing written: 2 run folders")
    with open_store(sqlite_url) as store:
        assert store.list_runs() == []


def test_a_truncated_file_is_one_warning_line_and_the_import_succeeds(
    invoke: Invoke, logdir: Path
) -> None:
    (path,) = (logdir / "lr_0.1").iterdir()
    path.write_bytes(path.read_bytes()[:-5])
    code, out, err = invoke("import", "tensorboard", str(logdir))
    assert code == 0
    (line,) = err.splitlines()
    assert line.startswith(f"Warning: {path}: ends in a partial record at byte ")
    assert "2 created" in out


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("missing", "Error: The log folder {path} does not exist."),
        ("file.txt", "Error: {path} is a file, not a log folder; give the folder that holds"),
        ("empty", "Error: No TensorBoard event files (names containing 'tfevents') under {path}."),
    ],
)
def test_a_bad_logdir_is_one_line_and_exit_code_2(
    invoke: Invoke, tmp_path: Path, name: str, expected: str
) -> None:
    (tmp_path / "file.txt").write_text("not a log folder")
    (tmp_path / "empty").mkdir()
    path = tmp_path / name
    code, out, err = invoke("import", "tensorboard", str(path))
    assert (code, out) == (2, "")
    (line,) = err.splitlines()
    assert line.startswith(expected.format(path=path))


def test_help_names_the_options(invoke: Invoke) -> None:
    code, out, _ = invoke("import", "tensorboard", "--help")
    assert code == 0
    assert "--name-prefix TEXT" in out
    assert "--dry-run" in out
    assert "each run folder in LOGDIR becomes one run" in out
