"""--engine kernel: the notebook's own kernelspec through nbclient, executed notebooks kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.notebooks import code, kernel, write_notebook

from .conftest import Invoke

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def test_kernel_engine_runs_injects_and_writes_the_executed_notebook(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "nbs" / "k.ipynb",
        code("n = 10", count=1, tags=["parameters"]),
        code("print('n is', n)", count=2),
        code("1 / 0", count=3, tags=["raises-exception"]),
        code("raise RuntimeError('skipped')", count=4, tags=["nbtrack:skip"]),
        kernelspec=kernel("python3", "python", "Py"),
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "--output-dir", "executed", "nbs", "-p", "n=3")

    assert out.exit_code == 0, out.text
    executed = json.loads((project / "executed" / "nbs" / "k.ipynb").read_text())
    printed = "".join(executed["cells"][2]["outputs"][0]["text"])
    assert printed == "n is 3\n"
    assert executed["cells"][1]["metadata"]["tags"] == ["injected-parameters"]
    assert executed["cells"][4]["metadata"]["tags"] == ["nbtrack:skip"]


def test_kernel_engine_failure_names_cell_line_and_hint(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        project / "k.ipynb", code("a = 1", count=1), code("b = a\nc = gone_name", count=5)
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "k.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert (
        "FAILED k.ipynb cell 2 (In [5]), line 2: NameError: name 'gone_name' is not defined" in text
    )
    assert "no cell of this notebook defines 'gone_name' any more" in text


def test_kernel_engine_skips_a_kernel_that_is_not_installed(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "r.ipynb", "x <- 1", kernelspec=kernel("nbtrack-no-such-kernel"))

    out = nbtrack_cli("smoke", "--engine", "kernel", "r.ipynb")

    assert out.exit_code == 0, out.text
    assert (
        "SKIPPED r.ipynb  its kernel 'nbtrack-no-such-kernel' is not installed here" in out.stdout
    )


def test_kernel_engine_runs_a_python_notebook_whose_kernel_name_is_unknown_here_in_python3(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "p.ipynb",
        "import sys\nprint(sys.executable)",
        "x = 1",
        kernelspec=kernel("conda-env-nbtrack-nowhere-py", "python", "Python (somebody's env)"),
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "p.ipynb")

    assert out.exit_code == 0, out.text
    assert out.stdout.splitlines()[0] == (
        "PASSED p.ipynb  ran in the kernel 'python3': the notebook's kernel "
        "'conda-env-nbtrack-nowhere-py' is not installed here"
    )


def test_output_dir_needs_the_kernel_engine(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "a.ipynb", "x = 1")

    out = nbtrack_cli("smoke", "--output-dir", "x", "a.ipynb")

    assert out.exit_code == 2
    assert out.stderr.strip() == (
        "Error: --output-dir writes executed notebooks, so it needs --engine kernel."
    )


def test_kernel_engine_names_the_line_inside_a_timed_cell(project: Path) -> None:
    from nbtrack.smoke.options import SmokeOptions, project_smoke_config
    from nbtrack.smoke.runner import run_notebook

    path = write_notebook(
        project / "t.ipynb", code("x = 1", count=1), code("%%time\ny = x\nz = y / 0", count=2)
    )

    result = run_notebook(path, SmokeOptions(engine="kernel"), project_smoke_config(project))

    assert result.failure is not None
    assert (result.failure.cell, result.failure.line) == (1, 3)
    assert result.failure.excerpt[-1] == (3, "z = y / 0")


@pytest.mark.parametrize(
    ("ending", "how"),
    [("import sys\nsys.exit(0)", "SystemExit: 0"), ("exit()", "exit()")],
)
def test_kernel_engine_a_notebook_that_ends_itself_early_passes_with_a_warning(
    project: Path, nbtrack_cli: Invoke, ending: str, how: str
) -> None:
    write_notebook(
        project / "early.ipynb",
        code("x = 1"),
        code(ending),
        code("raise RuntimeError('not reached')"),
        code("y = 2"),
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "early.ipynb")
    failed = nbtrack_cli("smoke", "--engine", "kernel", "--strict", "early.ipynb")

    assert out.exit_code == 0, out.text
    assert f"  warning: cell 2 ended the notebook with {how}; cells 3, 4 never ran" in out.stdout
    assert failed.exit_code == 1, failed.text
