"""Renderers for smoke results: console text, JUnit XML, JSON, GitHub annotations.

They only read :class:`~nbtrack.smoke.result.SmokeResult` values. The failure
text is the one shape everything shows (console, JUnit, pytest)::

    FAILED train.ipynb  cell 7 (In [12]), line 3: NameError: name 'scaler' is not defined
       2 | # scale like the training data
    >  3 | X_test = scaler.transform(X_test)
    hint: no cell of this notebook defines 'scaler' any more; ...

Everything a notebook wrote (its path, an exception message, a source
line, a kernelspec language in a hint) goes through
:mod:`nbtrack.printable`: one line per field on a console or in a CI log,
GitHub's escaping in a workflow command, only what XML 1.0 allows in JUnit.
rich is imported only for the progress display on a terminal.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree as ET

from nbtrack.printable import printable, workflow_command, xml_text
from nbtrack.smoke.result import LintWarning, SmokeResult

__all__ = [
    "ConsoleReporter",
    "display_path",
    "github_annotations",
    "render_failure",
    "render_warning",
    "summary_line",
    "to_json",
    "write_junit",
]

_WORD = {"passed": "PASSED", "failed": "FAILED", "skipped": "SKIPPED", "timeout": "TIMEOUT"}
_STYLE = {"passed": "green", "failed": "bold red", "skipped": "yellow", "timeout": "bold red"}


def display_path(path: Path) -> str:
    """*path* relative to the working directory when it is below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return str(path)


#: "In [12]", "cell 7", "line 3" stay on one line when a hint is wrapped; and no
#: wrapped line starts with "::", which a CI runner would read as a workflow command
_UNBREAKABLE = re.compile(r"\b(In|cell|line) (?=\[?\d)|()\s+(?=::)")


def _wrap(label: str, text: str, width: int = 88) -> list[str]:
    # textwrap breaks at ASCII whitespace only, so a no-break space holds a pair together
    glued = _UNBREAKABLE.sub(lambda m: f"{m.group(1) or ''}\u00a0", text)
    lines = textwrap.wrap(
        glued, width=width, initial_indent=f"{label}: ", subsequent_indent=" " * (len(label) + 2)
    ) or [f"{label}:"]
    return [line.replace("\u00a0", " ") for line in lines]


def render_warning(warning: LintWarning) -> str:
    return f"{warning.severity}: {printable(warning.message)}"


def render_failure(
    result: SmokeResult, *, with_warnings: bool = True, with_notes: bool = True, width: int = 88
) -> str:
    """The result as text: a status line, then source excerpt, hint, warnings (and notes).

    The hint is wrapped at *width* with a hanging indent; other lines are never wrapped.
    What the notebook wrote stays inside its field: no line of the text starts with it.
    """
    head = f"{_WORD[result.status]} {printable(display_path(result.notebook))}"
    lines: list[str] = []
    failure = result.failure
    if failure is not None:
        lines.append(f"{head}  {printable(failure.headline)}")
        digits = len(str(failure.excerpt[-1][0])) if failure.excerpt else 1
        for number, text in failure.excerpt:
            marker = ">" if number == failure.line else " "
            lines.append(f"{marker} {number:>{digits + 1}} | {printable(text, tabs=True)}".rstrip())
        if failure.hint:
            lines.extend(_wrap("hint", printable(failure.hint), width))
    elif result.reason:
        lines.append(f"{head}  {printable(result.reason)}")
    else:
        lines.append(f"{head}  ({result.seconds:.2f} s)")
    if with_warnings:
        shown = [w for w in result.warnings if with_notes or w.severity == "warning"]
        lines.extend("  " + render_warning(w) for w in shown)
    return "\n".join(lines)


def summary_line(results: Sequence[SmokeResult], seconds: float) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    words = {"timeout": "timed out"}  # "2 timed out", not "2 timeout"
    parts = [
        f"{counts[s]} {words.get(s, s)}"
        for s in ("passed", "failed", "timeout", "skipped")
        if counts.get(s)
    ]
    return f"{', '.join(parts) or 'nothing run'} in {seconds:.2f} s"


class ConsoleReporter:
    """Prints each result as it arrives; a rich progress bar on a terminal for many notebooks."""

    def __init__(
        self, total: int, *, stream: TextIO | None = None, quiet: bool = False, rich: bool = False
    ) -> None:
        self._stream = stream or sys.stdout
        self._quiet = quiet
        self._progress: Any = None
        self._running: list[str] = []
        self._task: Any = None
        # the door decides whether this is a terminal (NO_COLOR, TERM=dumb, a pipe)
        self._rich = rich and self._stream is sys.stdout
        if self._rich and total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("smoke"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}", markup=False),
                transient=True,
            )
            self._task = self._progress.add_task("", total=total)
            self._progress.start()

    def running(self) -> str:
        """What the progress line names: the notebooks running now (several with -j)."""
        return ", ".join(self._running)

    def started(self, notebook: Path) -> None:
        self._running.append(printable(display_path(notebook)))
        if self._progress is not None:
            self._progress.update(self._task, description=self.running())

    def result(self, result: SmokeResult) -> None:
        shown = printable(display_path(result.notebook))
        if shown in self._running:
            self._running.remove(shown)
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=self.running())
        serious = [w for w in result.warnings if w.severity == "warning"]
        if self._quiet and result.ok and not serious:
            return
        # notes (stripped counts, ...) matter when explaining a failure, not on every pass
        if self._rich:
            from rich.console import Console
            from rich.text import Text

            console = self._progress.console if self._progress is not None else Console()
            # our own wrapping fits the terminal; rich must not break those lines again
            text = render_failure(result, with_notes=not result.ok, width=min(88, console.width))
            styled = Text(text)
            styled.stylize(_STYLE[result.status], 0, len(_WORD[result.status]))
            console.print(styled, highlight=False, soft_wrap=True)
        else:
            print(render_failure(result, with_notes=not result.ok), file=self._stream, flush=True)

    def stop(self) -> None:
        """Take the progress display down (and give the cursor back), e.g. on Ctrl-C."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self, results: Sequence[SmokeResult], seconds: float) -> None:
        self.stop()
        print(summary_line(results, seconds), file=self._stream, flush=True)


def to_json(results: Sequence[SmokeResult], seconds: float) -> str:
    """Every result as JSON, plus a summary."""
    data = {
        "summary": {s: sum(r.status == s for r in results) for s in _WORD}
        | {"seconds": round(seconds, 3)},
        "results": [r.to_dict() | {"notebook": display_path(r.notebook)} for r in results],
    }
    return json.dumps(data, indent=2)


def write_junit(results: Sequence[SmokeResult], path: Path, seconds: float) -> Path:
    """A JUnit XML report (one testcase per notebook) that CI systems display.

    Valid XML 1.0 whatever a notebook printed: colour codes are dropped and
    every other character XML forbids is shown as an escape (``\\x07``).
    """
    failures = sum(r.status in ("failed", "timeout") for r in results)
    skipped = sum(r.status == "skipped" for r in results)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="nbtrack smoke",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        skipped=str(skipped),
        time=f"{seconds:.3f}",
    )
    for result in results:
        shown = xml_text(display_path(result.notebook))
        folder = Path(shown).parent.as_posix().strip("./").replace("/", ".")
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"nbtrack.smoke.{folder}" if folder else "nbtrack.smoke",
            name=shown,
            file=shown,
            time=f"{result.seconds:.3f}",
        )
        if result.status in ("failed", "timeout"):
            failure = result.failure
            message = failure.headline if failure else (result.reason or "failed")
            kind = failure.ename if failure else "StrictLint"
            element = ET.SubElement(case, "failure", message=xml_text(message), type=xml_text(kind))
            body = render_failure(result)
            if failure and failure.traceback:
                body += "\n\n" + "\n".join(failure.traceback)
            element.text = xml_text(body)
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", message=xml_text(result.reason or "skipped"))
        if result.output:
            ET.SubElement(case, "system-out").text = xml_text(result.output)
    ET.indent(suites)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _json_line(path: Path, cell: int | None, line: int | None) -> int:
    """Line of the .ipynb file where the cell (and its line) sits, best effort."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return 1
    starts = [m.start() for m in re.finditer(r'"cell_type"\s*:', text)]
    if cell is None or cell >= len(starts):
        return 1
    begin = starts[cell]
    end = starts[cell + 1] if cell + 1 < len(starts) else len(text)
    position = begin
    if line is not None:
        try:
            cells = json.loads(text)["cells"]
            source = cells[cell]["source"]
            wanted = (source if isinstance(source, list) else source.splitlines(True))[line - 1]
            found = text.find(json.dumps(wanted, ensure_ascii=False), begin, end)
            position = found if found >= 0 else begin
        except (ValueError, KeyError, IndexError, TypeError):
            position = begin
    return text.count("\n", 0, position) + 1


def github_annotations(results: Sequence[SmokeResult]) -> list[str]:
    """``::error file=...,line=...::`` workflow commands for failures and warnings."""
    lines = []
    for result in results:
        shown = display_path(result.notebook)
        if result.status in ("failed", "timeout"):
            failure = result.failure
            cell = failure.cell if failure else None
            row = _json_line(result.notebook, cell, failure.line if failure else None)
            # one annotation line per paragraph: GitHub wraps the text itself
            text = render_failure(result, with_warnings=False, width=sys.maxsize)
            message = text.split("  ", 1)[-1]
            title = f"nbtrack smoke: {failure.ename}" if failure else "nbtrack smoke"
            lines.append(workflow_command("error", message, file=shown, line=str(row), title=title))
        for warning in result.warnings:
            if warning.severity != "warning":
                continue
            row = _json_line(result.notebook, warning.cell, None)
            title = f"nbtrack lint: {warning.code}"
            lines.append(
                workflow_command("warning", warning.message, file=shown, line=str(row), title=title)
            )
    return lines


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"
