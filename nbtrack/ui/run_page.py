"""``/runs/{run_id}``: one run (params, curves, figures, artifacts, code, git, env, events).

For: what ``nbtrack show`` tells about a run, as a page: the header (name,
full id, status, notebook, times, tags, note), params with their source,
metric summaries and curves (``<div class="nbtrack-chart">`` elements that
``static/charts.js`` draws), data refs, logged figures (image artifacts in
series a slider pages through), every artifact with a link, the notebook
snapshot as cells, git, environment and events (a failed cell with its code).
``static/run.js`` pages the figures and, while the run is RUNNING, polls
``/api/status`` for its status and last values.
Every value is handed to the template as plain text (autoescaped there).
Query: ``?metric=KEY`` (repeatable: only those curves), ``x=step|time|relative``,
``smooth=0..0.99`` (read by the charts), ``figure=NAME`` with ``step=N`` (each
repeatable, paired in order: the image a figure series shows when not its last,
``?figure=confusion_matrix.png&step=4``); a prefix of a run id redirects to
the full id, so a link always names one run.
Not for: SQL or comparisons (the compare layer's ``Reader`` and builders do them).
"""

from __future__ import annotations

import functools
import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.reader import Reader
    from nbtrack.model import Run, RunEvent

__all__ = ["MAX_CHARTS", "routes"]

#: curves drawn when the query names no metric (the others are a click away)
MAX_CHARTS = 24
#: runs of the same notebook offered to diff the code against
_DIFF_CHOICES = 30
#: lines of a failed cell shown beside its event
_CELL_LINES = 30


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/runs/{run_id}", run, name="run")]


def run(request: Request) -> Response:
    """The page of one run (a redirect to its full id when the URL names a prefix)."""
    from starlette.responses import RedirectResponse

    from nbtrack.ui.artifacts import run_figures
    from nbtrack.ui.state import reader_of
    from nbtrack.ui.templating import page

    reader = reader_of(request)
    asked = request.path_params["run_id"]
    found = reader.run(asked)
    if found.id != asked:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/runs/{found.id}{query}", status_code=307)
    charts, chart_problem = _charts(request, found)
    params = request.query_params
    figures, figure_data = run_figures(found, params.getlist("figure"), params.getlist("step"))
    cells, cells_problem = _cells(found)
    context = {
        "title": found.name or f"Run {found.id[:8]}",
        "nav": "runs",
        "run": found,
        "facts": _facts(found),
        "params": _params(found),
        "metrics": _metrics(found),
        "charts": charts,
        "chart_problem": chart_problem,
        "data_refs": _data_refs(found),
        "lineage": _lineage(reader, found),
        "artifacts": _artifacts(found),
        "series": figures,
        "cells": cells,
        "cells_problem": cells_problem,
        "note": lines(found.note),
        "failed_cells": sorted({n for e in found.events if (n := _event_cell(e)) is not None}),
        "git": _git(found),
        "environment": _environment(found),
        "events": _events(found, cells),
        "diff_choices": _diff_choices(reader, found),
        "page_data": {
            "run": found.id,
            "live": found.status.value == "RUNNING",
            "status": found.status.value,
            "started_at": found.started_at,
            # the server's local time is the page's (time_text): so is a time run.js writes
            "utc_offset": _utc_offset(found.started_at),
            "series": figure_data,
        },
    }
    return page(request, "run.html.j2", context)


def _utc_offset(at: float) -> float:
    """Seconds the server's local time is ahead of UTC (at time *at*)."""
    from datetime import datetime

    offset = datetime.fromtimestamp(at).astimezone().utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


# -- the query -------------------------------------------------------------------------


def _charts(request: Request, found: Run) -> tuple[list[str], str | None]:
    """The metric keys to chart, and a sentence about a ``metric`` the run does not have.

    A bad ``x`` or ``smooth`` is a 400 page naming the value.
    """
    from nbtrack.compare.curves import X_AXES
    from nbtrack.errors import UsageError

    query = request.query_params
    x = query.get("x", "step")
    if x not in X_AXES:
        raise UsageError(f"Unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    smooth = query.get("smooth", "0") or "0"
    try:
        amount = float(smooth)
    except ValueError:
        amount = math.nan
    if not 0.0 <= amount < 1.0:
        raise UsageError(f"Smoothing must be a number from 0 up to 0.99, not {smooth!r}.")
    keys = [m.key for m in found.metrics]
    asked = [k for k in query.getlist("metric") if k]
    if not asked:
        return keys[:MAX_CHARTS], None
    unknown = [k for k in asked if k not in keys]
    problem = None
    if unknown:
        have = ", ".join(repr(k) for k in keys[:20]) if keys else "no metrics"
        if len(keys) > 20:
            have += f" and {len(keys) - 20} more"
        names = ", ".join(repr(k) for k in unknown)
        problem = f"Run {found.id[:12]} has no metric {names}; it has {have}."
    return [k for k in dict.fromkeys(asked) if k in keys], problem


# -- the sections ----------------------------------------------------------------------


def _facts(found: Run) -> list[tuple[str, str]]:
    """The header's label/value lines, as ``nbtrack show`` prints them."""
    from nbtrack.compare.formatting import MISSING, duration_text, time_text

    facts = [
        ("notebook", found.notebook or "— (not a notebook, or its path was not found)"),
        ("experiment", found.experiment),
        ("started", time_text(found.started_at)),
        ("ended", time_text(found.ended_at) if found.ended_at is not None else MISSING),
        ("duration", duration_text(found.duration) or MISSING),
    ]
    if found.deleted_at is not None:
        facts.append(("deleted", f"{time_text(found.deleted_at)} (nbtrack restore brings it back)"))
    return facts


def lines(text: str | None) -> list[str]:
    """*text* as lines for a ``<pre>`` (tabs expanded): the template writes each line
    on its own, so the one-line rule of its ``finalize`` never folds a newline into ``\\n``."""
    return [line.expandtabs(4) for line in (text or "").splitlines()]


def value_text(value: Any) -> str:
    """A param value in full: strings as they are, floats every digit, the rest as JSON."""
    from nbtrack.compare.formatting import number

    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else number(value)
    from nbtrack.compare.formatting import strict_json

    return json.dumps(strict_json(value), ensure_ascii=False, default=str)


def _params(found: Run) -> list[dict[str, str]]:
    return [
        {"key": p.key, "value": value_text(p.value), "source": p.source.value} for p in found.params
    ]


def _metrics(found: Run) -> list[dict[str, Any]]:
    from nbtrack.compare.formatting import MISSING, number

    def cell(value: float, step: int | None = None) -> dict[str, Any]:
        at = f" @ step {step}" if step is not None else ""
        return {
            "text": number(value),
            "exact": (repr(value) if math.isfinite(value) else number(value)) + at,
            "finite": math.isfinite(value),
            "step": step,
        }

    return [
        {
            "key": m.key,
            "last": cell(m.last, m.last_step),
            "min": cell(m.min, m.min_step),
            "max": cell(m.max, m.max_step),
            "count": m.count,
            "last_step": MISSING if m.last_step is None else str(m.last_step),
        }
        for m in found.metrics
    ]


def _data_refs(found: Run) -> list[dict[str, str]]:
    from nbtrack.compare.formatting import MISSING
    from nbtrack.vcs.engine import format_size

    return [
        {
            "path": d.path,
            "kind": d.kind,
            "digest": d.digest,
            "size": MISSING if d.size is None else format_size(d.size),
        }
        for d in found.data
    ]


def _lineage(reader: Reader, found: Run) -> dict[str, list[dict[str, str]]]:
    """The runs one step up (they made what this run read) and down (they read what it
    made), each with the data linking them: what ``nbtrack lineage --depth 1`` tells."""
    from nbtrack.compare.lineage import lineage
    from nbtrack.compare.render_lineage import short_digest

    graph = lineage(reader, found.id, depth=1)
    runs = {f"run:{r.id}": r for r in graph.runs}
    into: dict[str, list[Any]] = {}
    for edge in graph.edges:
        into.setdefault(edge.target, []).append(edge)

    def row(other: str, made: Any, read: Any) -> dict[str, str]:
        node = runs[other]
        return {
            "id": node.id,
            "label": f"{node.id[:8]} {node.name or ''}".rstrip(),
            "status": node.status,
            "artifact": made.name,
            "read_as": read.name,
            "digest": short_digest(made.target.removeprefix("data:")),
        }

    me = f"run:{found.id}"
    up, down = [], []
    # a run that wrote bytes equal to what it read is not its own upstream or downstream
    for read in into.get(me, []):
        up += [row(made.source, made, read) for made in into.get(read.source, [])
               if made.source != me]  # fmt: skip
    for made in (e for e in graph.edges if e.source == me):
        down += [row(read.target, made, read) for read in graph.edges
                 if read.source == made.target and read.target != me]  # fmt: skip
    return {"upstream": up, "downstream": down}


def _artifacts(found: Run) -> list[dict[str, Any]]:
    """One row per name (what a link by name serves: its latest step, else its last
    logged), in the order those were logged; a figure's steps are counted in ``steps``."""
    from nbtrack.compare.artifacts import series
    from nbtrack.ui.artifacts import INLINE_TYPES, artifact_url
    from nbtrack.vcs.engine import format_size

    groups = sorted(series(found.artifacts), key=lambda g: (g.last.logged_at, g.name))
    return [
        {
            "name": g.name,
            "url": artifact_url(found.id, g.name, g.last.digest),
            "type": g.last.media_type,
            "size": format_size(g.last.size),
            "digest": g.last.digest,
            "inline": g.last.media_type in INLINE_TYPES,
            "steps": g.summary(),
        }
        for g in groups
    ]


def _cells(found: Run) -> tuple[list[dict[str, Any]], str | None]:
    """The notebook snapshot as cells, or a sentence saying why there are none."""
    from nbtrack.errors import NbtrackError

    snapshot = found.source.snapshot
    if not snapshot:
        return [], "No code snapshot was stored for this run."
    try:
        parsed = _snapshot_cells(snapshot)
    except NbtrackError as exc:
        return [{"number": 1, "type": "raw", "lines": lines(snapshot)}], str(exc)
    return [{"number": n, "type": kind, "lines": list(text)} for n, kind, text in parsed], None


@functools.lru_cache(maxsize=64)
def _snapshot_cells(snapshot: str) -> tuple[tuple[int, str, tuple[str, ...]], ...]:
    """``compare.code.snapshot_cells`` of *snapshot*, kept: jupytext validates every cell
    (a 300-cell notebook costs about 0.3 s), and the runs of one notebook often share
    their code, so each snapshot is read once."""
    from nbtrack.compare.code import snapshot_cells

    notebook = snapshot_cells(snapshot, "this run")
    return tuple((c.number, c.cell_type, tuple(lines(c.source))) for c in notebook.cells)


def _event_cell(event: RunEvent) -> int | None:
    cell = event.detail.get("cell")
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def _events(found: Run, cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event: when, what, its cell (with the cell's code when it failed) and its message."""
    from nbtrack.compare.formatting import strict_json, time_text

    sources = {c["number"]: c["lines"] for c in cells}
    shown = []
    for event in found.events:
        detail = dict(event.detail)
        number = _event_cell(event)
        message = detail.pop("message", None) or detail.pop("error", None)
        if "exception" in detail:
            message = f"{detail.pop('exception')}: {message or ''}".rstrip(": ")
        detail.pop("cell", None)
        code = sources.get(number) if number is not None else None
        if code is not None and len(code) > _CELL_LINES:
            code = [*code[:_CELL_LINES], f"... ({len(code) - _CELL_LINES} more lines)"]
        shown.append(
            {
                "time": time_text(event.timestamp),
                "kind": event.kind,
                "cell": number,
                "code": code,
                "message": message if isinstance(message, str) else None,
                "detail": json.dumps(strict_json(detail), ensure_ascii=False) if detail else "",
            }
        )
    return shown


def _git(found: Run) -> dict[str, Any] | None:
    from nbtrack.config import mask_url

    git = found.git
    if not (git.commit or git.branch or git.remote or git.diff):
        return None
    return {
        "commit": git.commit or "(no commits yet)",
        "branch": git.branch or "(detached HEAD)",
        "dirty": {True: "dirty", False: "clean", None: "unknown"}[git.dirty],
        "remote": mask_url(git.remote) if git.remote else None,
        "root": git.root,
        "diff": [(_diff_class(line), line) for line in lines(git.diff)],
        "diff_lines": len(git.diff.splitlines()) if git.diff else 0,
        "truncated": git.diff_truncated,
    }


def _diff_class(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "file"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "")


def _environment(found: Run) -> dict[str, Any] | None:
    env = found.environment
    if not (env.python or env.platform or env.packages):
        return None
    return {
        "python": env.python,
        "platform": env.platform,
        "where": f"{env.user or '?'}@{env.host or '?'} in {env.cwd or '?'}",
        "command": " ".join(env.argv),
        "packages": sorted(env.packages.items(), key=lambda kv: kv[0].lower()),
    }


def _diff_choices(reader: Reader, found: Run) -> dict[str, Any]:
    """Runs to diff this run's code against: the same notebook's newest runs, the one
    just before this run chosen (else the newest other)."""
    from nbtrack.errors import NbtrackError

    where = None
    if found.notebook:
        quoted = found.notebook.replace("\\", "\\\\").replace('"', '\\"')
        where = f'notebook = "{quoted}"'
    try:
        listed = reader.runs(where=where, sort=["-started"], limit=_DIFF_CHOICES + 1)
    except NbtrackError:  # a path the query language cannot carry: offer the newest runs
        listed = reader.runs(sort=["-started"], limit=_DIFF_CHOICES + 1)
    others = [r for r in listed if r.id != found.id][:_DIFF_CHOICES]
    before = [r for r in others if r.started_at <= found.started_at]
    chosen = before[0] if before else (others[0] if others else None)
    return {
        "same_notebook": where is not None,
        "chosen": chosen.id if chosen else None,
        "runs": [{"id": r.id, "label": f"{r.id[:8]} {r.name or ''}".rstrip()} for r in others],
    }
