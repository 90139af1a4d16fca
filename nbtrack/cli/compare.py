"""``nbtrack compare``: runs side by side, the first one the baseline.

For: parsing the options, asking ``nbtrack.compare.comparison`` for the
comparison (through a :class:`~nbtrack.compare.reader.Reader`) and writing
it in the format asked for. Not for: any comparing of its own.

With ``--where`` the matching runs are compared oldest first (the oldest is
the baseline, so a sweep reads from where it started); ``--limit`` keeps the
newest N of them (default 10: a table of more columns does not read).
``--sweep ID`` is a ``--where`` for the runs of one sweep (``nbtrack run
--grid``'s id, or a unique prefix), joined to the user's ``--where`` if any.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtrack.cli._output import echo_err, is_tty

if TYPE_CHECKING:
    from nbtrack.compare.comparison import Comparison

__all__ = ["compare"]

#: runs ``--where`` compares unless ``--limit`` says otherwise
WHERE_LIMIT = 10
FORMATS = ("terminal", "markdown", "json", "html")


@click.command()
@click.argument("run_ids", metavar="RUN...", nargs=-1)
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help="Compare the runs this filter matches (the `nbtrack runs --where` language), "
    "oldest first: the oldest is the baseline. Instead of RUN arguments.",
)
@click.option(
    "--sweep",
    metavar="ID",
    help="Compare the runs of this sweep (its id, or a unique prefix; `nbtrack run --grid` "
    "prints it), in the sweep's order; with --where, those of them it matches. Instead of RUN"
    " arguments.",
)
@click.option(
    "--experiment",
    "experiments",
    metavar="NAME",
    multiple=True,
    help="With --where: only this experiment's runs (repeatable; '*' every experiment). "
    "Default: the experiment the project sets, else all (with --sweep: all).",
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=None,
    help=f"With --where: the N newest matching runs (0 = all). Default: {WHERE_LIMIT}.",
)
@click.option(
    "--metric",
    "-m",
    "metrics",
    metavar="KEY",
    multiple=True,
    help="Metric to compare, repeatable, in this order. Default: every metric the runs logged.",
)
@click.option(
    "--all",
    "all_params",
    is_flag=True,
    help="Show every param, not only those that differ between the runs.",
)
@click.option(
    "--maximize",
    metavar="KEY",
    multiple=True,
    help="Metric that is better when higher (overrides the name rule), repeatable.",
)
@click.option(
    "--minimize",
    metavar="KEY",
    multiple=True,
    help="Metric that is better when lower (overrides the name rule), repeatable.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="terminal",
    show_default=True,
    help="terminal: tables (coloured on a tty); markdown: for a pull-request comment; "
    "json: for tools; html: a page.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE instead of standard output.",
)
@click.option(
    "--no-code",
    is_flag=True,
    help="Leave out the code diff between the runs' notebook snapshots.",
)
def compare(
    run_ids: tuple[str, ...],
    where: str | None,
    sweep: str | None,
    experiments: tuple[str, ...],
    limit: int | None,
    metrics: tuple[str, ...],
    all_params: bool,
    maximize: tuple[str, ...],
    minimize: tuple[str, ...],
    fmt: str,
    output: Path | None,
    no_code: bool,
) -> None:
    """Compare runs side by side: params that differ, metric deltas, data, git, code.

    The first RUN (an id or a unique prefix) is the baseline; every other run
    is measured against it. Which way a metric improves comes from its name
    (loss, error, time... lower; acc, f1, auc, score... higher) or from
    --maximize/--minimize.
    """
    from nbtrack.compare.comparison import compare_runs, select_runs
    from nbtrack.compare.reader import Reader
    from nbtrack.config import listed_experiments, load_settings
    from nbtrack.errors import UsageError

    chooses = "--where" if sweep is None else "--sweep"
    if (where is not None or sweep is not None) and run_ids:
        raise UsageError(f"give runs to compare or {chooses}, not both")
    if where is None and sweep is None and limit is not None:
        raise UsageError("--limit chooses among the runs --where matches; give --where too")
    if where is None and sweep is None and experiments:
        raise UsageError(
            "--experiment chooses among the runs --where or --sweep matches; give --where or"
            " --sweep too"
        )
    if where is None and sweep is None and len(run_ids) < 2:
        given = f"only run {run_ids[0]}" if run_ids else "no run"
        raise UsageError(
            f"compare needs at least two runs, got {given}; e.g. nbtrack compare RUN RUN"
        )
    with Reader.open() as reader:
        ids = list(run_ids)
        if sweep is not None:
            from nbtrack.compare.sweeps import sweep_where

            where = sweep_where(reader, sweep, where)
        if where is not None:
            chosen = WHERE_LIMIT if limit is None else limit
            # a sweep's id names its runs in every experiment; --experiment still narrows
            if sweep is not None and not experiments:
                scope: tuple[str, ...] = ()
            else:
                scope = listed_experiments(experiments, load_settings())
            ids, total = select_runs(reader, where, chosen, scope)
            if sweep is not None:
                from nbtrack.compare.sweeps import in_sweep_order

                ids = in_sweep_order(reader, ids, where)
            if total > len(ids):
                echo_err(
                    f"comparing the {len(ids)} newest of {total} matching runs "
                    "(--limit 0 compares all)"
                )
        comparison = compare_runs(
            reader,
            ids,
            metrics=list(metrics) or None,
            all_params=all_params,
            maximize=maximize,
            minimize=minimize,
            code=not no_code,
        )
    _write(comparison, fmt, output)


def _write(comparison: Comparison, fmt: str, output: Path | None) -> None:
    from nbtrack.errors import UsageError

    if fmt == "terminal" and output is None:
        from nbtrack.compare.render_terminal import print_terminal

        print_terminal(comparison, color=is_tty())
        return
    if fmt == "terminal":
        text = str(comparison)
    elif fmt == "markdown":
        text = comparison.to_markdown()
    elif fmt == "json":
        text = comparison.to_json()
    else:
        from nbtrack.compare.render_html import render_html

        text = render_html(comparison)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    echo_err(f"wrote {output}")
