"""``nbtrack runs`` and ``nbtrack show``: read the run store and render it.

For: parsing the options, asking :class:`nbtrack.compare.reader.Reader`
(the store does the filtering, sorting and limiting in SQL; ``compare.listing``
chooses the param/metric/tag columns), and rendering a table, JSON or CSV.
Not for: any query logic of its own, or opening the store itself.

Output conventions: the table shows 20 runs unless ``--limit`` says otherwise
(``--limit 0`` = all) and ends with a line saying how many more there are
(counted up to a cap, ``store/sql_page.py``) and the cursor of the next page
(``--after``; keyset pagination, so a late page costs what the first does);
``--format json``/``csv`` print every matching run unless ``--limit`` is given.
In JSON, NaN and ±inf metric values are the strings ``"NaN"``, ``"Infinity"``
and ``"-Infinity"`` (JSON has no such numbers); times are ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from nbtrack.cli._output import echo_err, fit_width, is_tty, print_table
from nbtrack.compare.formatting import duration_text, strict_json
from nbtrack.printable import printable

if TYPE_CHECKING:
    from nbtrack.compare.lineage import Producer
    from nbtrack.compare.listing import Column
    from nbtrack.compare.reader import Reader
    from nbtrack.model import Run, RunPage, RunSummary

__all__ = ["runs", "show"]

TABLE_LIMIT = 20
NO_RUNS_HINT = (
    "No runs yet in {url}. Start one from a notebook or script with "
    "`import nbtrack; nbtrack.start_run()`."
)


# -- formatting helpers --------------------------------------------------------


def fmt_time(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def fmt_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4g}"
    if isinstance(value, str):
        return one_line(value)
    return one_line(json.dumps(value, ensure_ascii=False))


def one_line(text: str) -> str:
    """*text* on one line, every control character escaped (``\\n``), for a cell or a line."""
    return printable(text)


def _reader() -> Reader:
    from nbtrack.compare.reader import Reader

    return Reader.open()


# -- nbtrack runs --------------------------------------------------------------


def summary_dict(run: RunSummary) -> dict[str, Any]:
    return {
        "id": run.id,
        "name": run.name,
        "status": run.status.value,
        "notebook": run.notebook,
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "heartbeat_at": iso(run.heartbeat_at),
        "duration": run.duration,
        "params": strict_json(run.params),
        "metrics": strict_json(run.metrics),
        "tags": run.tags,
        "deleted_at": iso(run.deleted_at),
        "experiment": run.experiment,
    }


def _csv_value(value: Any) -> str:
    # CSV quotes line breaks itself: a string param stays exactly as logged
    return value if isinstance(value, str) else fmt_value(value)


def _print_csv(listed: Sequence[RunSummary], chosen: Sequence[Column] | None) -> None:
    """Every param, metric and tag as a column, or the *chosen* ones (``--columns``)."""
    from nbtrack.compare.listing import MISSING, NAMESPACES, Column

    columns = list(chosen) if chosen is not None else []
    if chosen is None:
        for namespace in NAMESPACES:
            keys = sorted({k for r in listed for k in getattr(r, namespace)})
            columns += [Column(namespace, k) for k in keys]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        ["id", "name", "status", "notebook", "started_at", "ended_at", "duration"]
        + [str(c) for c in columns]
    )
    for r in listed:
        cells = []
        for column in columns:
            value = column.value(r)
            if value is MISSING:
                cells.append("")
            else:  # a metric keeps every digit
                cells.append(repr(value) if column.namespace == "metrics" else _csv_value(value))
        duration = "" if r.duration is None else f"{r.duration:.3f}"
        writer.writerow(
            [r.id, r.name or "", r.status.value, r.notebook or "", iso(r.started_at),
             iso(r.ended_at) or "", duration, *cells]
        )  # fmt: skip


#: narrowest the name and notebook columns get before param/metric columns go
_SHRINK_TO = {1: 10, 3: 12}  # column index -> cells


def _near(path: str) -> str:
    """A notebook path relative to the working directory when it is under it."""
    import os

    if not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except (ValueError, OSError):  # another drive on Windows; a deleted working directory
        return path
    return path if relative.startswith("..") else relative


def _print_table(page: RunPage, chosen: Sequence[Column], *, deleted: bool) -> None:
    from nbtrack.compare.listing import MISSING

    mixed = len({r.experiment for r in page.runs}) > 1  # then each row says which
    columns = ["id", "name", "status", "notebook", "started", "duration"]
    columns += ["deleted"] if deleted else []
    columns += ["experiment"] if mixed else []
    columns += [one_line(str(c)) for c in chosen]
    rows = [
        [
            r.id[:8],
            one_line(r.name or ""),
            r.status.value,
            one_line(r.notebook or ""),
            fmt_time(r.started_at),
            duration_text(r.duration),
            *([fmt_time(r.deleted_at)] if deleted else []),
            *([one_line(r.experiment)] if mixed else []),
            *["" if (v := c.value(r)) is MISSING else fmt_value(v) for c in chosen],
        ]
        for r in page.runs
    ]
    if is_tty():
        for row in rows:
            row[3] = _near(row[3])
        columns, rows = fit_width(
            columns, rows, shutil.get_terminal_size().columns, _SHRINK_TO, keep_end=3
        )
    print_table(columns, rows)
    if page.next is not None:
        print(more_line(page))


def more_line(page: RunPage) -> str:
    """The line under a page that has a next one: how many follow and its cursor.

    >>> from nbtrack.model import RunPage
    >>> more_line(RunPage([], 5, False, "abc"))
    '... and 5 more runs (next page: --after abc; --limit 0 lists all).'
    >>> more_line(RunPage([], 1000, True, "abc"))
    '... and more than 1,000 more runs (next page: --after abc; --limit 0 lists all).'
    """
    count = f"more than {page.more:,}" if page.more_capped else f"{page.more:,}"
    plural = "s" if page.more_capped or page.more != 1 else ""
    hint = f"next page: --after {page.next}; --limit 0 lists all"
    return f"... and {count} more run{plural} ({hint})."


@click.command()
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help='Filter, e.g. "params.lr < 0.1 and metrics.val_acc > 0.9 and status = FINISHED". '
    "Fields: params.KEY, metrics.KEY (last value), tags.KEY, status, name, notebook, id, "
    "started, ended, user, host, branch, commit, experiment; and/or/not, parentheses.",
)
@click.option(
    "--experiment",
    "experiments",
    metavar="NAME",
    multiple=True,
    help="Only this experiment's runs (repeatable; '*' for every experiment). Default: the "
    "experiment the project sets ([tool.nbtrack] experiment, NBTRACK_EXPERIMENT), else all.",
)
@click.option("--sweep", metavar="ID", help="The runs of this sweep (its id or a unique prefix).")
@click.option(
    "--sort",
    "-s",
    metavar="KEY",
    multiple=True,
    help="Sort key, repeatable; '-' for descending: -metrics.val_acc, params.lr, started. "
    "Default: newest first.",
)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=0),
    default=None,
    help=f"At most N runs (0 = all). Default: {TABLE_LIMIT} for the table, all for json/csv.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json (every field) or csv for tools.",
)
@click.option(
    "--columns",
    "-c",
    "columns",
    metavar="COLS",
    multiple=True,
    help="The param, metric and tag columns of the table and CSV, comma-separated, e.g. "
    "params.lr,metrics.val_acc,tags.team. Default: the keys --where/--sort name, the params "
    "that differ between the listed runs, the metrics most runs have.",
)
@click.option(
    "--deleted",
    is_flag=True,
    help="List the runs deleted with `nbtrack rm` (and not yet purged by `nbtrack gc`) instead.",
)
@click.option(
    "--after",
    metavar="CURSOR",
    help="The next page: the runs after the page that printed this cursor (same --where, "
    "--sort, --experiment and --deleted).",
)
def runs(
    where: str | None,
    sweep: str | None,
    experiments: tuple[str, ...],
    sort: tuple[str, ...],
    limit: int | None,
    fmt: str,
    columns: tuple[str, ...],
    deleted: bool,
    after: str | None,
) -> None:
    """List runs, newest first, with filters and sorting."""
    from nbtrack.compare.listing import default_columns, parse_columns
    from nbtrack.config import listed_experiments, load_settings

    chosen = parse_columns(columns) if columns else None
    scope = listed_experiments(experiments, load_settings())
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    with _reader() as reader:
        if sweep is not None:
            from nbtrack.compare.sweeps import sweep_where

            where = sweep_where(reader, sweep, where)
            scope = scope if experiments else ()  # a sweep's id names its runs anywhere
        page = reader.run_page(
            where=where, sort=sort, limit=limit or None, deleted=deleted, after=after,
            experiment=scope,
        )  # fmt: skip
        listed = page.runs
        url = reader.url
    for column in chosen or ():
        if listed and not column.present_in(listed):
            echo_err(f"Warning: no listed run has {column}; its column is empty.")
    if fmt == "json":
        json.dump([summary_dict(r) for r in listed], sys.stdout, indent=2, allow_nan=False)
        print()
    elif fmt == "csv":
        _print_csv(listed, chosen)
    elif not listed:
        _print_nothing(where, url, deleted=deleted, scope=scope, after=after)
    else:
        shown = chosen if chosen is not None else default_columns(listed, where, sort)
        _print_table(page, shown, deleted=deleted)
    if fmt != "table" and page.next is not None:  # stdout stays the data alone
        echo_err(f"next page: --after {page.next}")


def _print_nothing(
    where: str | None, url: str, *, deleted: bool, scope: Sequence[str], after: str | None
) -> None:
    within = f" in experiment {', '.join(map(repr, scope))}" if scope else ""
    if after is not None:
        print("No more runs after this cursor.")
    elif deleted:
        match = f" matching --where {where!r}" if where else ""
        print(one_line(f"No deleted runs{within}{match}."))
    elif where:
        print(one_line(f"No runs{within} match --where {where!r}."))
    elif scope:
        print(one_line(f"No runs{within} in {url} (--experiment '*' lists every experiment)."))
    else:
        print(NO_RUNS_HINT.format(url=url))


# -- nbtrack show --------------------------------------------------------------


def run_dict(run: Run, reader: Reader | None = None) -> dict[str, Any]:
    """*run* as JSON data; with *reader*, each artifact also says where its file is."""
    import dataclasses

    data = dataclasses.asdict(run)
    if reader is not None:
        for artifact, item in zip(run.artifacts, data["artifacts"], strict=True):
            item["path"] = str(reader.artifact_path(artifact))
    data["status"] = run.status.value
    data["notebook"] = run.notebook
    data["duration"] = run.duration
    for key in ("started_at", "ended_at", "heartbeat_at", "deleted_at"):
        data[key] = iso(data[key])
    data["params"] = [
        {"key": p.key, "value": strict_json(p.value), "source": p.source.value} for p in run.params
    ]
    return dict(strict_json(data))


def _section(title: str) -> None:
    print()
    print(title)


def _line(text: str) -> None:
    """One line of ``show``: whatever the run carries (a branch, a command line) stays inert."""
    print(one_line(text))


def _print_header(run: Run) -> None:
    """The run's one-line facts, its tags and its note."""
    header = [
        ("id", run.id),
        ("name", one_line(run.name or "-")),
        ("status", run.status.value),
        ("notebook", one_line(run.notebook or "- (not a notebook, or its path was not found)")),
        ("experiment", one_line(run.experiment)),
        ("started", fmt_time(run.started_at)),
        ("ended", fmt_time(run.ended_at)),
        ("duration", duration_text(run.duration)),
    ]
    if run.deleted_at is not None:
        undo = f"`nbtrack restore {run.id[:8]}` brings it back"
        header.append(("deleted", f"{fmt_time(run.deleted_at)} ({undo})"))
    for label, value in header:
        _line(f"{label + ':':<9} {value}")
    if run.tags:
        tags = ", ".join(f"{k}={v}" for k, v in run.tags.items())
        _line(f"{'tags:':<10}{one_line(tags)}")
    if run.note:
        _section("Note")
        for text in run.note.splitlines():
            _line(f"  {text}")


def _print_run(run: Run, made_by: dict[str, Producer]) -> None:
    _print_header(run)
    if run.params:
        _section(f"Params ({len(run.params)})")
        print_table(
            ["key", "value", "source"],
            [[one_line(p.key), fmt_value(p.value), p.source.value] for p in run.params],
        )
    if run.metrics:
        _section(f"Metrics ({len(run.metrics)})")
        print_table(
            ["key", "last", "min", "max", "count", "last step"],
            [
                [
                    one_line(m.key),
                    fmt_value(m.last),
                    fmt_value(m.min),
                    fmt_value(m.max),
                    str(m.count),
                    "" if m.last_step is None else str(m.last_step),
                ]
                for m in run.metrics
            ],
        )
    if run.data:
        from nbtrack.compare.render_lineage import data_rows

        _section(f"Data ({len(run.data)})")
        print_table(["path", "kind", "version", "size", "made by"], data_rows(run.data, made_by))
    if run.artifacts:
        _print_artifacts(run)
    if run.events:
        _section(f"Events ({len(run.events)})")
        for e in run.events:
            detail = json.dumps(strict_json(e.detail), ensure_ascii=False) if e.detail else ""
            _line(f"  {fmt_time(e.timestamp)}  {e.kind}  {detail}".rstrip())
    git = run.git
    if git.commit or git.branch:
        _section("Git")
        dirty = {True: "dirty", False: "clean", None: "unknown"}[git.dirty]
        commit = git.commit or "(no commits yet)"
        _line(f"  commit {commit} on {git.branch or '(detached HEAD)'}, {dirty}")
        if git.diff:
            lines = len(git.diff.splitlines())
            cut = " (truncated)" if git.diff_truncated else ""
            _line(f"  diff of tracked changes: {lines} lines, {len(git.diff)} bytes{cut}")
    env = run.environment
    if env.python or env.platform:
        _section("Environment")
        _line(f"  python {env.python} on {env.platform}")
        _line(f"  {env.user or '?'}@{env.host or '?'} in {env.cwd or '?'}")
        _line(f"  {len(env.packages)} packages installed")
        if env.argv:
            _line(f"  command: {' '.join(env.argv)}")


def _print_artifacts(run: Run) -> None:
    """A row per artifact, but one per figure series: a figure logged at 100 steps is one
    row (its last step's type, size and digest) saying so; ``artifacts ls`` lists them all."""
    from nbtrack.compare.artifacts import series

    groups = {group.name: group for group in series(run.artifacts)}
    rows, shown = [], set()
    for a in run.artifacts:
        group = groups[a.name]
        if not group.steps:
            rows.append([one_line(a.name), a.media_type, str(a.size), a.digest[:19], ""])
        elif a.name not in shown:
            shown.add(a.name)
            last = group.last
            rows.append(
                [one_line(a.name), last.media_type, str(last.size), last.digest[:19],
                 group.summary()]
            )  # fmt: skip
    if not any(group.steps for group in groups.values()):
        _section(f"Artifacts ({len(run.artifacts)})")
        print_table(["name", "type", "size", "digest"], [row[:4] for row in rows])
        return
    _section(f"Artifacts ({len(run.artifacts)}; a figure's steps on one row)")
    print_table(["name", "type", "size", "digest", "steps"], rows)


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for tools (every field, artifact file paths included).",
)
def show(run_id: str, fmt: str) -> None:
    """Show one run: params, metrics, data, artifacts, git, env. RUN may be an id prefix."""
    from nbtrack.compare.lineage import producers

    with _reader() as reader:
        run = reader.run(run_id)
        made_by = producers(reader, run.data, exclude=run.id)
        data = run_dict(run, reader) if fmt == "json" else {}
    if fmt == "json":
        for ref, item in zip(run.data, data["data"], strict=True):
            maker = made_by.get(ref.digest) if ref.resolved else None
            item["made_by"] = None if maker is None else vars(maker)
        json.dump(data, sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        _print_run(run, made_by)
