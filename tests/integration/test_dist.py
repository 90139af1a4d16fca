"""The built wheel installs into a fresh virtual environment and works there.

What ``make dist`` builds is what a user installs into their own project
(README, "Install"), so the wheel is built from this checkout and installed
into a new venv, and its ``nbtrack`` command runs outside the checkout: it
must carry every module, the store's migrations and the entry points.

The new venv installs only the wheel, offline (``--no-deps --no-index``); its
dependencies (SQLAlchemy, IPython, ...) are lent by the test's own
environment through a path file, because fetching them again would make
this test need a package index and minutes. The checkout itself is not on
the new venv's path, which the test checks.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


@pytest.mark.slow
def test_the_built_wheel_installs_into_a_fresh_venv_and_its_command_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run(
        sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, REPO, cwd=REPO
    )
    (wheel,) = dist.glob("nbtrack-*-py3-none-any.whl")

    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    purelib = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).stdout.strip()
    )
    # the dependencies, lent; a plain path line, so the checkout's editable .pth is not read
    (purelib / "zz_lent_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    project = tmp_path / "project"
    project.mkdir()
    where = _run(python, "-c", "import nbtrack; print(nbtrack.__file__)", cwd=project).stdout
    assert Path(where.strip()).is_relative_to(fresh), where

    command = fresh / "bin" / "nbtrack"
    version = _run(command, "--version", cwd=project).stdout
    from nbtrack import __version__

    assert version.strip().endswith(__version__)
    assert "smoke" in _run(command, "--help", cwd=project).stdout
    # the store's migrations travel in the wheel: a first run creates the store
    script = (
        "import nbtrack\n"
        "with nbtrack.start_run(name='from-the-wheel'):\n"
        "    nbtrack.log_metric('m', 1.0)\n"
    )
    _run(python, "-c", script, cwd=project)
    assert "from-the-wheel" in _run(command, "runs", cwd=project).stdout
    # so does the report's template (package data, not a module)
    _run(command, "report", "--where", "name = 'from-the-wheel'", "-o", "r.html", cwd=project)
    assert '<td class="name">from-the-wheel</td>' in (project / "r.html").read_text()
    # and the web UI's templates, static files and the vendored uPlot with its licence
    serve = (
        "from starlette.testclient import TestClient\n"
        "from nbtrack.ui.app import create_app\n"
        "from nbtrack.ui.config import UiConfig\n"
        "with TestClient(create_app(UiConfig())) as client:\n"
        "    page = client.get('/')\n"
        "    assert page.status_code == 200 and 'nbtrack' in page.text, page.status_code\n"
        "    for path in ('uPlot.iife.min.js', 'LICENSE'):\n"
        "        got = client.get('/static/vendor/uplot/' + path)\n"
        "        assert got.status_code == 200 and len(got.content) > 1000, path\n"
        "print('served')\n"
    )
    assert "served" in _run(python, "-c", serve, cwd=project).stdout
