"""notebooks/pipeline/: prepare.ipynb then train.ipynb, run for real, linked by content.

The pair ``make demo`` runs: the first logs the prepared table as an artifact,
the second ``%track_data``s that file and logs a model; ``nbtrack lineage``
and ``nbtrack why`` then name the runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtrack.model import RunStatus
from nbtrack.store import open_store
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.shell import forget_notebook_clues

ROOT = Path(__file__).resolve().parents[3]
PIPELINE = ROOT / "notebooks" / "pipeline"


@pytest.mark.parametrize("name", ["prepare.ipynb", "train.ipynb"])
def test_each_is_committed_without_outputs_and_takes_its_paths_as_parameters(name: str) -> None:
    cells = json.loads((PIPELINE / name).read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    (params,) = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    text = "".join(params["source"])
    assert text.startswith("%%track_params")
    # the tests (and a user) point the files anywhere: nothing lands in the repository
    wanted = {"prepare.ipynb": ["out_dir"], "train.ipynb": ["data_file", "model_dir", "epochs"]}
    assert all(f"\n{key} = " in text for key in wanted[name])


@pytest.mark.kernel
@pytest.mark.slow
def test_the_pipeline_runs_and_its_runs_link_by_the_prepared_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(store))
    forget_notebook_clues(monkeypatch)
    prepared, models = tmp_path / "prepared", tmp_path / "models"

    first = nbtrack_subprocess(
        "run", str(PIPELINE / "prepare.ipynb"), "-p", f"out_dir={prepared}", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    second = nbtrack_subprocess(
        "run", str(PIPELINE / "train.ipynb"), "-p", "epochs=2",
        "-p", f"data_file={prepared / 'digits.csv'}", "-p", f"model_dir={models}", cwd=tmp_path,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    prepare_id, train_id = first.stdout.strip(), second.stdout.strip()

    with open_store(f"sqlite:///{store}") as opened:
        train = opened.get_run(train_id)
        prepare = opened.get_run(prepare_id)
    assert train.status is RunStatus.FINISHED
    assert {m.key: m.count for m in train.metrics} == {"val_loss": 2, "val_acc": 2}
    assert next(m.last for m in train.metrics if m.key == "val_acc") > 0.8  # a real classifier
    (raw,) = [d for d in prepare.data if d.kind == "file"]
    assert raw.path == "notebooks/data/digits.csv.gz"
    (table,) = [a for a in prepare.artifacts if a.name == "digits.csv"]
    (read,) = [d for d in train.data if d.kind == "file"]
    assert read.digest == table.digest

    lineage = nbtrack_subprocess("lineage", train_id[:8], "--format", "json", cwd=tmp_path)
    graph = json.loads(lineage.stdout)
    runs = {n["run_id"]: n["depth"] for n in graph["nodes"] if n["type"] == "run"}
    assert runs == {prepare_id: -1, train_id: 0}
    why = nbtrack_subprocess("why", str(models / "model.pkl"), cwd=tmp_path)
    assert why.returncode == 0, why.stderr
    assert f"run {train_id[:8]}" in why.stdout
    assert f"made by run {prepare_id[:8]}" in why.stdout
