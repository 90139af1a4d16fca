"""Hints for failures a clean run meets in other people's notebooks, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.notebooks import code, kernel, write_notebook

from .conftest import Invoke


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_notebook_using_the_kernel_object_is_told_to_use_the_kernel_engine(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "comm.ipynb",
        code("x = 1", count=1),
        code("session = get_ipython().kernel.session\nprint(type(session).__name__)", count=2),
        kernelspec=kernel("python3", "python", "Python 3"),
    )

    out = nbtrack_cli("smoke", "comm.ipynb")

    assert out.exit_code == 1, out.text
    assert "hint: the notebook uses get_ipython().kernel, which only a Jupyter kernel has" in (
        _one_line(out.stdout)
    )
    assert "nbtrack smoke --engine kernel" in _one_line(out.stdout)


@pytest.mark.kernel
@pytest.mark.slow
def test_the_engine_the_hint_suggests_runs_that_notebook(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "comm.ipynb",
        code("session = get_ipython().kernel.session\nprint(type(session).__name__)", count=1),
        kernelspec=kernel("python3", "python", "Python 3"),
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "comm.ipynb")

    assert out.exit_code == 0, out.text


def test_a_process_killed_by_its_own_cell_names_the_killing_line(project: Path) -> None:
    from nbtrack.smoke.options import SmokeOptions, project_smoke_config
    from nbtrack.smoke.runner import run_notebook

    path = write_notebook(
        project / "kill.ipynb",
        code("x = 1", count=1),
        code(
            "import os\nimport signal\n\nfor step in range(3):\n    x += step\n"
            "os.kill(os.getpid(), signal.SIGKILL)\nprint('never')",
            count=2,
        ),
        code("print('never either')", count=3),
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    failure = result.failure
    assert failure is not None
    assert (failure.ename, failure.cell, failure.line) == ("ProcessDied", 1, 6)
    assert failure.excerpt[-1] == (6, "os.kill(os.getpid(), signal.SIGKILL)")
