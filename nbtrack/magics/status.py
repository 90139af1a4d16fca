"""``%track_status``: the current run, its store and what it has logged, as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtrack.envvars import NOTEBOOK_ENV

if TYPE_CHECKING:
    from collections.abc import Sequence

    from nbtrack.model import Artifact
    from nbtrack.tracking.session import SessionStatus

__all__ = ["render_status"]


def _short(value: object, limit: int = 30) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: how %track_status names the clue that found the notebook (NotebookLocation.how)
_CLUES = {
    "override": "%track_run --notebook",
    "env": NOTEBOOK_ENV,
    "papermill": "PAPERMILL_INPUT_PATH",
    "vscode": "VS Code",
    "jupyter-server": "the Jupyter server's session",
    "script": "the script being run",
    "cells": "the code of the cells run so far",
}


def render_status(status: SessionStatus) -> str:
    """``%track_status``: the run, the store (password masked), what was logged."""
    run, location = status.run, status.location
    if run is None:
        return "nbtrack: no active run; the next %track_* magic or nbtrack.log_* call starts one."
    from nbtrack.config import mask_url  # with a run, config is loaded already

    name = f"  {run.name!r}" if run.name else ""
    lines = [f"run       {run.id}{name}  RUNNING", f"store     {mask_url(run.store.url)}"]
    if location.path is not None:
        from nbtrack.tracking.locate import recorded_path

        # as the run records it: relative to the project root when inside it
        recorded = recorded_path(location.path, run.settings.root)
        clue = _CLUES.get(location.how, location.how)
        lines.append(f"notebook  {recorded} (found via {clue})")
    elif location.how == "terminal":
        lines.append("notebook  none: a terminal IPython session (its typed cells are recorded)")
    else:
        lines.append(f"notebook  unknown (set {NOTEBOOK_ENV} or %track_run --notebook PATH)")
    if run.params:
        shown = (f"{k}={_short(p.value)} ({p.source.value})" for k, p in run.params.items())
        lines.append(f"params    {', '.join(shown)}")
    stored = status.stored
    if stored is None:
        lines.append(f"(the store cannot be read right now: {status.read_error})")
        return _joined(lines)
    for metric in stored.metrics:
        step = "" if metric.last_step is None else f" at step {metric.last_step}"
        points = "1 point" if metric.count == 1 else f"{metric.count} points"
        lines.append(
            f"metric    {metric.key}: last {metric.last:.6g}{step}"
            f" (min {metric.min:.6g}, max {metric.max:.6g}, {points})"
        )
    lines += [f"data      {r.path} [{r.kind}] {r.digest[:19]}" for r in stored.data]
    lines += _artifact_lines(stored.artifacts)
    lines += [
        f"error     In [{e.detail.get('execution_count')}] {e.detail.get('exception')}"
        for e in stored.events
        if e.kind == "cell_error"
    ]
    return _joined(lines)


def _artifact_lines(artifacts: Sequence[Artifact]) -> list[str]:
    """A line per artifact, but one per figure logged at several steps (not one per epoch)."""
    from nbtrack.compare.artifacts import series

    lines, seen = [], set()
    groups = {g.name: g for g in series(artifacts)}
    for a in artifacts:
        group = groups[a.name]
        if not group.steps:
            lines.append(f"artifact  {a.name} ({a.size} bytes)")
        elif a.name not in seen:
            seen.add(a.name)
            lines.append(
                f"artifact  {a.name} ({group.summary()}; the last {group.last.size} bytes)"
            )
    return lines


def _joined(lines: list[str]) -> str:
    """One status line each: a key, name or path the run carries cannot break or act on it."""
    from nbtrack.printable import printable

    return "\n".join(printable(line) for line in lines)
