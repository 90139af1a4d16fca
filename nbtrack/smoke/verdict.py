"""From a child's events to a :class:`SmokeResult`: which cell, which line, why.

Kept apart from the runner so the one place that decides passed / failed /
timeout, builds the source excerpt and asks :mod:`nbtrack.smoke.hints` for a
diagnosis is small enough to read in one go. The failing line itself
comes from the child's event (or, at a timeout, from its stack dump): both
are worked out by :func:`nbtrack.smoke.protocol.failing_line`.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from nbtrack.notebook.failure import cell_list
from nbtrack.smoke.hints import FailureContext, hint_for
from nbtrack.smoke.isolate import Isolation
from nbtrack.smoke.lint import analyse_notebook
from nbtrack.smoke.plan import Plan
from nbtrack.smoke.process import ChildOutcome
from nbtrack.smoke.protocol import (
    ANSI,
    CELL_FILE,
    DONE,
    ERROR,
    EXIT,
    LINE,
    NOTICE,
    SKIPPED,
    START,
    Event,
    relabel_cells,
)
from nbtrack.smoke.result import CellFailure, LintWarning, SmokeResult

__all__ = ["excerpt", "verdict"]

#: what a kernel's error text gives away when there is no exception object to ask
_FROM_TEXT = {
    "name": re.compile(r"name '(\w+)' is not defined"),
    "module": re.compile(r"No module named '([\w.]+)'"),
    "filename": re.compile(r"No such file or directory: '([^']+)'|File `'([^']+)'` not found"),
}


#: a line that signals a process (the notebook's own, when the process then dies)
_SENDS_SIGNAL = re.compile(r"\b(?:os\.kill|os\.killpg|signal\.raise_signal|os\.abort)\s*\(")


def excerpt(source: str, line: int | None, before: int = 2) -> tuple[tuple[int, str], ...]:
    """Numbered lines of *source* ending at *line* (the first three when unknown)."""
    lines = source.splitlines() or [""]
    if line is None or not 1 <= line <= len(lines):
        return tuple((n, text) for n, text in enumerate(lines[:3], start=1))
    start = max(1, line - before)
    return tuple((n, lines[n - 1]) for n in range(start, line + 1))


def _cell_of(plan: Plan, engine: str, k: int) -> tuple[int | None, str]:
    """(origin index, source) of cell *k* of a child's event."""
    if engine == "kernel":
        return plan.origin[k], plan.run_nb.cells[k].source
    cell = plan.cells[k]
    return cell.origin, cell.source


def _context(
    plan: Plan, origin: int | None, run_dir: Path, isolation: Isolation | None
) -> FailureContext:
    run_root = source_root = None
    if isolation is not None:
        run_root, source_root = isolation.roots_for(plan.path)
    return FailureContext(
        nb=plan.nb,
        names=analyse_notebook(plan.nb),
        cell=origin,
        run_dir=run_dir,
        source_dir=plan.path.resolve().parent,
        run_root=run_root,
        source_root=source_root,
    )


def _failure(
    plan: Plan, engine: str, event: Event, run_dir: Path, isolation: Isolation | None
) -> CellFailure:
    origin, source = _cell_of(plan, engine, int(event.cell or 0))
    saved = plan.nb.cells[origin].execution_count if origin is not None else None
    traceback = [ANSI.sub("", t) for t in event.traceback]
    found = {"name": event.name, "module": event.module, "filename": event.filename}
    for key, pattern in _FROM_TEXT.items():
        match = pattern.search(event.evalue)
        if found[key] is None and match:
            found[key] = next(group for group in match.groups() if group is not None)
    hint = hint_for(
        event.ename,
        ctx=_context(plan, origin, run_dir, isolation),
        name=found["name"],
        module=found["module"],
        filename=found["filename"],
        source=source,
        evalue=event.evalue,
    )
    return CellFailure(
        cell=origin,
        execution_count=saved,
        line=event.line,
        excerpt=excerpt(source, event.line),
        ename=event.ename,
        evalue=ANSI.sub("", event.evalue),
        traceback=tuple("\n".join(traceback).splitlines()),
        hint=hint,
    )


def _early_exit(plan: Plan, engine: str, event: Event) -> LintWarning | None:
    """The warning for a notebook that ended itself before its last cell (None: at it)."""
    k = int(event.cell or 0)
    run_index = k if engine == "kernel" else plan.cells[k].run_index
    origin, source = _cell_of(plan, engine, k)
    never = [c.origin + 1 for c in plan.cells if c.run_index > run_index and c.origin is not None]
    if not never:
        return None
    where = plan.nb.cells[origin].label if origin is not None else "the injected parameters cell"
    lines = source.splitlines()
    code = ""
    if event.line is not None and 1 <= event.line <= len(lines):
        where += f", line {event.line}"
        code = f" (`{lines[event.line - 1].strip()}`)"
    how = f" with {event.text}" if event.text else ""
    return LintWarning(
        "early-exit",
        f"{where}{code} ended the notebook{how}; {cell_list(never)} never ran",
        cell=origin,
    )


def _cell_stack(plan: Plan, outcome: ChildOutcome) -> tuple[str, ...]:
    """The child's stacks at a timeout, from the notebook's cells up (no IPython frames).

    faulthandler lists the innermost frame first; below the outermost cell frame
    are only IPython's and nbtrack's own callers, which say nothing about the hang.
    """
    labels = {
        e.execution_count: plan.cells[e.cell].label
        for e in outcome.events
        if e.kind == START and e.execution_count is not None and e.cell is not None
        if e.cell < len(plan.cells)
    }
    kept: list[str] = []
    for block in outcome.stack.strip().split("\n\n"):
        lines = block.splitlines()
        last = max((i for i, line in enumerate(lines) if CELL_FILE.search(line)), default=None)
        if last is not None:
            lines = lines[: last + 1]
        if kept:
            kept.append("")
        kept.extend(relabel_cells(line, labels) for line in lines)
    return tuple(kept)


def _last_started(outcome: ChildOutcome) -> int | None:
    """The line the running cell's last top-level statement started on (script engine).

    What names the killing line when the process died without a word: SIGKILL
    from the kernel's out-of-memory killer, or ``os.kill(os.getpid(), 9)``.
    """
    running = outcome.running
    if running is None:
        return None
    after = False
    line = None
    for event in outcome.events:
        if event is running:
            after = True
        elif after and event.kind == LINE and event.cell == running.cell:
            line = event.line
    return line


def _stopped(plan: Plan, outcome: ChildOutcome, engine: str) -> CellFailure:
    running = outcome.running
    origin: int | None = None
    source = ""
    if running is not None:
        origin, source = _cell_of(plan, engine, int(running.cell or 0))
    label = (
        "the injected parameters cell"
        if origin is None and running
        else (plan.nb.cells[origin].label if origin is not None else "no cell")
    )
    line = outcome.stuck_line() or _last_started(outcome)
    if outcome.timed_out == "cell":
        ename = "CellTimeout"
        evalue = f"{label} was still running after {plan.cell_timeout:g} s (cell timeout)"
    elif outcome.timed_out == "notebook":
        ename = "NotebookTimeout"
        evalue = f"the notebook ran longer than {plan.timeout:g} s (timeout); {label} was running"
    else:
        code = outcome.returncode or 0
        how = (
            f"was killed by {signal.Signals(-code).name}"
            if code < 0
            else f"exited with code {code}"
        )
        ename = "ProcessDied"
        evalue = f"the Python process {how} while {label} was running"
        if running is None:
            evalue = f"the Python process {how} before running any cell"
    hint = None
    lines = source.splitlines()
    killing = lines[line - 1] if line is not None and 1 <= line <= len(lines) else ""
    if ename == "ProcessDied" and _SENDS_SIGNAL.search(killing):
        hint = (
            f"line {line} sends a signal, and the notebook runs as this one process: it killed "
            f"itself, as it would a kernel. Guard that line, or tag the cell skip-execution."
        )
    elif ename == "ProcessDied" and outcome.returncode == -signal.SIGKILL:
        hint = (
            "a process killed by SIGKILL usually ran out of memory; run it with smaller data (-p)."
        )
    return CellFailure(
        cell=origin,
        execution_count=plan.nb.cells[origin].execution_count if origin is not None else None,
        line=line,
        excerpt=excerpt(source, line) if running is not None else (),
        ename=ename,
        evalue=evalue,
        traceback=_cell_stack(plan, outcome) if outcome.timed_out and engine == "script" else (),
        hint=hint,
    )


def verdict(
    plan: Plan,
    outcome: ChildOutcome,
    engine: str,
    run_dir: Path,
    isolation: Isolation | None,
    strict: bool,
    artifacts: tuple[Path, ...],
) -> SmokeResult:
    """The result of one child run."""
    events = outcome.events
    common: dict[str, Any] = {
        "seconds": outcome.seconds,
        "warnings": plan.warnings,
        "output": outcome.output,
        "artifacts": artifacts,
    }
    skipped = next((e for e in events if e.kind == SKIPPED), None)
    if skipped is not None:
        return SmokeResult(plan.path, "skipped", reason=skipped.reason, **common)
    if outcome.timed_out:
        return SmokeResult(plan.path, "timeout", failure=_stopped(plan, outcome, engine), **common)
    error = next((e for e in events if e.kind == ERROR and not e.allowed), None)
    if error is not None:
        failure = _failure(plan, engine, error, run_dir, isolation)
        return SmokeResult(plan.path, "failed", failure=failure, **common)
    if not any(e.kind in (DONE, EXIT) for e in events):
        return SmokeResult(plan.path, "failed", failure=_stopped(plan, outcome, engine), **common)
    exited = next((e for e in events if e.kind == EXIT), None)
    early = _early_exit(plan, engine, exited) if exited is not None else None
    if early is not None and strict:
        return SmokeResult(plan.path, "failed", reason=f"--strict: {early.message}", **common)
    if early is not None:
        common["warnings"] = (early, *plan.warnings)
    serious = [w for w in plan.warnings if w.severity == "warning"]
    if strict and serious:
        reason = (
            f"--strict: the static check found {len(serious)} hidden-state "
            f"warning{'s' if len(serious) != 1 else ''}"
        )
        return SmokeResult(plan.path, "failed", reason=reason, **common)
    notice = next((e.text for e in events if e.kind == NOTICE), None)
    return SmokeResult(plan.path, "passed", reason=notice, **common)
