"""Runs out as TensorBoard event files: ``export_runs``.

For: turning plain values (a run's id, name, params, metric histories as
arrays, its note and its PNG figures with their steps) into one folder of
event files per run under an output folder, which ``tensorboard --logdir``
shows: scalars with their steps and wall times, the run's params and final
metrics in the HPARAMS tab, figures as images by step, the note as text.

Not for: reading the store (the ``nbtrack export`` door reads through
``compare.reader.Reader`` and hands the values here) or the event encoding
(``eventfile.py``).

The layout, and what an output folder that already has files gets::

    OUT/<run name>_<first 8 of the id>/events.out.tfevents.<time>.<host>.<pid>.nbtrack

Other folders in OUT are left alone, so runs exported later land beside
earlier ones. A run's folder that already holds event files is refused
(nothing at all is written then) unless *force*, which replaces the event
files in that folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.images import png_size
from nbtrack.model import JSONValue
from nbtrack.store.base import HistoryArrays

__all__ = ["ExportFigure", "ExportResult", "ExportRun", "export_runs", "run_folder_name"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: the text tag a run's note is written under (the importer reads text into the note)
NOTE_TAG = "note"


@dataclass(frozen=True)
class ExportFigure:
    """One PNG of a run: where its bytes are, its name (the image tag) and its step."""

    path: Path
    name: str
    step: int | None = None
    logged_at: float = 0.0


@dataclass(frozen=True)
class ExportRun:
    """What one run's folder is made of; plain values, no store."""

    id: str
    name: str | None
    started_at: float
    params: Mapping[str, JSONValue] = field(default_factory=dict)
    #: metric key -> its history (``Reader.history_arrays``), in step order
    histories: Mapping[str, HistoryArrays] = field(default_factory=dict)
    figures: Sequence[ExportFigure] = ()
    note: str | None = None


@dataclass(frozen=True)
class ExportResult:
    """What ``export_runs`` wrote: a folder per run and how many events of each kind."""

    folders: tuple[Path, ...]
    scalars: int
    images: int
    replaced: tuple[Path, ...] = ()


def run_folder_name(run_id: str, name: str | None) -> str:
    """``<name>_<id8>`` with anything but letters, digits, ``.``, ``_``, ``-`` made ``-``.

    The short id keeps two runs of the same name apart; a run without a name
    (or with a name of nothing safe) is its short id alone.
    """
    safe = _UNSAFE.sub("-", name or "").strip("-.")[:60]
    return f"{safe}_{run_id[:8]}" if safe else run_id[:8]


def export_runs(runs: Sequence[ExportRun], out: Path, *, force: bool = False) -> ExportResult:
    """Write each of *runs* to its own folder of event files under *out*.

    Every folder is checked before anything is written, so a refusal leaves
    *out* as it was.
    """
    from nbtrack.integrations.tensorboard.eventfile import EventFileWriter, load_protos

    load_protos()  # the missing extra is one sentence before any folder is made
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot export to {out}: it is a file; give a folder.")
    folders = [out / run_folder_name(run.id, run.name) for run in runs]
    replaced = _check_folders(folders, force=force)
    missing = [f.path for run in runs for f in run.figures if not f.path.is_file()]
    if missing:
        raise UsageError(
            f"cannot export the figure {missing[0]}: its file is missing from the store."
        )
    scalars = images = 0
    for run, folder in zip(runs, folders, strict=True):
        for old in _event_files(folder):
            old.unlink()
        with EventFileWriter(folder, when=run.started_at) as writer:
            scalars += _write_scalars(writer, run)
            images += _write_figures(writer, run)
            if run.note:
                writer.text(NOTE_TAG, run.note, 0, run.started_at)
            writer.hparams(run.params, trial=run.id, started=run.started_at)
    return ExportResult(tuple(folders), scalars, images, tuple(replaced))


def _event_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*tfevents*")) if folder.is_dir() else []


def _check_folders(folders: Sequence[Path], *, force: bool) -> list[Path]:
    seen: set[Path] = set()
    replaced: list[Path] = []
    for folder in folders:
        if folder in seen:
            raise UsageError(f"run folder {folder.name} is asked for twice; give each run once.")
        seen.add(folder)
        if folder.exists() and not folder.is_dir():
            raise UsageError(f"cannot export to {folder}: it is a file, not a folder.")
        if _event_files(folder):
            if not force:
                raise UsageError(
                    f"{folder} already holds TensorBoard event files; export to another"
                    " folder, or give --force to replace them."
                )
            replaced.append(folder)
    return replaced


def _write_scalars(writer: Any, run: ExportRun) -> int:
    """Each history's points at their steps; points logged without a step are
    numbered 0, 1, 2... in the order they came (TensorBoard needs a step)."""
    written = 0
    for key, history in run.histories.items():
        count = len(history.values)
        if not count:
            continue
        steps = history.steps
        if not history.has_step.all():
            steps = steps.copy()
            missing = ~history.has_step
            steps[missing] = range(int(missing.sum()))
        writer.scalars(key, steps.tolist(), history.values.tolist(), history.timestamps.tolist())
        written += count
    return written


def _write_figures(writer: Any, run: ExportRun) -> int:
    for figure in run.figures:
        png = figure.path.read_bytes()
        width, height = png_size(png, f"the figure {figure.path}")
        tag = figure.name[:-4] if figure.name.lower().endswith(".png") else figure.name
        step = 0 if figure.step is None else figure.step
        writer.image(tag, png, width, height, step, figure.logged_at or run.started_at)
    return len(run.figures)
