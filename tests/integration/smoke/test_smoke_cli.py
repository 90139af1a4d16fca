"""`nbtrack smoke` end to end: real notebooks, real child processes, real exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import junitparser
import pytest

from nbtrack.smoke.options import SmokeOptions, project_smoke_config
from nbtrack.smoke.runner import run_notebook
from tests.helpers.notebooks import code, kernel, markdown, write_notebook

from .conftest import Invoke


def test_a_clean_notebook_passes_with_exit_code_0(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        project / "ok.ipynb",
        markdown("# Title"),
        code("x = 1", count=1),
        code("assert x + 1 == 2", count=2),
    )

    out = nbtrack_cli("smoke", "ok.ipynb")

    assert out.exit_code == 0, out.text
    assert out.stdout.startswith("PASSED ok.ipynb")
    assert "1 passed in" in out.stdout


def test_when_cell_4_raises_the_report_names_cell_4_its_line_and_source(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "train.ipynb",
        markdown("# Training"),
        code("rows = [1, 2, 3]", count=1),
        code("total = sum(rows)", count=2),
        code(
            "features = ['a']\n# divide by the number of rows\nmean = total / 0\nprint(mean)",
            count=3,
        ),
    )

    out = nbtrack_cli("smoke", "train.ipynb")

    assert out.exit_code == 1
    lines = out.stdout.splitlines()
    assert lines[0] == (
        "FAILED train.ipynb  cell 4 (In [3]), line 3: ZeroDivisionError: division by zero"
    )
    assert lines[1:4] == [
        "   1 | features = ['a']",
        "   2 | # divide by the number of rows",
        ">  3 | mean = total / 0",
    ]
    assert "1 failed" in out.stdout


def test_the_failure_is_a_structured_value(project: Path) -> None:
    path = write_notebook(
        project / "nb.ipynb",
        code("a = 1", count=1),
        code("def f():\n    return 1 / 0", count=2),
        code("b = a\nf()", count=3),
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "failed"
    failure = result.failure
    assert failure is not None
    assert (failure.cell, failure.execution_count, failure.line) == (2, 3, 2)
    assert (failure.ename, failure.evalue) == ("ZeroDivisionError", "division by zero")
    assert any('File "<cell 3>", line 2' in line for line in failure.traceback)
    assert any('File "<cell 2>", line 2, in f' in line for line in failure.traceback)


def test_counts_out_of_order_are_reported_and_lint_fails(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "nb.ipynb",
        code("a = 1", count=1),
        code("b = a + 1", count=7),
        code("c = b", count=4),
    )

    smoke = nbtrack_cli("smoke", "nb.ipynb")
    lint = nbtrack_cli("lint", "nb.ipynb")

    assert smoke.exit_code == 0  # it runs fine top to bottom; the warning is still shown
    expected = "cell 3 (In [4]) ran before cell 2 (In [7])"
    assert expected in smoke.stdout
    assert lint.exit_code == 1
    assert expected in lint.stdout
    assert nbtrack_cli("smoke", "--strict", "nb.ipynb").exit_code == 1


def test_a_name_from_a_deleted_cell_gets_a_hint_with_the_saved_in_number(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "train.ipynb",
        code("import math", count=1),
        code("X_train = [1.0, 2.0]\nmodel = scaler.fit(X_train)", count=9),
        code(
            "X_test = [3.0]\n# scale like the training data\nX_test = scaler.transform(X_test)",
            count=12,
        ),
    )

    out = nbtrack_cli("smoke", "train.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "cell 2 (In [9]), line 2: NameError: name 'scaler' is not defined" in text
    assert (
        "hint: no cell of this notebook defines 'scaler' any more; it lived in the kernel from a "
        "cell that was deleted or changed (the saved outputs show it was used at In [9]). "
        "Define it in a cell before cell 2." in text
    )


def test_a_name_defined_only_further_down_says_the_notebook_ran_out_of_order(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "nb.ipynb",
        code("y = helper(2)", count=2),
        code("def helper(v):\n    return v", count=1),
    )

    out = nbtrack_cli("smoke", "nb.ipynb")

    assert out.exit_code == 1
    assert "'helper' is defined only further down, in cell 2 (In [1])" in " ".join(
        out.stdout.split()
    )


def test_magics_and_shell_escapes_behave_as_in_a_notebook(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "magic.ipynb",
        "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        "%time y = 2 + 2\nassert y == 4",
        "files = !ls\nassert 'magic.ipynb' in files, files",
        "!echo from-the-shell > shell.txt\n"
        "assert open('shell.txt').read().strip() == 'from-the-shell'",
        "%env SMOKE_VAR=1\nimport os\nassert os.environ['SMOKE_VAR'] == '1'",
        "len?",
        "for i in range(2):\n    %time z = i",
        "%%time\nw = 5",
        "assert w == 5",
        "%%bash\necho bash-cell",
    )

    out = nbtrack_cli("smoke", "magic.ipynb")

    assert out.exit_code == 0, out.text


def test_capture_cell_magic_captures_and_swallows_output(project: Path) -> None:
    path = write_notebook(
        project / "cap.ipynb",
        "%%capture captured\nprint('quiet please')",
        "assert captured.stdout == 'quiet please\\n', captured.stdout\nprint('visible')",
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "passed", result
    assert "visible" in result.output
    assert "quiet please" not in result.output


def test_an_error_hidden_by_capture_fails_the_notebook_at_its_line(project: Path) -> None:
    path = write_notebook(
        project / "cap.ipynb",
        code("x = 1", count=1),
        code("%%capture out\nprint('noisy')\n\ny = scaler.transform(x)", count=2),
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "failed"
    failure = result.failure
    assert failure is not None
    assert (failure.cell, failure.line, failure.ename) == (1, 4, "NameError")
    assert failure.evalue == (
        "name 'scaler' is not defined (raised inside %%capture, which hid it from the output)"
    )
    assert failure.hint is not None
    assert "'scaler'" in failure.hint


@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n1 -r1"])
def test_an_error_in_a_timed_cell_names_its_line_not_the_magic(project: Path, magic: str) -> None:
    path = write_notebook(project / "t.ipynb", f"{magic}\nx = 1\ny = x / 0")

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.failure is not None
    assert (result.failure.line, result.failure.ename) == (3, "ZeroDivisionError")
    assert result.failure.excerpt[-1] == (3, "y = x / 0")


def test_a_syntax_error_names_the_cell_not_ipythons_file_name(project: Path) -> None:
    path = write_notebook(project / "s.ipynb", "x = 1", "def f(:\n    pass")

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.failure is not None
    assert result.failure.evalue == "invalid syntax (<cell 2>, line 1)"
    assert result.failure.line == 1


def test_working_directory_backend_and_throwaway_store(project: Path, nbtrack_cli: Invoke) -> None:
    folder = project / "notebooks"
    write_notebook(
        folder / "env.ipynb",
        "import os\nfrom pathlib import Path\n"
        f"assert Path.cwd() == Path({str(folder)!r}), os.getcwd()\n"
        "assert os.environ['MPLBACKEND'] == 'Agg'\n"
        f"assert os.environ['NBTRACK_STORE'] != {os.environ['NBTRACK_STORE']!r}\n"
        "assert os.environ['NBTRACK_NOTEBOOK'].endswith('env.ipynb')\n"
        "import helpers\nassert helpers.VALUE == 3",
    )
    (folder / "helpers.py").write_text("VALUE = 3\n")

    out = nbtrack_cli("smoke", "notebooks")

    assert out.exit_code == 0, out.text


def test_skip_tags_skip_cells_and_raises_exception_lets_a_cell_fail(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "tags.ipynb",
        code("raise RuntimeError('needs a GPU')", tags=["skip-execution"]),
        code("raise RuntimeError('slow download')", tags=["nbtrack:skip"]),
        code("1 / 0", tags=["raises-exception"]),
        "print('after the expected error')\nreached = True",
        "assert reached",
    )

    out = nbtrack_cli("smoke", "tags.ipynb")

    assert out.exit_code == 0, out.text


def test_junit_xml_and_json_reports(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "nbs" / "good.ipynb", "x = 1")
    write_notebook(project / "nbs" / "bad.ipynb", "x = 1", "raise ValueError('bad value')")

    out = nbtrack_cli("smoke", "nbs", "--junit-xml", "reports/smoke.xml", "--json", "smoke.json")

    assert out.exit_code == 1
    xml = junitparser.JUnitXml.fromfile("reports/smoke.xml")
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = {case.name: case for suite in suites for case in suite}
    assert cases["nbs/good.ipynb"].is_passed
    (failure,) = cases["nbs/bad.ipynb"].result
    assert failure.type == "ValueError"
    assert failure.message == "cell 2, line 1: ValueError: bad value"
    data = json.loads(Path("smoke.json").read_text())
    assert data["summary"]["failed"] == 1
    assert data["summary"]["passed"] == 1
    bad = next(r for r in data["results"] if r["notebook"] == "nbs/bad.ipynb")
    assert bad["failure"]["cell_number"] == 2


def test_json_to_stdout_keeps_the_console_on_stderr(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "a.ipynb", "x = 1")

    out = nbtrack_cli("smoke", "a.ipynb", "--json", "-")

    assert json.loads(out.stdout)["summary"]["passed"] == 1
    assert "PASSED a.ipynb" in out.stderr


def test_github_actions_annotations(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "a.ipynb", "x = 1", "y = x\nboom()")

    out = nbtrack_cli("smoke", "a.ipynb", env={"GITHUB_ACTIONS": "true"})

    (line,) = [line for line in out.stdout.splitlines() if line.startswith("::error")]
    assert line.startswith("::error file=a.ipynb,line=")
    assert "NameError: name 'boom' is not defined" in line


def test_reports_go_into_new_folders_and_an_unwritable_one_is_one_sentence(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "a.ipynb", "x = 1")
    (project / "taken").write_text("a file, not a folder")

    ok = nbtrack_cli("smoke", "a.ipynb", "--json", "reports/smoke.json")
    bad = nbtrack_cli("smoke", "a.ipynb", "--junit-xml", "taken/smoke.xml")

    assert ok.exit_code == 0, ok.text
    assert json.loads((project / "reports" / "smoke.json").read_text())["summary"]["passed"] == 1
    assert bad.exit_code == 2
    assert bad.stderr.strip().splitlines() == [
        "Error: --junit-xml taken/smoke.xml cannot be written: taken is a file."
    ]


def test_on_github_with_json_to_stdout_the_annotations_go_to_stderr(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "a.ipynb", "x = 1", "y = x\nboom()")

    out = nbtrack_cli("smoke", "a.ipynb", "--json", "-", env={"GITHUB_ACTIONS": "true"})

    assert json.loads(out.stdout)["summary"]["failed"] == 1
    (line,) = [line for line in out.stderr.splitlines() if line.startswith("::error")]
    assert "NameError: name 'boom' is not defined" in line


def test_a_github_annotation_keeps_the_hint_on_one_line(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        project / "a.ipynb", code("x = 1", count=1), code("y = x\nz = scaler.transform(y)", count=5)
    )

    out = nbtrack_cli("smoke", "a.ipynb", env={"GITHUB_ACTIONS": "true"})

    (line,) = [line for line in out.stdout.splitlines() if line.startswith("::error")]
    message = line.split("::")[2]
    hint = message.split("%0A")[-1]
    assert hint.startswith("hint: no cell of this notebook defines 'scaler' any more;")
    assert hint.endswith("Define it in a cell before cell 2.")


def test_non_python_kernel_is_skipped_with_the_reason(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "r.ipynb", "x <- 1", kernelspec=kernel("R"))

    out = nbtrack_cli("smoke", "r.ipynb")

    assert out.exit_code == 0
    assert "SKIPPED r.ipynb  its kernel language is r, not Python" in out.stdout
    assert "1 skipped" in out.stdout


def test_parallel_runs_really_overlap(project: Path, nbtrack_cli: Invoke) -> None:
    # each notebook waits (bounded) for its partner to have started: passes only if they overlap
    for me, other in (("a", "b"), ("b", "a"), ("c", "d"), ("d", "c")):
        write_notebook(
            project / "par" / f"{me}.ipynb",
            f"import time, pathlib\npathlib.Path('{me}.started').touch()\n"
            f"for _ in range(300):\n    if pathlib.Path('{other}.started').exists():\n"
            f"        break\n    time.sleep(0.05)\n"
            f"assert pathlib.Path('{other}.started').exists(), 'ran alone'",
        )

    out = nbtrack_cli(
        "smoke", "-j", "2", "par/a.ipynb", "par/b.ipynb", "par/c.ipynb", "par/d.ipynb"
    )

    assert out.exit_code == 0, out.text
    assert "4 passed" in out.stdout


def test_keep_script_writes_a_readable_script_with_cell_markers(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "nbs" / "k.ipynb",
        markdown("# T"),
        code("x = 1", count=1),
        code("%time y = x", count=2),
    )

    out = nbtrack_cli("smoke", "nbs/k.ipynb", "--keep-script", "build")

    assert out.exit_code == 0, out.text
    script = (project / "build" / "nbs" / "k.py").read_text()
    assert "# %% cell 2 In [1]\nx = 1\n" in script
    assert "get_ipython().run_line_magic('time', 'y = x')" in script


def test_module_not_installed_hint(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "m.ipynb", "import sklearn_missing_pkg_xyz")

    out = nbtrack_cli("smoke", "m.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "the module 'sklearn_missing_pkg_xyz' is not installed in this environment" in text
    assert "pip install sklearn_missing_pkg_xyz" in text


def test_home_path_hint(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        project / "h.ipynb", "data = open('/home/alice-nbtrack-test/data/train.csv').read()"
    )

    out = nbtrack_cli("smoke", "h.ipynb")

    assert out.exit_code == 1
    assert "an absolute path into someone's home folder" in " ".join(out.stdout.split())


@pytest.mark.parametrize(
    "source",
    ["name = input('Your name: ')", "import getpass\nsecret = getpass.getpass('Token: ')"],
)
def test_input_fails_at_once_instead_of_hanging_and_says_why(
    project: Path, nbtrack_cli: Invoke, source: str
) -> None:
    write_notebook(project / "ask.ipynb", code("x = 1", count=1), code(source, count=2))

    out = nbtrack_cli("smoke", "ask.ipynb", "--timeout", "60")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "cell 2 (In [2])" in text
    assert "EOFError" in text
    assert "hint: the notebook asks for input and a smoke run has nobody to type" in text


def test_a_process_that_dies_is_a_failure_naming_the_cell(project: Path) -> None:
    path = write_notebook(project / "die.ipynb", "x = 1", "import os\nos._exit(3)")

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "failed"
    assert result.failure is not None
    assert result.failure.cell == 1
    assert result.failure.evalue == "the Python process exited with code 3 while cell 2 was running"


def test_sys_exit_zero_ends_the_notebook_as_passed(project: Path) -> None:
    path = write_notebook(
        project / "exit.ipynb", "import sys\nsys.exit(0)", "raise RuntimeError('not reached')"
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    assert result.status == "passed"


@pytest.mark.parametrize(
    ("ending", "how"),
    [
        (
            "import sys\nsys.exit(0)",
            "cell 4, line 2 (`sys.exit(0)`) ended the notebook with SystemExit: 0",
        ),
        (
            "raise SystemExit",
            "cell 4, line 1 (`raise SystemExit`) ended the notebook with SystemExit",
        ),
        ("exit()", "cell 4 ended the notebook with exit()"),
        ("quit()", "cell 4 ended the notebook with exit()"),
    ],
)
def test_a_notebook_that_ends_itself_early_passes_with_a_warning_naming_the_cells_never_run(
    project: Path, nbtrack_cli: Invoke, ending: str, how: str
) -> None:
    write_notebook(
        project / "early.ipynb",
        markdown("# Early"),
        "x = 1",
        "print('ran')",
        ending,
        "y = 2",
        markdown("## more"),
        "raise RuntimeError('not reached')",
    )

    out = nbtrack_cli("smoke", "early.ipynb")
    strict = nbtrack_cli("smoke", "--strict", "early.ipynb")
    report = json.loads(nbtrack_cli("smoke", "--json", "-", "early.ipynb").stdout)

    assert out.exit_code == 0, out.text
    lines = out.stdout.splitlines()
    assert lines[0].startswith("PASSED early.ipynb")
    assert lines[1] == f"  warning: {how}; cells 5, 7 never ran"
    assert strict.exit_code == 1, strict.text
    assert strict.stdout.startswith(f"FAILED early.ipynb  --strict: {how}; cells 5, 7 never ran")
    (warning,) = [w for w in report["results"][0]["warnings"] if w["code"] == "early-exit"]
    assert warning["cell_index"] == 3
    assert warning["severity"] == "warning"


@pytest.mark.parametrize("ending", ["import sys\nsys.exit(3)", "raise SystemExit('bye')"])
def test_a_notebook_that_exits_with_a_non_zero_status_fails_at_that_cell(
    project: Path, nbtrack_cli: Invoke, ending: str
) -> None:
    write_notebook(project / "early.ipynb", "x = 1", ending, "y = 2")

    out = nbtrack_cli("smoke", "early.ipynb")

    assert out.exit_code == 1
    assert out.stdout.startswith("FAILED early.ipynb  cell 2, line ")
    assert "SystemExit: " in out.stdout.splitlines()[0]


def test_an_exit_in_the_last_cell_ends_nothing_early(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "last.ipynb", "x = 1", "exit()", markdown("the end"))

    out = nbtrack_cli("smoke", "--strict", "last.ipynb")

    assert out.exit_code == 0, out.text
    assert "never ran" not in out.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"cells": [\n  {"cell_type": "code",,}\n]}',
            "bad.ipynb is not valid JSON (line 2, column",
        ),
        ('{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}', "bad.ipynb is in nbformat 3"),
        (
            "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 10\n",
            "bad.ipynb is a Git LFS pointer",
        ),
    ],
)
def test_unreadable_notebooks_exit_2_with_one_sentence(
    project: Path, nbtrack_cli: Invoke, content: str, message: str
) -> None:
    (project / "bad.ipynb").write_text(content)

    for command in ("smoke", "lint"):
        out = nbtrack_cli(command, "bad.ipynb")
        assert out.exit_code == 2
        assert out.stderr.startswith(f"Error: {message}")
        assert "Traceback" not in out.text
        assert len(out.stderr.strip().splitlines()) == 1


def test_a_folder_without_notebooks_exits_2(project: Path, nbtrack_cli: Invoke) -> None:
    (project / "empty" / ".ipynb_checkpoints").mkdir(parents=True)
    write_notebook(project / "empty" / ".ipynb_checkpoints" / "a-checkpoint.ipynb", "x = 1")

    out = nbtrack_cli("smoke", "empty")

    assert out.exit_code == 2
    assert out.stderr.strip() == (
        "Error: empty holds no notebooks (*.ipynb; checkpoints and hidden folders are skipped)."
    )


def test_checkpoints_are_skipped_when_given_a_directory(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "nbs" / "a.ipynb", "x = 1")
    write_notebook(
        project / "nbs" / ".ipynb_checkpoints" / "a-checkpoint.ipynb", "raise SystemExit(5)"
    )

    out = nbtrack_cli("smoke", "nbs")

    assert out.exit_code == 0, out.text
    assert "1 passed" in out.stdout


def test_the_default_smoke_path_imports_no_heavy_library_in_the_parent(project: Path) -> None:
    import subprocess
    import sys

    write_notebook(project / "a.ipynb", "%time x = 1", "print(x)")
    heavy = {"nbformat", "nbconvert", "nbclient", "jupytext", "papermill", "IPython", "sqlalchemy"}
    probe = (
        "import sys\nfrom nbtrack.cli import main\n"
        "try:\n    main(['smoke', 'a.ipynb'])\nexcept SystemExit as exit:\n    code = exit.code\n"
        f"print(code, sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "0 []"


def test_a_missing_submodule_of_an_installed_package_blames_the_version(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "m.ipynb", "import json.no_such_submodule_xyz")

    out = nbtrack_cli("smoke", "m.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "the package 'json' is installed in this environment, but it has no module" in text


def test_a_non_python_notebook_is_skipped_even_with_params_it_cannot_take(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "r.ipynb", "x <- 1", kernelspec=kernel("R"))
    write_notebook(
        project / "py.ipynb", code("epochs = 5", tags=["parameters"]), "assert epochs == 1"
    )

    out = nbtrack_cli("smoke", "r.ipynb", "py.ipynb", "-p", "epochs=1")

    assert out.exit_code == 0, out.text
    assert "SKIPPED r.ipynb" in out.stdout
    assert "PASSED py.ipynb" in out.stdout


def test_quiet_prints_only_failures_and_the_summary(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "nbs" / "good.ipynb", "x = 1")
    write_notebook(project / "nbs" / "bad.ipynb", "raise ValueError('no')")

    out = nbtrack_cli("smoke", "-q", "nbs")

    assert out.exit_code == 1
    assert "good.ipynb" not in out.stdout
    assert "FAILED nbs/bad.ipynb" in out.stdout
    assert out.stdout.strip().splitlines()[-1].startswith("1 passed, 1 failed in")


def test_lint_as_a_pre_commit_hook_gets_file_names_and_annotates_on_github(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "a.ipynb", code("a = 1", count=2), code("b = a", count=1))
    write_notebook(project / "b.ipynb", "x = 1")

    out = nbtrack_cli("lint", "--no-notes", "a.ipynb", "b.ipynb", env={"GITHUB_ACTIONS": "true"})

    assert out.exit_code == 1
    assert out.stdout.splitlines()[0] == (
        "a.ipynb: warning: execution counts out of order: cell 2 (In [1]) ran before cell 1 "
        "(In [2]) above it, so the saved outputs come from a different order than a "
        "top-to-bottom run"
    )
    assert "b.ipynb" not in out.stdout.split("::warning")[0]  # its note is not printed
    assert any(line.startswith("::warning file=a.ipynb,line=") for line in out.stdout.splitlines())
    assert out.stderr.strip() == "1 warning in 1 of 2 notebooks"


def test_lint_of_clean_notebooks_says_no_warnings_with_the_right_plural(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "a.ipynb", code("a = 1", count=1))
    out = nbtrack_cli("lint", "a.ipynb")
    assert (out.exit_code, out.stderr.strip()) == (0, "no warnings in 1 notebook")
    write_notebook(project / "b.ipynb", code("b = 2", count=2), code("c = b", count=1))
    write_notebook(project / "c.ipynb", code("c = 3", count=2), code("d = c", count=1))
    out = nbtrack_cli("lint", "--no-notes", "b.ipynb", "c.ipynb")
    assert (out.exit_code, out.stderr.strip()) == (1, "2 warnings in both notebooks")


def _workflow_commands(text: str) -> list[str]:
    """The lines a GitHub runner reads as workflow commands (it trims leading whitespace)."""
    return [line.strip() for line in text.splitlines() if line.strip().startswith("::")]


_ACTING = ("\x1b", "\x07", "\x9b", "\u202e")


def test_lint_prints_a_hostile_kernelspec_and_pip_line_inert(
    project: Path, nbtrack_cli: Invoke
) -> None:
    # a pull request's notebooks: one claims a language that starts a workflow command on a
    # new line, the other installs with an argument that retitles the terminal
    write_notebook(
        project / "lang.ipynb",
        "x = 1",
        kernelspec=kernel("evil", "r\n::error::injected\x1b]0;title\x07"),
    )
    write_notebook(
        project / "pip.ipynb",
        code("%pip install numpy\x1b]0;pwned\x07 \x9b2J\u202e", count=1),
    )

    out = nbtrack_cli("lint", "lang.ipynb", "pip.ipynb", env={"GITHUB_ACTIONS": "true"})

    printed = out.stdout + out.stderr
    assert not any(char in printed for char in _ACTING), repr(printed)
    assert "its kernel language is r\\n::error::injected\\x1b]0;title\\x07, not Python" in printed
    assert "%pip install numpy\\x1b]0;pwned\\x07 \\x9b2J<U+202E>" in printed
    assert _workflow_commands(printed) == []  # notes are not annotated


def test_smoke_prints_a_hostile_failure_message_inert_and_annotates_it_once(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "a.ipynb",
        code("x = 1", count=1),
        code(
            "raise ValueError('boom\\n::set-output name=x::1\\n  ::error::fake\\x1b[2J\\x9b1m"
            "\\u202e %0A::warning::encoded')",
            count=2,
        ),
    )

    out = nbtrack_cli("smoke", "a.ipynb", env={"GITHUB_ACTIONS": "true"})

    assert out.exit_code == 1
    assert not any(char in out.stdout for char in _ACTING), repr(out.stdout)
    assert "ValueError: boom\\n::set-output name=x::1\\n  ::error::fake" in out.stdout
    assert "\\x9b1m<U+202E> %0A::warning::encoded" in out.stdout
    (annotation,) = _workflow_commands(out.stdout)
    assert annotation.startswith("::error file=a.ipynb,line=")
    message = annotation.split("::", 2)[2]
    assert "\n" not in message
    assert "%0A::warning" not in message
    assert "%250A::warning::encoded" in message


def test_junit_xml_is_valid_xml_whatever_the_notebook_printed(
    project: Path, nbtrack_cli: Invoke
) -> None:
    from xml.etree import ElementTree

    write_notebook(
        project / "a.ipynb",
        code(
            "print('\\x1b[31mred\\x1b[0m bell\\x07 back\\x08 feed\\x0c nul\\x00 end')\n"
            "raise RuntimeError('\\x1b[1mbad\\x1b[0m\\x07\\x08\\x0c')",
            count=1,
        ),
    )

    out = nbtrack_cli("smoke", "a.ipynb", "--junit-xml", "smoke.xml")

    assert out.exit_code == 1
    root = ElementTree.parse(project / "smoke.xml").getroot()  # raises on what XML 1.0 forbids
    (failure,) = root.iter("failure")
    assert failure.get("message") == "cell 1 (In [1]), line 2: RuntimeError: bad\\x07\\x08\\x0c"
    assert "red bell\\x07 back\\x08 feed\\x0c nul\\x00 end" in root.findtext(".//system-out", "")
