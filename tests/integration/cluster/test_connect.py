"""``--dask ADDRESS`` that cannot be used: one sentence naming the address, exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.dask import dask_cluster, free_port
from tests.helpers.notebooks import code, write_notebook

pytestmark = pytest.mark.dask


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    write_notebook(root / "ok.ipynb", code("x = 1", count=1))
    return root


def test_when_no_scheduler_listens_the_error_names_the_address(project: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"

    done = nbtrack_subprocess(
        "smoke", "ok.ipynb", "--dask", address, cwd=project, env={"NBTRACK_DASK_TIMEOUT": "2"}
    )

    assert done.returncode == 2, done.stderr
    assert f"Error: No Dask scheduler answered at {address} within 2 s" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_address_that_is_not_one_is_refused_in_one_sentence(project: Path) -> None:
    done = nbtrack_subprocess("smoke", "ok.ipynb", "--dask", "bogus://nowhere:1", cwd=project)

    assert done.returncode == 2, done.stderr
    assert "bogus://nowhere:1" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_scheduler_without_workers_is_one_sentence_with_the_fix(project: Path) -> None:
    with dask_cluster(start_workers=False) as empty:
        done = nbtrack_subprocess(
            "smoke",
            "ok.ipynb",
            "--dask",
            empty.address,
            cwd=project,
            env={"NBTRACK_DASK_TIMEOUT": "2"},
        )

    assert done.returncode == 2, done.stderr
    assert f"The Dask scheduler at {empty.address} has no workers" in done.stderr
    assert f"dask worker {empty.address}" in done.stderr


def test_a_bad_timeout_setting_names_the_variable(project: Path) -> None:
    done = nbtrack_subprocess(
        "smoke",
        "ok.ipynb",
        "--dask",
        "tcp://127.0.0.1:1",
        cwd=project,
        env={"NBTRACK_DASK_TIMEOUT": "soon"},
    )

    assert done.returncode == 2
    assert "NBTRACK_DASK_TIMEOUT='soon' must be a positive number of seconds" in done.stderr


def test_a_worker_with_another_nbtrack_version_is_named(project: Path, tmp_path: Path) -> None:
    from nbtrack._version import __version__

    # a distribution's metadata found first on the worker's path: it reports another version
    fake = tmp_path / "fake-site" / "nbtrack-9.9.9.dist-info"
    fake.mkdir(parents=True)
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: nbtrack\nVersion: 9.9.9\n")
    path = os.pathsep.join(p for p in (str(fake.parent), os.environ.get("PYTHONPATH")) if p)
    with dask_cluster(1, worker_env={"PYTHONPATH": path}) as other:
        done = nbtrack_subprocess("smoke", "ok.ipynb", "--dask", other.address, cwd=project)

    assert done.returncode == 2, done.stderr
    assert f"of {other.address} runs nbtrack 9.9.9, this client {__version__}" in done.stderr
    assert "Dask worker tcp://127.0.0.1:" in done.stderr
