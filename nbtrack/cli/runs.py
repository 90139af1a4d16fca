"""``nbtrack runs`` and ``nbtrack show``: read the run store and render it.

For: parsing the options, asking the store (which does the filtering, sorting
and limiting in SQL), choosing the few param/metric columns worth a glance,
and rendering a table, JSON or CSV. Not for: any query logic of its own.

Output conventions: the table shows 20 runs unless ``--limit`` says otherwise
(``--limit 0`` = all) and ends with a line saying how many more there are;
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
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from nbtrack.cli._output import is_tty, print_table
from nbtrack.printable import printable

if TYPE_CHECKING:
    from nbtrack.model import Run, RunSummary
    from nbtrack.store.base import Store

__all__ = ["runs", "show"]

TABLE_LIMIT = 20
MAX_PARAM_COLUMNS = 3
MAX_METRIC_COLUMNS = 3
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


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


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


def jsonable(value: Any) -> Any:
    """*value* with non-finite floats as strings, ready for strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def _open_store() -> Store:
    from nbtrack.store import open_store

    return open_store(create=False)


# -- nbtrack runs --------------------------------------------------------------


def _mentioned(where: str | None, sort: Sequence[str], namespace: str) -> list[str]:
    """Keys of *namespace* the user filtered or sorted on, in order of mention.

    Read by the query parser, so quoted keys (``params."my key"``) are the keys
    the store matched; the store has parsed both already, so they are valid.
    """
    from nbtrack.store.query import fields_of, parse_sort, parse_where

    fields = fields_of(parse_where(where)) if where else []
    fields += [parse_sort(spec).field for spec in sort]
    return list(dict.fromkeys(f.key for f in fields if f.namespace == namespace))


def key_columns(
    listed: Sequence[RunSummary], where: str | None, sort: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The params and metrics worth a column: the ones mentioned, then the ones that vary.

    Params that have the same value in every listed run say nothing about the
    difference between runs, so they are left out; metrics are ranked by how
    many runs have them.
    """
    params = _mentioned(where, sort, "params")
    values: dict[str, set[str]] = {}
    for run in listed:
        for key, value in run.params.items():
            values.setdefault(key, set()).add(json.dumps(value, sort_keys=True, default=str))
    present = Counter(k for run in listed for k in run.params)
    varying = sorted(
        (
            k
            for k, v in values.items()
            if len(v) > 1 or present[k] < len(listed) or len(listed) == 1
        ),
        key=lambda k: (-present[k], k),
    )
    params += [k for k in varying if k not in params]
    metrics = _mentioned(where, sort, "metrics")
    counts = Counter(k for run in listed for k in run.metrics)
    metrics += [
        k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if k not in metrics
    ]
    return params[:MAX_PARAM_COLUMNS], metrics[:MAX_METRIC_COLUMNS]


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
        "params": jsonable(run.params),
        "metrics": jsonable(run.metrics),
        "tags": run.tags,
    }


def _csv_value(value: Any) -> str:
    # CSV quotes line breaks itself: a string param stays exactly as logged
    return value if isinstance(value, str) else fmt_value(value)


def _print_csv(listed: Sequence[RunSummary]) -> None:
    param_keys = sorted({k for r in listed for k in r.params})
    metric_keys = sorted({k for r in listed for k in r.metrics})
    tag_keys = sorted({k for r in listed for k in r.tags})
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(
        ["id", "name", "status", "notebook", "started_at", "ended_at", "duration"]
        + [f"params.{k}" for k in param_keys]
        + [f"metrics.{k}" for k in metric_keys]
        + [f"tags.{k}" for k in tag_keys]
    )
    for r in listed:
        writer.writerow(
            [r.id, r.name or "", r.status.value, r.notebook or "", iso(r.started_at)]
            + [iso(r.ended_at) or "", "" if r.duration is None else f"{r.duration:.3f}"]
            + [_csv_value(r.params[k]) if k in r.params else "" for k in param_keys]
            + [repr(r.metrics[k]) if k in r.metrics else "" for k in metric_keys]
            + [r.tags.get(k, "") for k in tag_keys]
        )


#: narrowest the name and notebook columns get before param/metric columns go
_SHRINK_TO = {1: 10, 3: 12}  # column index -> cells


def _clip(text: str, cells: int, *, keep_end: bool) -> str:
    """*text* cut to *cells* terminal cells with an ellipsis (a path keeps its end)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= cells:
        return text
    if keep_end:
        tail = set_cell_size(text[::-1], cells - 1)[::-1].lstrip()
        return "…" + tail
    return set_cell_size(text, cells - 1).rstrip() + "…"


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


def _fit_width(
    columns: list[str], rows: list[list[str]], width: int
) -> tuple[list[str], list[list[str]]]:
    """Make the table fit a terminal of *width* cells without folding a cell.

    A folded run id or status is hard to read and copy, so the name and
    notebook are clipped first (the notebook keeps its file name) and only
    when that is not enough do the last metric, then param columns go.
    """
    from rich.cells import cell_len

    def needed(cells: list[str], i: int, table: list[list[str]]) -> int:
        # rich pads each cell by one on both sides and draws one rule per column
        return max(cell_len(cells[i]), *(cell_len(row[i]) for row in table)) + 3

    for keep in range(len(columns), 5, -1):
        heads, table = columns[:keep], [row[:keep] for row in rows]
        excess = sum(needed(heads, i, table) for i in range(keep)) + 1 - width
        for index, floor in _SHRINK_TO.items():
            if excess <= 0:
                break
            before = needed(heads, index, table)
            target = max(floor, before - 3 - excess, cell_len(heads[index]))
            for row in table:
                row[index] = _clip(row[index], target, keep_end=index == 3)
            excess -= before - needed(heads, index, table)
        if excess <= 0:
            break
    return heads, table


def _print_table(
    listed: Sequence[RunSummary], where: str | None, sort: Sequence[str], more: int
) -> None:
    params, metrics = key_columns(listed, where, sort)
    columns = ["id", "name", "status", "notebook", "started", "duration"]
    columns += [one_line(f"params.{k}") for k in params]
    columns += [one_line(f"metrics.{k}") for k in metrics]
    rows = [
        [
            r.id[:8],
            one_line(r.name or ""),
            r.status.value,
            one_line(r.notebook or ""),
            fmt_time(r.started_at),
            fmt_duration(r.duration),
            *[fmt_value(r.params[k]) if k in r.params else "" for k in params],
            *[fmt_value(r.metrics[k]) if k in r.metrics else "" for k in metrics],
        ]
        for r in listed
    ]
    if is_tty():
        for row in rows:
            row[3] = _near(row[3])
        columns, rows = _fit_width(columns, rows, shutil.get_terminal_size().columns)
    print_table(columns, rows)
    if more > 0:
        print(f"... and {more} more run{'s' if more != 1 else ''} (--limit 0 lists all).")


@click.command()
@click.option(
    "--where",
    "-w",
    metavar="EXPR",
    help='Filter, e.g. "params.lr < 0.1 and metrics.val_acc > 0.9 and status = FINISHED". '
    "Fields: params.KEY, metrics.KEY (last value), tags.KEY, status, name, notebook, id, "
    "started, ended, user, host, branch, commit; and/or/not, parentheses.",
)
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
)
def runs(where: str | None, sort: tuple[str, ...], limit: int | None, fmt: str) -> None:
    """List runs, newest first, with filters and sorting."""
    if limit is None:
        limit = TABLE_LIMIT if fmt == "table" else 0
    with _open_store() as store:
        listed, total = store.list_page(where=where, sort=sort, limit=limit or None)
        more = total - len(listed)
        url = store.schema_status()["url"] if not listed and fmt == "table" else ""
    if fmt == "json":
        json.dump([summary_dict(r) for r in listed], sys.stdout, indent=2, allow_nan=False)
        print()
    elif fmt == "csv":
        _print_csv(listed)
    elif not listed:
        if where:
            print(f"No runs match --where {where!r}.")
        else:
            print(NO_RUNS_HINT.format(url=url))
    else:
        _print_table(listed, where, sort, more)


# -- nbtrack show --------------------------------------------------------------


def run_dict(run: Run, store: Store | None = None) -> dict[str, Any]:
    """*run* as JSON data; with *store*, each artifact also says where its file is."""
    import dataclasses

    data = dataclasses.asdict(run)
    if store is not None:
        for artifact, item in zip(run.artifacts, data["artifacts"], strict=True):
            item["path"] = str(store.artifact_path(artifact))
    data["status"] = run.status.value
    data["notebook"] = run.notebook
    data["duration"] = run.duration
    for key in ("started_at", "ended_at", "heartbeat_at"):
        data[key] = iso(data[key])
    data["params"] = [
        {"key": p.key, "value": jsonable(p.value), "source": p.source.value} for p in run.params
    ]
    return dict(jsonable(data))


def _section(title: str) -> None:
    print()
    print(title)


def _line(text: str) -> None:
    """One line of ``show``: whatever the run carries (a branch, a command line) stays inert."""
    print(one_line(text))


def _print_run(run: Run) -> None:
    header = [
        ("id", run.id),
        ("name", one_line(run.name or "-")),
        ("status", run.status.value),
        ("notebook", one_line(run.notebook or "- (not a notebook, or its path was not found)")),
        ("started", fmt_time(run.started_at)),
        ("ended", fmt_time(run.ended_at)),
        ("duration", fmt_duration(run.duration)),
    ]
    for label, value in header:
        _line(f"{label + ':':<10}{value}")
    if run.tags:
        tags = ", ".join(f"{k}={v}" for k, v in run.tags.items())
        _line(f"{'tags:':<10}{one_line(tags)}")
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
        _section(f"Data ({len(run.data)})")
        print_table(
            ["path", "kind", "digest", "size"],
            [
                [one_line(d.path), d.kind, d.digest[:19], "" if d.size is None else str(d.size)]
                for d in run.data
            ],
        )
    if run.artifacts:
        _section(f"Artifacts ({len(run.artifacts)})")
        print_table(
            ["name", "type", "size", "digest"],
            [[one_line(a.name), a.media_type, str(a.size), a.digest[:19]] for a in run.artifacts],
        )
    if run.events:
        _section(f"Events ({len(run.events)})")
        for e in run.events:
            detail = json.dumps(jsonable(e.detail), ensure_ascii=False) if e.detail else ""
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


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def show(run_id: str, fmt: str) -> None:
    """Show one run: params, metrics, data, artifacts, git, env. RUN may be an id prefix."""
    with _open_store() as store:
        run = store.get_run(run_id)
        data = run_dict(run, store) if fmt == "json" else {}
    if fmt == "json":
        json.dump(data, sys.stdout, indent=2, allow_nan=False)
        print()
    else:
        _print_run(run)
