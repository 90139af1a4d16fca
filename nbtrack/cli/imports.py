"""``nbtrack import tensorboard LOGDIR``: runs from other tools' files.

For: parsing the options, calling
:func:`nbtrack.integrations.tensorboard.importer.import_logdir`, and printing
what it did: one row per run folder (created, updated, unchanged), a summary
line, and one line on stderr per event file that could not be read whole.
Not for: reading event files or deciding which run a folder is (the core).

Exit codes: 0 when the import ran (also with files that were cut short: their
readable events are in); 2 for a LOGDIR that is missing, not a folder, or
holds no event files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nbtrack.cli._output import echo_err, print_table
from nbtrack.printable import printable

if TYPE_CHECKING:
    from nbtrack.integrations.tensorboard.importer import ImportResult, RunImport

__all__ = ["import_"]


@click.group("import")
def import_() -> None:
    """Import runs from other tools (TensorBoard event files)."""


@import_.command("tensorboard")
@click.argument("logdir", metavar="LOGDIR")
@click.option(
    "--name-prefix",
    default="",
    metavar="TEXT",
    help="Put TEXT before each run's name (a run is named by its folder's path in LOGDIR), "
    "e.g. 'resnet/'.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read the event files and say what would be imported; write nothing.",
)
def tensorboard(logdir: str, name_prefix: str, dry_run: bool) -> None:
    """Import a TensorBoard log folder: each run folder in LOGDIR becomes one run.

    Scalars become metrics (with their steps and wall times), hparams params,
    images artifacts at their step, text summaries the run's note. Runs are
    tagged source=tensorboard. Importing the same folder again changes
    nothing; a folder that has grown adds only its new events.
    """
    from nbtrack.integrations.tensorboard.importer import import_logdir

    result = import_logdir(logdir, name_prefix=name_prefix, dry_run=dry_run, warn=False)
    for problem in result.problems:
        echo_err(f"Warning: {problem}")
    _render(result)


def _what(run: RunImport) -> str:
    parts = [
        f"{n:,} {noun}{'' if n == 1 else 's'}"
        for n, noun in (
            (run.points, "point"),
            (run.params, "param"),
            (run.images, "image"),
            (run.texts, "text"),
        )
        if n
    ]
    if not parts:
        return "nothing new"
    return ", ".join(parts) if run.created else "+" + ", +".join(parts)


def _render(result: ImportResult) -> None:
    would = "would be " if result.dry_run else ""
    rows = []
    for run in result.runs:
        state = "created" if run.created else "updated" if run.changed else "unchanged"
        rows.append([would + state, run.name, (run.run_id or "-")[:12], _what(run)])
    print_table(["run", "name", "id", "imported"], rows)
    if result.skipped:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(result.skipped.items()))
        print(printable(f"Left out (not scalars, hparams, images or text): {kinds}."))
    folders = len(result.runs)
    summary = (
        f"{'Dry run, nothing written: ' if result.dry_run else ''}"
        f"{folders} run folder{'' if folders == 1 else 's'} in {result.logdir}: "
        f"{result.created} {would}created, {result.updated} {would}updated, "
        f"{result.unchanged} unchanged; {result.points:,} points."
    )
    print(printable(summary))
