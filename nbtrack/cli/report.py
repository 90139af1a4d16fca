"""``nbtrack report``: write the static HTML report of some runs.

For: choosing the runs (ids, or ``--where``), calling
:func:`nbtrack.compare.report.build_report` and writing the file. Not for:
anything the page shows (the core builds it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["report"]

DEFAULT_LIMIT = 100
DEFAULT_OUTPUT = "report.html"


@click.command()
@click.argument("run_ids", metavar="[RUN]...", nargs=-1)
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help="Report the runs that match, e.g. \"notebook = 'notebooks/train.ipynb'\" "
    "(the language of nbtrack runs --where). Instead of RUN ids.",
)
@click.option(
    "--experiment",
    "experiments",
    metavar="NAME",
    multiple=True,
    help="Report this experiment's runs (repeatable; '*' every experiment); with --where, "
    "those that match. Default for --where: the experiment the project sets, else all.",
)
@click.option(
    "--sort",
    "-s",
    metavar="KEY",
    multiple=True,
    help="With --where: order of the runs, repeatable ('-' for descending); the first "
    "is the baseline. Default: oldest first.",
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="With --where: at most N runs (the newest N, unless --sort says otherwise).",
)
@click.option(
    "--metric",
    "-m",
    "metrics",
    metavar="KEY",
    multiple=True,
    help="Metric to show, repeatable. Default: every metric the runs logged.",
)
@click.option("--title", "-t", help="The page's title. Default: names the runs or the filter.")
@click.option(
    "-o",
    "--output",
    default=DEFAULT_OUTPUT,
    show_default=True,
    metavar="FILE",
    help="Where to write the HTML file; '-' writes it to stdout.",
)
def report(
    run_ids: tuple[str, ...],
    where: str | None,
    experiments: tuple[str, ...],
    sort: tuple[str, ...],
    limit: int,
    metrics: tuple[str, ...],
    title: str | None,
    output: str,
) -> None:
    """Write one self-contained HTML report of runs: table, comparison, curves, figures.

    \b
      nbtrack report 3f9c2a 6e39af -o report.html     these runs; the first is the baseline
      nbtrack report --where "tags.sweep = 'lr'"      the runs that match (oldest first)
      nbtrack report --where "status = FINISHED" --metric val_acc -o - > report.html

    The file opens offline in any browser and loads nothing from the network.
    """
    from nbtrack.compare.reader import Reader
    from nbtrack.compare.report import build_report, select_runs
    from nbtrack.config import listed_experiments, load_settings
    from nbtrack.errors import UsageError

    scope = listed_experiments(experiments, load_settings())
    with Reader.open() as reader:
        ids = select_runs(
            reader, run_ids, where=where, sort=sort, limit=limit, experiment=scope,
            named=bool(experiments),
        )  # fmt: skip
        html = build_report(
            reader,
            ids,
            title=title or _default_title(ids, where, () if run_ids else scope),
            metrics=metrics or None,
        )
    data = html.encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {output}: {exc.strerror}.") from None
    from nbtrack.cli._output import echo_err

    runs = f"{len(ids)} run{'s' if len(ids) != 1 else ''}"
    echo_err(f"Wrote {output} ({runs}, {len(data) / 1024:,.0f} KiB).")


def _default_title(ids: list[str], where: str | None, scope: tuple[str, ...] = ()) -> str:
    within = f" of {', '.join(scope)}" if scope else ""
    if where:
        return f"Runs{within} where {where}"
    if scope:
        return f"Runs{within}"
    return f"nbtrack report of {len(ids)} run{'s' if len(ids) != 1 else ''}"
