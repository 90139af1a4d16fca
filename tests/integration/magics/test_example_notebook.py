"""notebooks/train.ipynb: the example the docs and the demo run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.runs import params_of

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "notebooks" / "train.ipynb"


@pytest.mark.parametrize(
    "notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda path: path.name
)
def test_every_example_notebook_is_committed_without_outputs(notebook: Path) -> None:
    cells = json.loads(notebook.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert any(c["source"][0].startswith("%%track_params") for c in code)


@pytest.mark.kernel
@pytest.mark.slow
def test_the_example_trains_and_records_params_metrics_data_and_the_figure(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    executed = tmp_path / "executed.ipynb"
    done = nbtrack_subprocess(
        "run", str(EXAMPLE), "-f", str(ROOT / "notebooks" / "params.yaml"), "-p", "epochs=2",
        "-o", str(executed), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FINISHED
    params = params_of(run)
    assert params["epochs"] == (2, "cli")
    assert params["lr"] == (0.05, "file")
    assert params["batch_size"] == (64, "notebook")
    metrics = {m.key: m for m in run.metrics}
    assert set(metrics) == {"train_loss", "val_loss", "val_acc"}
    assert metrics["val_acc"].count == 2
    assert metrics["val_acc"].last > 0.8  # a real classifier, not a stub
    assert {d.kind for d in run.data} == {"file", "config"}
    # the data file in the repository, recorded relative to its root (not one under .venv/)
    (data,) = [d for d in run.data if d.kind == "file"]
    assert data.path == "notebooks/data/digits.csv.gz"
    assert {a.name for a in run.artifacts} == {"confusion_matrix.png", "executed/train.ipynb"}
    # relative to the project root (this repository), though run from elsewhere
    assert run.source.path == "notebooks/train.ipynb"
    # the kernel's own (inline) backend: the confusion matrix shows under its cell too
    outputs = [o for c in json.loads(executed.read_text())["cells"] for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs)
