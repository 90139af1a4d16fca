"""Hints name the classic hidden-state causes from the error and the saved notebook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack.smoke.hints import FailureContext, hint_for, pip_name
from nbtrack.smoke.lint import analyse_notebook
from tests.helpers.notebooks import code, load, notebook


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("sklearn", "scikit-learn"),
        ("sklearn.linear_model", "scikit-learn"),
        ("cv2", "opencv-python"),
        ("PIL.Image", "pillow"),
        ("yaml", "pyyaml"),
        ("requests", "requests"),
    ],
)
def test_pip_name_knows_the_usual_mismatches(module: str, package: str) -> None:
    assert pip_name(module) == package


def _ctx(cells: list[Any], cell: int, tmp: Path) -> FailureContext:
    nb = load(notebook(*cells))
    return FailureContext(nb, analyse_notebook(nb), cell, tmp, tmp)


def test_name_error_for_a_name_only_a_skipped_cell_defines(tmp_path: Path) -> None:
    ctx = _ctx(
        [code("token = 1", count=1, tags=["skip-execution"]), code("print(token)", count=2)],
        1,
        tmp_path,
    )
    hint = hint_for("NameError", ctx=ctx, name="token")
    assert hint == (
        "'token' is defined only in cell 1 (In [1]), which is tagged to be skipped. "
        "Define it in a cell that runs, before cell 2."
    )


def test_name_error_for_a_name_only_an_nbval_skip_cell_defines_names_the_marker(
    tmp_path: Path,
) -> None:
    ctx = _ctx(
        [code("# NBVAL_SKIP\ntoken = 1", count=1), code("print(token)", count=2)], 1, tmp_path
    )
    hint = hint_for("NameError", ctx=ctx, name="token")
    assert hint == (
        "'token' is defined only in cell 1 (In [1]), which is marked # NBVAL_SKIP to be "
        "skipped. Define it in a cell that runs, before cell 2."
    )


def test_name_error_in_a_cell_the_saved_notebook_never_ran_blames_no_deleted_cell(
    tmp_path: Path,
) -> None:
    ctx = _ctx([code("x = 1", count=1), code("print(ghost)"), code("y = x", count=2)], 1, tmp_path)

    hint = hint_for("NameError", ctx=ctx, name="ghost")

    assert hint == (
        "cell 2 was never executed in the saved notebook (it has no In [n]) and no cell "
        "defines 'ghost', so nothing shows it ever ran: it may never have worked. Define "
        "'ghost' in a cell before it, or mark the cell to be skipped (tag it skip-execution)."
    )


def test_name_defined_only_in_a_later_cell_that_never_ran_blames_no_run_order(
    tmp_path: Path,
) -> None:
    ctx = _ctx([code("print(model)", count=1), code("model = 'fit'")], 0, tmp_path)

    hint = hint_for("NameError", ctx=ctx, name="model")

    assert hint == (
        "'model' is defined only further down, in cell 2, which the saved notebook never "
        "executed (it has no In [n]). Move that definition above cell 1."
    )


def test_name_error_in_a_never_run_cell_with_saved_evidence_of_the_name_keeps_that_evidence(
    tmp_path: Path,
) -> None:
    ctx = _ctx([code("print(ghost)", count=4), code("print(ghost + 1)")], 1, tmp_path)

    hint = hint_for("NameError", ctx=ctx, name="ghost")

    assert hint is not None
    assert "(the saved outputs show it was used at In [4])" in hint


def test_name_error_without_saved_evidence_omits_the_in_number(tmp_path: Path) -> None:
    ctx = _ctx([code("print(ghost)")], 0, tmp_path)
    hint = hint_for("NameError", ctx=ctx, name="ghost")
    assert hint is not None
    assert "saved outputs" not in hint
    assert hint.startswith("no cell of this notebook defines 'ghost' any more")


def test_a_name_defined_above_gets_no_misleading_hint(tmp_path: Path) -> None:
    ctx = _ctx([code("if False:\n    x = 1", count=1), code("print(x)", count=2)], 1, tmp_path)
    assert hint_for("NameError", ctx=ctx, name="x") is None


def test_other_errors_get_no_hint(tmp_path: Path) -> None:
    ctx = _ctx([code("1 / 0", count=1)], 0, tmp_path)
    assert hint_for("ZeroDivisionError", ctx=ctx, source="1 / 0") is None


@pytest.mark.parametrize(
    ("ename", "evalue"),
    [
        ("EOFError", "EOF when reading a line"),
        (
            "StdinNotImplementedError",
            "raw_input was called, but this frontend does not support input requests.",
        ),
    ],
)
def test_input_with_nobody_to_answer_says_to_pass_the_value_another_way(
    tmp_path: Path, ename: str, evalue: str
) -> None:
    ctx = _ctx([code("name = input('Your name: ')", count=1)], 0, tmp_path)
    hint = hint_for(ename, ctx=ctx, evalue=evalue, source="name = input('Your name: ')")
    assert hint is not None
    assert hint.startswith("the notebook asks for input and a smoke run has nobody")
    assert "-p NAME=VALUE" in hint


def test_an_eof_error_that_is_not_input_gets_no_input_hint(tmp_path: Path) -> None:
    ctx = _ctx([code("raise EOFError('truncated archive')", count=1)], 0, tmp_path)
    assert hint_for("EOFError", ctx=ctx, evalue="truncated archive") is None
    assert hint_for("EOFError", ctx=ctx, evalue="", source="raise EOFError") is None


def test_a_missing_environment_variable_is_named_with_a_way_out(tmp_path: Path) -> None:
    source = "import os\ndata_dir = os.environ['DATA_DIR']"
    ctx = _ctx([code(source, count=1)], 0, tmp_path)
    hint = hint_for("KeyError", ctx=ctx, evalue="'DATA_DIR'", source=source)
    assert hint == (
        "the environment variable 'DATA_DIR' is set where the notebook was written, not here. "
        "Set it for the smoke run (the CI job's env), or give it a default: "
        "os.environ.get('DATA_DIR', ...)."
    )


def test_a_key_error_from_a_dict_is_not_blamed_on_the_environment(tmp_path: Path) -> None:
    source = "config = {}\nconfig['DATA_DIR']"
    ctx = _ctx([code(source, count=1)], 0, tmp_path)
    assert hint_for("KeyError", ctx=ctx, evalue="'DATA_DIR'", source=source) is None


def test_a_colab_only_import_is_not_sent_to_pip(tmp_path: Path) -> None:
    source = "from google.colab import drive\ndrive.mount('/content/drive')"
    ctx = _ctx([code(source, count=1)], 0, tmp_path)
    hint = hint_for("ModuleNotFoundError", ctx=ctx, module="google", source=source)
    assert hint == (
        "google.colab exists only on Google Colab, not in a clean environment. Tag this cell "
        "skip-execution, or guard the Google Colab-only lines: "
        "if 'google.colab' in sys.modules: ..."
    )


def test_a_missing_submodule_names_the_package_to_pin_by_its_pip_name(tmp_path: Path) -> None:
    ctx = _ctx([code("import sklearn.nope", count=1)], 0, tmp_path)
    hint = hint_for("ModuleNotFoundError", ctx=ctx, module="sklearn.nope")
    assert hint is not None
    assert "written against another version of scikit-learn." in hint


def test_a_kernel_only_shell_attribute_under_the_script_engine_suggests_the_kernel_engine(
    tmp_path: Path,
) -> None:
    source = "session = get_ipython().kernel.session"
    ctx = _ctx([code(source, count=1)], 0, tmp_path)

    hint = hint_for(
        "AttributeError",
        ctx=ctx,
        source=source,
        evalue="'SmokeShell' object has no attribute 'kernel'",
    )

    assert hint == (
        "the notebook uses get_ipython().kernel, which only a Jupyter kernel has; nbtrack "
        "smoke runs cells in a plain IPython shell unless told otherwise. Run it in a kernel: "
        "nbtrack smoke --engine kernel (pytest: --nbtrack-engine kernel)."
    )


def test_a_shell_attribute_no_kernel_has_either_gets_no_kernel_hint(tmp_path: Path) -> None:
    ctx = _ctx([code("get_ipython().no_such_thing", count=1)], 0, tmp_path)

    hint = hint_for(
        "AttributeError", ctx=ctx, evalue="'SmokeShell' object has no attribute 'no_such_thing'"
    )

    assert hint is None


def test_a_missing_file_above_the_repository_says_the_notebook_reads_outside_its_folder(
    tmp_path: Path,
) -> None:
    from tests.helpers.git import git

    repo = tmp_path / "repo"
    notebooks = repo / "notebooks"
    notebooks.mkdir(parents=True)
    git(repo, "init", "-q")
    source = "open('../../assets/logo.png', 'rb')"
    nb = load(notebook(code(source, count=1)))
    ctx = FailureContext(nb, analyse_notebook(nb), 0, notebooks, notebooks)

    hint = hint_for("FileNotFoundError", ctx=ctx, filename="../../assets/logo.png", source=source)

    assert hint == (
        f"../../assets/logo.png climbs out of the notebook's folder, to "
        f"{(tmp_path / 'assets' / 'logo.png').resolve()}, and nothing is there: the notebook "
        f"reads a file from outside its folder, so the CI checkout or working directory must "
        f"have it at that place too. Keep the file inside the repository and commit it, or "
        f"fetch it in the notebook."
    )


@pytest.mark.parametrize(
    ("ename", "evalue"),
    [
        ("URLError", "<urlopen error [Errno 2] No such file or directory: 'data.csv'>"),
        ("URLError", "<urlopen error unknown url type: s3>"),
        ("HTTPError", "HTTP Error 404: Not Found"),
    ],
)
def test_errors_that_are_not_about_connecting_get_no_network_hint(
    tmp_path: Path, ename: str, evalue: str
) -> None:
    source = "urllib.request.urlopen('https://example.org/data.csv')"
    ctx = _ctx([code(source, count=1)], 0, tmp_path)

    assert hint_for(ename, ctx=ctx, evalue=evalue, source=source) is None
