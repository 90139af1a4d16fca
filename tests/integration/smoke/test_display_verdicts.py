"""The script engine builds a cell's displayed result as a kernel does, and fails where it fails.

A kernel computes the display data of a cell's last expression (every MIME
type IPython's formatters know) and, since ipykernel 7, fails the cell when a
formatter raised; ``display()`` outside the result only shows the traceback.
The script engine must agree: each case below runs in a real kernel (through
nbclient, as ``jupyter execute`` does) and in ``nbtrack smoke``, side by side.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nbtrack.smoke.options import SmokeOptions, project_smoke_config
from nbtrack.smoke.runner import run_notebook
from tests.helpers.notebooks import PYTHON3, code, notebook, write, write_notebook

from .conftest import Invoke

IMAGE = "from IPython.display import Image, display\n"

#: name -> (cell source, does a kernel fail it?)
CASES = {
    "missing image as the result": (IMAGE + "Image('missing.png')", True),
    "result whose _repr_html_ raises": (
        "class Table:\n    def _repr_html_(self):\n        return 1 / 0\n\nTable()",
        True,
    ),
    "result whose __repr__ raises": (
        "class Broken:\n    def __repr__(self):\n        raise ValueError('no repr')\n\nBroken()",
        True,
    ),
    "result hidden by a semicolon": (IMAGE + "Image('missing.png');", False),
    "display() of a missing image": (IMAGE + "display(Image('missing.png'))\nx = 1", False),
    "_repr_html_ not implemented": (
        "class Lazy:\n    def _repr_html_(self):\n        raise NotImplementedError\n\nLazy()",
        False,
    ),
    "result displayed fine": (IMAGE + "Image(b'not really a png', format='png')", False),
}


def _kernel_fails(source: str, tmp_path: Path) -> bool:
    """Whether nbclient (``jupyter execute``) fails a notebook made of *source*."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.reads(json.dumps(notebook(code(source), kernelspec=PYTHON3)), as_version=4)
    client = NotebookClient(nb, timeout=60, resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError:
        return True
    return False


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_the_script_engine_fails_a_display_exactly_when_a_kernel_does(
    case: str, project: Path
) -> None:
    source, expected = CASES[case]
    path = write(project / "nb.ipynb", notebook(code(source, count=1)))

    kernel = _kernel_fails(source, project)
    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert kernel is expected, f"the kernel's verdict changed for {case!r}"
    assert (result.status == "failed") is kernel, result.failure


def test_a_missing_image_as_the_result_fails_at_its_line_with_the_formatter_error(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "figures.ipynb",
        code("x = 1", count=1),
        code(IMAGE + "y = x + 1\nImage('missing.png')", count=2),
        code("print('never')", count=3),
    )

    out = nbtrack_cli("smoke", "figures.ipynb")

    assert out.exit_code == 1, out.text
    first = out.stdout.splitlines()[0]
    assert first == (
        "FAILED figures.ipynb  cell 2 (In [2]), line 3: FileNotFoundError: No such file or "
        "directory: 'missing.png' (raised while building the display of the cell's result)"
    )
    assert ">  3 | Image('missing.png')" in out.stdout


def test_a_display_call_that_cannot_be_formatted_passes_with_its_traceback_in_the_output(
    project: Path,
) -> None:
    path = write_notebook(project / "nb.ipynb", code(IMAGE + "display(Image('missing.png'))"))

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "passed", result.failure
    assert "No such file or directory: 'missing.png'" in result.output


@pytest.mark.kernel
@pytest.mark.slow
def test_the_kernel_engine_names_the_formatter_error_not_nonetype(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "k.ipynb", code(IMAGE + "Image('missing.png')", count=1))

    out = nbtrack_cli("smoke", "--engine", "kernel", "k.ipynb")

    assert out.exit_code == 1, out.text
    assert out.stdout.splitlines()[0] == (
        "FAILED k.ipynb  cell 1 (In [1]), line 2: FileNotFoundError: No such file or "
        "directory: 'missing.png' (raised while building the display of the cell's result)"
    )
