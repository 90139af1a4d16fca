"""``nbtrack why`` and ``nbtrack lineage`` as a user runs them: output, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtrack.model import Param, ParamSource
from nbtrack.store.base import Store
from tests.helpers.cli import nbtrack
from tests.helpers.lineage import make_run, sha


@pytest.fixture
def pipeline(store: Store, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """prepare -> train -> eval, and the model file on disk under another name."""
    monkeypatch.chdir(project_root)
    ids = {
        "prepare": make_run(store, "prepare", reads=[("raw.csv", b"raw")], makes={"p.csv": b"p"}),
        "train": make_run(store, "train", reads=[("p.csv", b"p")], makes={"model.pkl": b"W"}),
    }
    store.log_params(ids["train"], [Param("lr", 0.01, ParamSource.CODE)])
    ids["eval"] = make_run(store, "eval", reads=[("model.pkl", b"W")])
    (project_root / "renamed-model.bin").write_bytes(b"W")
    (project_root / "raw.csv").write_bytes(b"raw")
    return ids


def test_why_names_the_run_that_made_the_file_its_params_and_inputs(
    pipeline: dict[str, str],
) -> None:
    code, out, err = nbtrack("why", "renamed-model.bin")

    assert code == 0, err
    assert out.splitlines()[0] == f"renamed-model.bin  {sha(b'W')[:19]}"
    made = out.split("read by")[0]
    assert f"run {pipeline['train'][:8]}  train  FINISHED" in made
    assert "logged it as artifact model.pkl" in made
    assert "params:    lr=0.01" in made
    assert (
        f"inputs:    p.csv  {sha(b'p')[:19]}  (file)"
        f"  made by run {pipeline['prepare'][:8]} (prepare)" in made
    )
    assert f"run {pipeline['eval'][:8]}  eval" in out.split("read by")[1]


def test_why_json_lists_makers_and_readers(pipeline: dict[str, str]) -> None:
    code, out, _ = nbtrack("why", "renamed-model.bin", "--format", "json")

    document = json.loads(out)
    assert code == 0
    assert document["digest"] == sha(b"W")
    assert [r["run_id"] for r in document["made_by"]] == [pipeline["train"]]
    assert document["made_by"][0]["params"] == {"lr": 0.01}
    assert document["made_by"][0]["inputs"][0]["made_by_run"] == pipeline["prepare"]
    assert [r["run_id"] for r in document["read_by"]] == [pipeline["eval"]]


def test_why_of_data_no_run_made_names_the_runs_that_read_it(pipeline: dict[str, str]) -> None:
    code, out, _ = nbtrack("why", "raw.csv")
    assert code == 0
    assert "made by" not in out.splitlines()[1]
    assert f"run {pipeline['prepare'][:8]}  prepare" in out


def test_why_of_unknown_content_exits_1_naming_path_and_digest(
    pipeline: dict[str, str], project_root: Path
) -> None:
    (project_root / "new.txt").write_bytes(b"never logged")
    code, out, err = nbtrack("why", "new.txt")
    assert (code, out) == (1, "")
    assert (
        err
        == f"No run of this store made or read 'new.txt' (content {sha(b'never logged')[:19]}).\n"
    )


def test_why_of_a_missing_path_is_a_usage_error(pipeline: dict[str, str]) -> None:
    code, _, err = nbtrack("why", "no/such/file")
    assert code == 2
    assert err == "Error: cannot look up 'no/such/file': no such file or directory.\n"


def test_lineage_text_json_and_dot(pipeline: dict[str, str]) -> None:
    train = pipeline["train"][:6]
    code, text, _ = nbtrack("lineage", train)
    assert code == 0
    assert "made by run" in text
    assert "read by run" in text

    code, out, _ = nbtrack("lineage", train, "--up", "--format", "json")
    document = json.loads(out)
    assert document["direction"] == "up"
    assert {n.get("name") for n in document["nodes"] if n["type"] == "run"} == {"prepare", "train"}

    code, dot, _ = nbtrack("lineage", train, "--down", "--depth", "1", "--format", "dot")
    assert dot.startswith("digraph lineage {")
    assert f'"run:{pipeline["eval"]}"' in dot
    assert f'"run:{pipeline["prepare"]}"' not in dot


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lineage", "ffffffff"], "ffffffff"),
        (["lineage", "x", "--depth", "0"], "--depth"),
        (["lineage", "x", "--format", "png"], "--format"),
    ],
)
def test_lineage_bad_input_exits_2_naming_it(
    pipeline: dict[str, str], args: list[str], message: str
) -> None:
    code, _, err = nbtrack(*args)
    assert code == 2
    assert message in err


def test_why_imports_no_dataframe_or_plotting_library(
    pipeline: dict[str, str], project_root: Path
) -> None:
    probe = (
        "import json, sys\n"
        "from nbtrack.cli import cli\n"
        "try:\n    cli.main(args=['why', 'renamed-model.bin'], prog_name='nbtrack')\n"
        "except SystemExit:\n    pass\n"
        "heavy = {'pandas', 'numpy', 'matplotlib', 'nbformat', 'IPython'}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy)),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=project_root, capture_output=True, text=True, check=True
    )
    assert "logged it as artifact model.pkl" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []
