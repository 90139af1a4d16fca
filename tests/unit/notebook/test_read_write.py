"""Reading notebooks fast with plain json, and every way a file can fail to be one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbtrack.errors import NotebookError
from nbtrack.notebook import kernel_language, read_notebook, write_notebook


def _write(path: Path, nb: nbformat.NotebookNode) -> Path:
    nbformat.write(nb, path)
    return path


def test_reading_a_notebook_gives_cells_with_source_tags_and_counts(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("x = 1\ny = 2", execution_count=3),
    ]
    nb.cells[1].metadata["tags"] = ["parameters"]
    path = _write(tmp_path / "a.ipynb", nb)

    read = read_notebook(path)

    assert [c.cell_type for c in read.cells] == ["markdown", "code"]
    code = read.cells[1]
    assert (code.index, code.source, code.tags, code.execution_count) == (
        1,
        "x = 1\ny = 2",
        ("parameters",),
        3,
    )
    assert code.label == "cell 2 (In [3])"
    assert read.path == path


def test_a_written_notebook_is_valid_for_nbformat_and_keeps_unknown_metadata(
    tmp_path: Path,
) -> None:
    nb = nbformat.v4.new_notebook(metadata={"custom": {"keep": True}})
    nb.cells = [nbformat.v4.new_code_cell("print(1)")]
    path = _write(tmp_path / "a.ipynb", nb)

    out = write_notebook(read_notebook(path), tmp_path / "b.ipynb")

    again = nbformat.read(out, as_version=4)
    nbformat.validate(again)
    assert again.metadata["custom"] == {"keep": True}
    assert again.cells[0].source == "print(1)"


def test_malformed_json_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{\n "cells": [\n  {"cell_type": "code",,}\n ]\n}\n')

    with pytest.raises(NotebookError, match=r"broken\.ipynb is not valid JSON \(line 3, column"):
        read_notebook(path)


def test_nbformat_3_is_refused_with_a_conversion_hint(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}))

    with pytest.raises(NotebookError, match=r"old\.ipynb is in nbformat 3.*nbconvert"):
        read_notebook(path)


def test_a_git_lfs_pointer_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "big.ipynb"
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )

    with pytest.raises(NotebookError, match=r"big\.ipynb is a Git LFS pointer.*git lfs pull"):
        read_notebook(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"metadata": {}}', "no 'cells' list"),
        ("[1, 2]", "not an object"),
        ("", "is empty"),
    ],
)
def test_json_that_is_not_a_notebook_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.ipynb"
    path.write_text(content)

    with pytest.raises(NotebookError, match=message):
        read_notebook(path)


def test_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match=r"nope\.ipynb does not exist\."):
        read_notebook(tmp_path / "nope.ipynb")


def test_kernel_language_comes_from_kernelspec_then_language_info(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}}
    )
    assert kernel_language(read_notebook(_write(tmp_path / "r.ipynb", nb))) == "r"
    nb = nbformat.v4.new_notebook(metadata={"language_info": {"name": "julia"}})
    assert kernel_language(read_notebook(_write(tmp_path / "j.ipynb", nb))) == "julia"
    nb = nbformat.v4.new_notebook()
    assert kernel_language(read_notebook(_write(tmp_path / "p.ipynb", nb))) == "python"


def test_reading_does_not_import_nbformat(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = _write(tmp_path / "a.ipynb", nb)
    code = (
        "import sys; from nbtrack.notebook import read_notebook, to_script; "
        f"to_script(read_notebook({str(path)!r})); "
        "heavy = ('nbformat', 'IPython', 'jupytext', 'nbconvert'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_python_script_given_as_a_notebook_points_to_the_paired_ipynb(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("# %%\nprint(1)\n")

    with pytest.raises(NotebookError) as info:
        read_notebook(path)

    assert str(info.value) == (
        f"{path} is not a Jupyter notebook (an .ipynb file is JSON); for a jupytext text "
        "notebook give its paired .ipynb, or make one with `jupytext --to ipynb train.py`."
    )


def test_notebook_from_bytes_names_a_git_blob_in_its_errors() -> None:
    from nbtrack.notebook import notebook_from_bytes

    with pytest.raises(NotebookError, match=r"^train\.ipynb at main is not valid JSON \(line 1"):
        notebook_from_bytes(b"{oops", name="train.ipynb at main")
    nb = notebook_from_bytes(b'{"nbformat": 4, "cells": []}', Path("a.ipynb"))
    assert nb.path == Path("a.ipynb")
    assert nb.cells == ()
