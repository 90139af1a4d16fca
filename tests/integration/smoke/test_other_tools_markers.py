"""Notebooks written for nbval or nbmake pass here too: their skip and raises markers count."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.notebooks import code, kernel, write_notebook

from .conftest import Invoke


def _nbval_notebook(path: Path) -> Path:
    """A notebook as nbval's users write it: comment markers and nbval's tags."""
    return write_notebook(
        path,
        code("# NBVAL_SKIP\nfrom gpu_only import device\nraise RuntimeError('GPU')", count=1),
        code("#NBVAL_RAISES_EXCEPTION\nraise ValueError('shown on purpose')", count=2),
        code("# NBVAL_IGNORE_OUTPUT\nimport random\nprint(random.random())", count=3),
        code("raise RuntimeError('slow download')", count=4, tags=["nbval-skip"]),
        code("1 / 0", count=5, tags=["nbval-raises-exception"]),
        code("reached = True", count=6),
        code("assert reached", count=7),
        kernelspec=kernel("python3", "python", "Python 3"),
    )


def test_nbval_comment_markers_and_tags_skip_cells_and_let_cells_raise(
    project: Path, nbtrack_cli: Invoke
) -> None:
    _nbval_notebook(project / "nbval.ipynb")

    out = nbtrack_cli("smoke", "nbval.ipynb")

    assert out.exit_code == 0, out.text
    assert out.stdout.startswith("PASSED nbval.ipynb")


def test_a_marker_only_counts_as_a_whole_comment_line(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        project / "nb.ipynb",
        code("x = 1  # NBVAL_SKIP\nraise RuntimeError('not skipped')", count=1),
    )

    out = nbtrack_cli("smoke", "nb.ipynb")

    assert out.exit_code == 1, out.text
    assert "RuntimeError: not skipped" in out.stdout


@pytest.mark.kernel
@pytest.mark.slow
def test_the_kernel_engine_honours_the_same_markers(project: Path, nbtrack_cli: Invoke) -> None:
    _nbval_notebook(project / "nbval.ipynb")

    out = nbtrack_cli("smoke", "--engine", "kernel", "nbval.ipynb")

    assert out.exit_code == 0, out.text
