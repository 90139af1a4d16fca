"""Renderers: the failure text, JUnit XML a JUnit parser reads, JSON, GitHub annotations."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import junitparser
import pytest

from nbtrack.smoke.report import github_annotations, render_failure, to_json, write_junit
from nbtrack.smoke.result import CellFailure, LintWarning, SmokeResult
from tests.helpers.notebooks import write_notebook


def _failure() -> CellFailure:
    return CellFailure(
        cell=6,
        execution_count=12,
        line=3,
        excerpt=(
            (1, "X_test = df_test[features]"),
            (2, "# scale like the training data"),
            (3, "X_test = scaler.transform(X_test)"),
        ),
        ename="NameError",
        evalue="name 'scaler' is not defined",
        traceback=("Traceback (most recent call last):", "NameError: boom"),
        hint="no cell of this notebook defines 'scaler' any more.",
    )


def test_failure_text_has_the_shape_of_the_issue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = SmokeResult(tmp_path / "train.ipynb", "failed", failure=_failure())
    assert render_failure(result).splitlines() == [
        "FAILED train.ipynb  cell 7 (In [12]), line 3: NameError: name 'scaler' is not defined",
        "   1 | X_test = df_test[features]",
        "   2 | # scale like the training data",
        ">  3 | X_test = scaler.transform(X_test)",
        "hint: no cell of this notebook defines 'scaler' any more.",
    ]


def test_junit_xml_is_read_back_by_junitparser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    results = [
        SmokeResult(tmp_path / "ok.ipynb", "passed", seconds=0.5, output="hello\n"),
        SmokeResult(tmp_path / "nb" / "train.ipynb", "failed", failure=_failure(), seconds=1.0),
        SmokeResult(tmp_path / "r.ipynb", "skipped", reason="its kernel language is r"),
    ]
    path = write_junit(results, tmp_path / "out" / "smoke.xml", 1.5)

    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = {case.name: case for suite in suites for case in suite}
    assert set(cases) == {"ok.ipynb", "nb/train.ipynb", "r.ipynb"}
    assert cases["ok.ipynb"].is_passed
    (failure,) = cases["nb/train.ipynb"].result
    assert isinstance(failure, junitparser.Failure)
    assert failure.type == "NameError"
    assert "cell 7 (In [12]), line 3" in failure.message
    assert "hint:" in (failure.text or "")
    (skipped,) = cases["r.ipynb"].result
    assert isinstance(skipped, junitparser.Skipped)
    assert suites[0].failures == 1
    assert suites[0].skipped == 1


def test_json_report_carries_structured_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    warning = LintWarning("out-of-order", "counts out of order", cell=2)
    result = SmokeResult(tmp_path / "a.ipynb", "failed", failure=_failure(), warnings=(warning,))
    data = json.loads(to_json([result], 2.0004999))
    assert data["summary"]["failed"] == 1
    assert data["summary"]["seconds"] == 2.0  # milliseconds, like every result's seconds
    (entry,) = data["results"]
    assert entry["notebook"] == "a.ipynb"
    assert entry["failure"]["cell_number"] == 7
    assert entry["failure"]["line"] == 3
    assert entry["warnings"][0]["code"] == "out-of-order"


def test_github_annotation_points_at_the_cell_line_inside_the_ipynb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_notebook(tmp_path / "a.ipynb", "x = 1", "y = 2\nz = boom()")
    failure = CellFailure(
        1, None, 2, ((2, "z = boom()"),), "NameError", "name 'boom' is not defined"
    )
    (line,) = github_annotations([SmokeResult(path, "failed", failure=failure)])
    assert line.startswith("::error file=a.ipynb,line=")
    row = int(line.split("line=")[1].split(",")[0])
    assert "z = boom()" in path.read_text().splitlines()[row - 1]
    assert line.endswith(
        "::cell 2, line 2: NameError: name 'boom' is not defined%0A>  2 | z = boom()"
    )


def test_on_a_narrow_terminal_the_hint_is_wrapped_once_with_its_indent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nbtrack.smoke.report import ConsoleReporter

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "60")
    hint = (
        "no cell of this notebook defines 'scaler' any more; it lived in the kernel from a "
        "cell that was deleted or changed (the saved outputs show it was used at In [9]). "
        "Define it in a cell before cell 7."
    )
    failure = CellFailure(6, 12, 3, ((3, "x = scaler"),), "NameError", "boom", (), hint)
    reporter = ConsoleReporter(1, quiet=False, rich=True)

    reporter.result(SmokeResult(tmp_path / "train.ipynb", "failed", failure=failure))

    lines = capsys.readouterr().out.splitlines()
    hint_lines = lines[lines.index(next(x for x in lines if x.startswith("hint: "))) :]
    assert len(hint_lines) > 2
    assert all(len(line) <= 60 for line in hint_lines)
    assert all(line.startswith("      ") for line in hint_lines[1:])
    assert " ".join(x.strip() for x in hint_lines) == f"hint: {hint}"


def test_the_progress_line_names_every_notebook_running_in_parallel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.smoke.report import ConsoleReporter

    monkeypatch.chdir(tmp_path)
    reporter = ConsoleReporter(3, quiet=True)
    reporter.started(tmp_path / "a.ipynb")
    reporter.started(tmp_path / "b.ipynb")
    assert reporter.running() == "a.ipynb, b.ipynb"

    reporter.result(SmokeResult(tmp_path / "a.ipynb", "passed"))
    reporter.started(tmp_path / "c.ipynb")

    assert reporter.running() == "b.ipynb, c.ipynb"


@pytest.mark.parametrize("width", range(40, 90))
def test_a_wrapped_hint_never_splits_in_n_or_cell_n(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.chdir(tmp_path)
    hint = (
        "no cell of this notebook defines 'undefined_b' any more; it lived in the kernel from a "
        "cell that was deleted or changed (the saved outputs show it was used at In [1]). "
        "Define it in a cell before cell 12."
    )
    failure = CellFailure(0, 1, 4, ((4, "y = undefined_b"),), "NameError", "boom", (), hint)
    text = render_failure(SmokeResult(tmp_path / "a.ipynb", "failed", failure=failure), width=width)
    hint_lines = [line.strip() for line in text.splitlines()[2:]]
    assert " ".join(hint_lines) == f"hint: {hint}"
    for line, after in itertools.pairwise(hint_lines):
        assert not (line.endswith("In") and after.startswith("["))
        assert not (line.endswith("cell") and after[:1].isdigit())
    assert "\u00a0" not in text


def test_a_wrapped_hint_never_starts_a_line_with_a_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    failure = CellFailure(
        cell=0,
        execution_count=1,
        line=1,
        excerpt=((1, "open(path)"),),
        ename="FileNotFoundError",
        evalue="no such file",
        hint="the file " + "word " * 12 + "::error::injected and ::set-output name=x::1 " * 3,
    )
    text = render_failure(SmokeResult(tmp_path / "a.ipynb", "failed", failure=failure), width=30)
    assert len(text.splitlines()) > 5  # the hint was wrapped
    assert not [line for line in text.splitlines() if line.strip().startswith("::")]


def test_the_summary_line_says_timed_out_not_timeout() -> None:
    from nbtrack.smoke.report import summary_line
    from nbtrack.smoke.result import SmokeResult

    results = [SmokeResult(Path(f"{n}.ipynb"), "timeout") for n in "ab"]
    results.append(SmokeResult(Path("c.ipynb"), "passed"))
    assert summary_line(results, 2.0) == "1 passed, 2 timed out in 2.00 s"
