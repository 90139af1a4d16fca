"""``nbtrack smoke --dask``: the notebooks run on a real cluster's workers, reported as locally."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.dask import DaskCluster
from tests.helpers.notebooks import code, kernel, write_notebook

pytestmark = pytest.mark.dask


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Four notebooks: two pass, one fails in its third cell, one is not Python (skipped)."""
    root = tmp_path / "proj"
    (root / "notebooks" / "sub").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    nbs = root / "notebooks"
    write_notebook(nbs / "a_ok.ipynb", code("import os\nprint(os.getpid())", count=1))
    write_notebook(
        nbs / "b_fails.ipynb",
        code("x = 1", count=1),
        code("y = x + 1", count=2),
        code("raise ValueError('bad value ' + str(y))", count=3),
    )
    write_notebook(
        nbs / "sub" / "c_ok.ipynb",
        code("from pathlib import Path", count=1),
        code("assert Path.cwd().name == 'sub', Path.cwd()", count=2),
    )
    write_notebook(nbs / "d_r.ipynb", code("x <- 1", count=1), kernelspec=kernel("ir", "R"))
    return root


def _verdicts(report: dict[str, object]) -> list[tuple[object, ...]]:
    results = report["results"]
    assert isinstance(results, list)
    return [
        (
            r["notebook"],
            r["status"],
            (r["failure"] or {}).get("cell_index"),
            (r["failure"] or {}).get("ename"),
        )
        for r in results
    ]


def test_smoke_on_the_cluster_gives_the_local_verdicts_in_input_order(
    project: Path, cluster: DaskCluster
) -> None:
    local = nbtrack_subprocess("smoke", "notebooks", "--json", "-", cwd=project)
    remote = nbtrack_subprocess(
        "smoke",
        "notebooks",
        "--dask",
        cluster.address,
        "--json",
        "-",
        "--junit-xml",
        "out/junit.xml",
        cwd=project,
    )

    assert local.returncode == 1, local.stderr
    assert remote.returncode == 1, remote.stderr + cluster.logs()
    here, there = json.loads(local.stdout), json.loads(remote.stdout)
    assert _verdicts(there) == _verdicts(here)
    assert [v[:2] for v in _verdicts(there)] == [
        ("notebooks/a_ok.ipynb", "passed"),
        ("notebooks/b_fails.ipynb", "failed"),
        ("notebooks/d_r.ipynb", "skipped"),
        ("notebooks/sub/c_ok.ipynb", "passed"),
    ]
    failed = there["results"][1]
    assert failed["failure"]["evalue"] == "bad value 2"
    assert "cell 3" in remote.stderr or "cell 3" in json.dumps(failed)
    cases = ElementTree.parse(project / "out" / "junit.xml").getroot().iter("testcase")
    failed_cases = [case.get("name") for case in cases if case.find("failure") is not None]
    assert failed_cases == ["notebooks/b_fails.ipynb"]


def test_the_terminal_report_reads_as_a_local_one(project: Path, cluster: DaskCluster) -> None:
    remote = nbtrack_subprocess(
        "smoke", "notebooks/b_fails.ipynb", "--dask", cluster.address, cwd=project
    )

    assert remote.returncode == 1, remote.stderr + cluster.logs()
    first = remote.stdout.splitlines()[0]
    assert first.startswith("FAILED notebooks/b_fails.ipynb  cell 3 (In [3])"), remote.stdout
    assert "ValueError: bad value 2" in first
    assert "1 failed" in remote.stdout


def test_a_notebook_a_worker_cannot_see_fails_naming_the_worker_and_path(
    project: Path, cluster: DaskCluster
) -> None:
    from nbtrack.smoke.distributed import run_on_cluster
    from nbtrack.smoke.options import SmokeOptions, project_smoke_config
    from nbtrack.smoke.plan import plan_paths

    gone = project / "notebooks" / "a_ok.ipynb"
    config = project_smoke_config(project)
    plans = plan_paths([gone], SmokeOptions(), config)
    gone.unlink()  # planned here, missing where the worker looks

    (result,) = run_on_cluster(plans, SmokeOptions(), config, cluster.address)

    assert result.status == "failed"
    assert result.notebook == gone
    assert result.reason is not None
    assert f"cannot see {gone}" in result.reason
    assert "the Dask worker tcp://127.0.0.1:" in result.reason
    assert "shared volume or the same image" in result.reason
