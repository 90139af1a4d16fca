"""``nbtrack export``: runs out to other tools' formats (``export tensorboard``, ``export mlmd``).

For: parsing the options, reading the runs through
:class:`~nbtrack.compare.reader.Reader` (their params, histories as arrays,
PNG artifacts with their steps, note; for MLMD their data refs, artifacts
with where their bytes are, git and notebook) and handing them as plain
values to ``integrations.tensorboard.export.export_runs`` or
``integrations.mlmd.export.export_runs``; then one line per run.
Not for: event files (``integrations.tensorboard``) or MLMD's API
(``integrations.mlmd``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtrack.cli._output import echo_err

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader
    from nbtrack.integrations.mlmd.mapping import MlmdRun
    from nbtrack.integrations.tensorboard.export import ExportRun
    from nbtrack.store.base import HistoryArrays

__all__ = ["export"]


@click.group()
def export() -> None:
    """Export runs to other tools' formats."""


@export.command()
@click.argument("run_ids", metavar="RUN...", nargs=-1)
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help="Export the runs this filter matches (the `nbtrack runs --where` language). "
    "Instead of RUN arguments.",
)
@click.option(
    "--output",
    "-o",
    "out",
    metavar="OUT",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The log folder to write: one sub-folder of event files per run.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the event files of a run folder that already has some "
    "(without it, such a folder stops the export before anything is written).",
)
def tensorboard(run_ids: tuple[str, ...], where: str | None, out: Path, force: bool) -> None:
    """Write runs as TensorBoard event files under OUT.

    View them with `tensorboard --logdir OUT`.

    Each RUN (an id or a unique prefix) becomes OUT/<name>_<id8>/: its metrics
    as scalars (steps and wall times kept), its params and final metrics in
    the HPARAMS tab, its PNG figures as images at their steps, its note as text.
    Other folders in OUT are left alone.
    """
    from nbtrack.compare.reader import Reader
    from nbtrack.integrations.tensorboard.export import export_runs

    with Reader.open() as reader:
        ids = _selected(reader, run_ids, where, example="tensorboard RUN -o tb/")
        runs = [_export_run(reader, run_id) for run_id in ids]
        result = export_runs(runs, out, force=force)
    for folder in result.folders:
        click.echo(str(folder))
    replaced = f", replacing the event files in {len(result.replaced)}" if result.replaced else ""
    echo_err(
        f"exported {len(result.folders)} run(s): {result.scalars:,} scalars,"
        f" {result.images:,} images{replaced}; view them with: tensorboard --logdir {out}"
    )


@export.command()
@click.argument("run_ids", metavar="RUN...", nargs=-1)
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help="Export the runs this filter matches (the `nbtrack runs --where` language). "
    "Without RUN arguments or --where, every run of the store.",
)
@click.option(
    "--db",
    metavar="FILE",
    required=True,
    type=click.Path(path_type=Path),
    help="The ML-Metadata SQLite file to write (created when missing).",
)
def mlmd(run_ids: tuple[str, ...], where: str | None, db: Path) -> None:
    """Write runs, their data and artifacts into an ML-Metadata store.

    Each RUN (an id or a unique prefix) becomes an Execution of type
    nbtrack.Run, its data refs INPUT Artifacts (nbtrack.Dataset), its
    artifacts OUTPUT Artifacts (nbtrack.File or nbtrack.Model), its notebook
    a Context (nbtrack.Notebook). The same content digest is the same
    Artifact, so a file one run wrote and another read links the two runs.
    Exporting again adds only what is new or changed.
    """
    from nbtrack.compare.reader import Reader
    from nbtrack.integrations.mlmd.export import export_runs

    with Reader.open() as reader:
        ids = _selected(reader, run_ids, where, example=None)
        runs = [_mlmd_run(reader, run_id) for run_id in ids]
    result = export_runs(runs, db)
    for outcome in result.runs:
        click.echo(f"{outcome.run_id}\texecution {outcome.execution_id}\t{outcome.change}")
    counts = {change: 0 for change in ("new", "updated", "unchanged")}
    for outcome in result.runs:
        counts[outcome.change] += 1
    echo_err(
        f"exported {len(result.runs)} run(s) to {db}: {counts['new']} new,"
        f" {counts['updated']} updated, {counts['unchanged']} unchanged;"
        f" {result.artifacts_new} new and {result.artifacts_updated} updated artifact(s),"
        f" {result.events_new} new event(s)"
    )


def _selected(
    reader: Reader, run_ids: tuple[str, ...], where: str | None, *, example: str | None
) -> list[str]:
    """The full ids of the runs to export, oldest first, each once.

    *example* None means no runs and no --where export every run of the store.
    """
    from nbtrack.errors import UsageError

    if where is not None and run_ids:
        raise UsageError("give runs to export or --where, not both")
    if run_ids:
        return list(dict.fromkeys(reader.resolve(run_id) for run_id in run_ids))
    if where is None and example is not None:
        raise UsageError(f"export needs runs: give run ids (nbtrack export {example}) or --where")
    ids = [run.id for run in reversed(reader.runs(where=where))]
    if not ids:
        if where is None:
            raise UsageError(f"the store {reader.url} has no runs; nothing to export")
        raise UsageError(f"--where {where!r} matches no runs; nothing to export")
    return ids


def _mlmd_run(reader: Reader, run_id: str) -> MlmdRun:
    """One run as the plain values the MLMD export takes."""
    from nbtrack.config import mask_url
    from nbtrack.integrations.mlmd.mapping import MlmdFile, MlmdRun

    run = reader.run(run_id)
    outputs = tuple(
        MlmdFile(
            name=artifact.name,
            digest=artifact.digest,
            size=artifact.size,
            media_type=artifact.media_type,
            uri=mask_url(str(reader.artifact_path(artifact))),  # an artifact root URL's password
            step=artifact.step,
        )
        for artifact in run.artifacts
    )
    return MlmdRun(
        id=run.id,
        name=run.name,
        status=str(run.status),
        started_at=run.started_at,
        ended_at=run.ended_at,
        git_commit=run.git.commit,
        git_branch=run.git.branch,
        notebook=run.source.path,
        params={param.key: param.value for param in run.params},
        metrics={metric.key: metric.last for metric in run.metrics},
        inputs=run.data,
        outputs=outputs,
    )


class _Histories(Mapping[str, "HistoryArrays"]):
    """A run's metric histories, each read from the store when the export reaches it:
    runs of millions of points are exported one history in memory at a time."""

    def __init__(self, reader: Reader, run_id: str, keys: list[str]) -> None:
        self._reader, self._run_id, self._keys = reader, run_id, keys

    def __getitem__(self, key: str) -> HistoryArrays:
        if key not in self._keys:
            raise KeyError(key)
        return self._reader.history_arrays(self._run_id, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _export_run(reader: Reader, run_id: str) -> ExportRun:
    """One run as the plain values the export takes."""
    from nbtrack.integrations.tensorboard.export import ExportFigure, ExportRun

    run = reader.run(run_id)
    figures = [
        ExportFigure(
            path=reader.artifact_path(artifact),
            name=artifact.name,
            step=artifact.step,
            logged_at=artifact.logged_at,
        )
        for artifact in run.artifacts
        if artifact.media_type == "image/png"
    ]
    return ExportRun(
        id=run.id,
        name=run.name,
        started_at=run.started_at,
        params={param.key: param.value for param in run.params},
        histories=_Histories(reader, run.id, [m.key for m in run.metrics]),
        figures=figures,
        note=run.note,
    )
