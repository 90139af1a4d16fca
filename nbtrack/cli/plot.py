"""``nbtrack plot``: metric curves of runs written to a PNG, SVG or PDF file.

For: parsing the options, choosing the runs (ids, ``--where``), asking
:mod:`nbtrack.compare` for the curves and the figure, writing the file and
saying what was written. A terminal cannot show a plot, so the command
always writes a file: ``curves.png`` in the working directory unless ``-o``
names another (an existing file of that name is replaced). Runs missing one
of the metrics are left out of that chart with a warning on stderr.
Not for: reading or drawing logic (``nbtrack.compare.curves`` and ``.plot``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from nbtrack.cli._output import echo_err
from nbtrack.printable import printable

if TYPE_CHECKING:
    from nbtrack.compare.curves import XAxis
    from nbtrack.compare.reader import Reader

__all__ = ["plot"]

DEFAULT_OUTPUT = "curves.png"
WHERE_LIMIT = 10


@click.command()
@click.argument("runs", nargs=-1, metavar="[RUN]...")
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help="Plot the runs this filter matches (newest first), as in `nbtrack runs --where`, "
    "e.g. \"tags.sweep = 'lr' and status = FINISHED\". Adds to the RUNs named.",
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=WHERE_LIMIT,
    show_default=True,
    help="At most N runs from --where.",
)
@click.option(
    "--metric",
    "-m",
    "metrics",
    metavar="KEY",
    multiple=True,
    help="Metric to plot, repeatable (one chart each). Default: every metric the runs have.",
)
@click.option(
    "--x",
    "x",
    type=click.Choice(["step", "time", "relative"]),
    default="step",
    show_default=True,
    help="x axis: the step logged (a history without steps: the order logged), wall-clock "
    "time, or time since the run started.",
)
@click.option(
    "--smoothing",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.0,
    show_default=True,
    help="Exponential moving average weight, 0 (none) up to but not 1, as TensorBoard's "
    "slider; 0.6 is a common choice.",
)
@click.option("--log-y", is_flag=True, help="Logarithmic y axis (values <= 0 left out).")
@click.option(
    "--max-points",
    type=click.IntRange(min=2),
    default=2000,
    show_default=True,
    help="Points drawn per curve at most; longer histories are downsampled (LTTB).",
)
@click.option("--title", metavar="TEXT", help="A title above the charts.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="File to write; its suffix picks the format: .png, .svg or .pdf.",
)
def plot(
    runs: tuple[str, ...],
    where: str | None,
    limit: int,
    metrics: tuple[str, ...],
    x: str,
    smoothing: float,
    log_y: bool,
    max_points: int,
    title: str | None,
    output: Path,
) -> None:
    """Plot metric curves of runs to a PNG, SVG or PDF file.

    \b
    Examples:
      nbtrack plot 3f9c2a 6e39af --metric val_acc --metric val_loss -o curves.png
      nbtrack plot --where "tags.sweep = 'lr'" -m loss --smoothing 0.6 -o sweep.svg
    """
    from nbtrack.compare.curves import CurveWarning, curves
    from nbtrack.compare.plot import (
        FORMATS,
        figure,
        require_matplotlib,
        save_figure,
        unknown_format,
    )
    from nbtrack.compare.reader import Reader
    from nbtrack.errors import UsageError

    if output.suffix.lower() not in FORMATS:
        raise UsageError(unknown_format(output))
    require_matplotlib()
    if not runs and not where:
        raise UsageError("Name the runs to plot (RUN ids) or choose them with --where.")
    with Reader.open() as reader:
        ids = _chosen(reader, runs, where, limit)
        keys = list(metrics) or _all_metrics(reader, ids)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CurveWarning)
            drawn = curves(
                reader, ids, keys, x=cast("XAxis", x), smoothing=smoothing, max_points=max_points
            )
    for warning in caught:
        echo_err(f"Warning: {warning.message}")
    save_figure(figure(drawn, log_y=log_y, title=title), output)
    plotted = len({c.run_id for c in drawn})
    print(
        printable(
            f"Wrote {output}: {len(keys)} chart{'s' if len(keys) != 1 else ''} "
            f"({', '.join(keys)}) of {plotted} run{'s' if plotted != 1 else ''}."
        )
    )


def _chosen(reader: Reader, runs: tuple[str, ...], where: str | None, limit: int) -> list[str]:
    """Full ids of the RUNs named, then of the runs --where matches (newest first)."""
    from nbtrack.errors import UsageError

    ids = [reader.resolve(run) for run in runs]
    if where:
        matched, total = reader.page(where=where, limit=limit)
        if not matched:
            raise UsageError(f"No runs match --where {where!r}.")
        if total > len(matched):
            echo_err(f"Plotting the newest {len(matched)} of {total} matching runs (--limit N).")
        ids += [run.id for run in matched]
    return list(dict.fromkeys(ids))


def _all_metrics(reader: Reader, ids: list[str]) -> list[str]:
    """Every metric key the runs have, in the order the runs list them."""
    from nbtrack.errors import UsageError

    keys: dict[str, None] = {}
    for run_id in ids:
        keys.update(dict.fromkeys(m.key for m in reader.run(run_id).metrics))
    if not keys:
        raise UsageError("None of the runs has a metric to plot.")
    return list(keys)
