"""notebooks/tensorboard_confusion.ipynb: the seed example, logging through ``SummaryWriter``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.runs import params_of
from tests.helpers.tensorboard_read import load, scalars

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "notebooks" / "tensorboard_confusion.ipynb"


def test_the_example_takes_epochs_and_log_dir_in_its_parameters_cell() -> None:
    # committed without outputs: test_example_notebook checks every notebook of notebooks/
    cells = json.loads(EXAMPLE.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    (params,) = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    text = "".join(params["source"])
    assert text.startswith("%%track_params")
    assert "\nepochs = " in text  # demo.sh smokes notebooks/ with -p epochs=1
    assert "\nlog_dir = " in text


@pytest.mark.kernel
@pytest.mark.slow
def test_the_example_logs_accuracy_and_a_confusion_matrix_per_epoch_to_run_and_event_files(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    log_dir = tmp_path / "tb"
    done = nbtrack_subprocess(
        "run", str(EXAMPLE), "-p", "epochs=2", "-p", f"log_dir={log_dir}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FINISHED
    assert params_of(run)["epochs"] == (2, "cli")
    metrics = {m.key: m for m in run.metrics}
    assert (metrics["val/acc"].count, metrics["val/acc"].last_step) == (2, 2)
    assert metrics["val/acc"].last > 0.8  # a real classifier, not a stub
    assert metrics["hparam/val_acc"].last == metrics["val/acc"].last
    figures = sorted(a.step for a in run.artifacts if a.name == "confusion_matrix.png")
    assert figures == [1, 2]

    (folder,) = log_dir.iterdir()
    assert folder.name == f"confusion_{run.id[:8]}"
    assert [step for step, _, _ in scalars(folder, "val/acc")] == [1, 2]
    assert [image.step for image in load(folder).Images("confusion_matrix")] == [1, 2]


@pytest.mark.slow
def test_the_example_passes_smoke_with_one_epoch(tmp_path: Path, store_file: Path) -> None:
    done = nbtrack_subprocess(
        "smoke", str(EXAMPLE), "-p", "epochs=1", "-p", f"log_dir={tmp_path / 'tb'}", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED" in done.stdout
    assert len(list((tmp_path / "tb").iterdir())) == 1
