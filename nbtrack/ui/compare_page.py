"""``/compare``: runs side by side (curves overlaid, params that differ, deltas, code diff).

For: ``/compare?run=ID&run=ID...`` with ``&baseline=ID`` (default: the first
run), ``&metric=KEY`` (repeatable; default: every metric), ``&all=1`` (every
param, not only those that differ), ``&maximize=KEY``/``&minimize=KEY`` (a
direction the name rule does not know) and the charts' ``&x=``/``&smooth=``.
The comparison is :func:`nbtrack.compare.comparison.compare_runs`'s; this
module turns it into the page's rows and links. Ids given as prefixes, or
several in one ``run=`` (spaces or commas), are redirected to the same view
with one full id per ``run=``, so a shared link keeps naming the same runs as
more are added. Without runs the page lists the newest runs to pick from.
Not for: SQL or comparisons (the compare layer's ``Reader`` and builders do them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.comparison import Comparison
    from nbtrack.compare.comparison_model import MetricRow, MetricStats, RunHeader
    from nbtrack.compare.reader import Reader

__all__ = ["ComparePage", "parse_compare_query", "routes"]

#: how many of the newest runs the page without runs offers to pick from
PICK_LIMIT = 50
X_AXES = ("step", "time", "relative")
_SPLIT = re.compile(r"[\s,]+")


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/compare", compare, name="compare")]


@dataclass(frozen=True)
class ComparePage:
    """What a ``/compare`` URL asks for (ids as given: full ids or prefixes)."""

    runs: tuple[str, ...]
    baseline: str | None = None
    metrics: tuple[str, ...] = ()
    all_params: bool = False
    maximize: tuple[str, ...] = ()
    minimize: tuple[str, ...] = ()
    x: str | None = None
    smooth: str | None = None

    def query(self) -> str:
        """The query string of this view (``run=...&run=...&baseline=...``)."""
        pairs: list[tuple[str, str]] = [("run", r) for r in self.runs]
        if self.baseline:
            pairs.append(("baseline", self.baseline))
        pairs += [("metric", m) for m in self.metrics]
        if self.all_params:
            pairs.append(("all", "1"))
        pairs += [("maximize", m) for m in self.maximize]
        pairs += [("minimize", m) for m in self.minimize]
        if self.x:
            pairs.append(("x", self.x))
        if self.smooth:
            pairs.append(("smooth", self.smooth))
        return urlencode(pairs)

    def url(self, **changes: Any) -> str:
        from dataclasses import replace

        return "/compare?" + replace(self, **changes).query()


def parse_compare_query(query: QueryParams) -> ComparePage:
    """The view a query asks for; ``UsageError`` names a bad ``all``, ``x`` or ``smooth``."""
    from nbtrack.errors import UsageError

    def words(key: str) -> tuple[str, ...]:
        return tuple(w for value in query.getlist(key) for w in _SPLIT.split(value) if w)

    flag = query.get("all", "")
    if flag not in ("", "0", "1"):
        raise UsageError(f"all={flag!r} is not 0 or 1 (all=1 shows every param)")
    x = query.get("x") or None
    if x is not None and x not in X_AXES:
        raise UsageError(f"x={x!r} is not one of step, time, relative")
    smooth = query.get("smooth") or None
    if smooth is not None:
        try:
            ok = 0 <= float(smooth) <= 0.99
        except ValueError:
            ok = False
        if not ok:
            raise UsageError(f"smooth={smooth!r} is not a number from 0 to 0.99")
    baseline = query.get("baseline", "").strip() or None
    return ComparePage(
        runs=words("run"),
        baseline=baseline,
        metrics=tuple(dict.fromkeys(query.getlist("metric"))),
        all_params=flag == "1",
        maximize=words("maximize"),
        minimize=words("minimize"),
        x=x,
        smooth=smooth,
    )


def compare(request: Request) -> Response:
    from dataclasses import replace

    from starlette.responses import RedirectResponse

    from nbtrack.compare.comparison import compare_runs
    from nbtrack.errors import UsageError
    from nbtrack.ui.state import reader_of
    from nbtrack.ui.templating import page

    reader = reader_of(request)
    asked = parse_compare_query(request.query_params)
    if not asked.runs:
        return page(request, "compare.html.j2", _picker(reader, asked))
    full = tuple(reader.resolve(run) for run in asked.runs)
    twice = next((run for k, run in enumerate(full) if run in full[:k]), None)
    if twice is not None:
        raise UsageError(f"run {twice[:8]} is given twice; give each run once")
    baseline = reader.resolve(asked.baseline) if asked.baseline else None
    if baseline is not None and baseline not in full:
        raise UsageError(
            f"baseline {asked.baseline!r} is not one of the compared runs; "
            "give it as a run= too, or leave baseline out (the first run is the baseline)"
        )
    canonical = replace(asked, runs=full, baseline=baseline)
    if canonical != asked or _repeated_scalars(request.query_params):
        return RedirectResponse(canonical.url(), status_code=302)
    base = baseline or full[0]
    ordered = [base, *(run for run in full if run != base)]
    comparison = compare_runs(
        reader,
        ordered,
        all_params=asked.all_params,
        maximize=asked.maximize,
        minimize=asked.minimize,
    )
    return page(request, "compare.html.j2", _view(comparison, canonical))


def _chosen(c: Comparison, asked: Sequence[str]) -> list[MetricRow]:
    """The metric rows *asked* names, in its order (every row when it names none)."""
    from nbtrack.errors import MetricError

    rows = {row.key: row for row in c.metrics}
    for key in asked:
        if key not in rows:
            known = ", ".join(rows) if rows else "none"
            raise MetricError(
                f"none of the compared runs logged a metric {key!r} (their metrics: {known})",
                key=key,
            )
    return [rows[key] for key in asked] if asked else list(c.metrics)


def _repeated_scalars(query: QueryParams) -> bool:
    """A key that takes one value given several times (``baseline=a&baseline=b``)."""
    return any(len(query.getlist(key)) > 1 for key in ("baseline", "all", "x", "smooth"))


def _picker(reader: Reader, asked: ComparePage) -> dict[str, Any]:
    """The page without runs: the newest runs, to tick and compare."""
    from nbtrack.compare.formatting import time_text

    listed = reader.runs(limit=PICK_LIMIT)
    runs = [
        {
            "id": run.id,
            "short": run.id[:8],
            "name": run.name or "",
            "notebook": run.notebook or "",
            "status": run.status.value,
            "started": time_text(run.started_at),
        }
        for run in listed
    ]
    return {"title": "Compare", "nav": "compare", "picker": runs, "view": None,
            "limit": PICK_LIMIT}  # fmt: skip


def _view(c: Comparison, view: ComparePage) -> dict[str, Any]:
    """The template's values: every string plain text (the template escapes it)."""
    ids = [run.id for run in c.runs]
    rows = _chosen(c, view.metrics)
    metrics = [row.key for row in rows]
    return {
        "title": f"Compare {len(c.runs)} runs",
        "nav": "compare",
        "picker": None,
        "view": view,
        "baseline": _run(c.runs[0], 0, view, c.runs[0].id),
        "runs": [_run(run, i, view, c.runs[0].id) for i, run in enumerate(c.runs)],
        "params": _params(c),
        "all_params": c.all_params,
        "all_url": view.url(all_params=not c.all_params),
        "metrics": [_metric(row, view) for row in rows],
        "data": _data(c),
        "packages": _packages(c),
        "code": _code(c),
        "charts": {
            "metrics": metrics,
            "all_metrics": [row.key for row in c.metrics],
            "runs": " ".join(ids),
        },
        "chosen": list(view.metrics),
        "data_json": {"runs": ids, "baseline": ids[0], "metrics": metrics},
    }


def _run(run: RunHeader, index: int, view: ComparePage, baseline: str) -> dict[str, Any]:
    from nbtrack.compare.formatting import MISSING, commit_text, duration_text, time_text

    others = tuple(r for r in view.runs if r != run.id)
    return {
        "id": run.id,
        "label": run.label,
        "name": run.name or "",
        "short": run.short_id,
        "baseline": index == 0,
        "status": run.status,
        "notebook": run.notebook or MISSING,
        "started": time_text(run.started_at),
        "duration": duration_text(run.duration) or MISSING,
        "commit": commit_text(run),
        "dirty": bool(run.git_dirty),
        "python": run.python or MISSING,
        "href": f"/runs/{run.id}",
        "baseline_url": view.url(baseline=run.id),
        "remove_url": view.url(
            runs=others, baseline=None if view.baseline == run.id else view.baseline
        )
        if len(others) >= 2
        else None,
        "diff_url": None if index == 0 else f"/diff?{urlencode({'a': baseline, 'b': run.id})}",
    }


def _params(c: Comparison) -> list[dict[str, Any]]:
    from nbtrack.compare.formatting import MISSING, param_text

    return [
        {
            "key": row.key,
            "cells": [
                {
                    "text": param_text(cell.value) if cell.present else MISSING,
                    "changed": cell.changed,
                    "missing": not cell.present,
                }
                for cell in row.cells
            ],
        }
        for row in c.params
    ]


def _metric(row: MetricRow, view: ComparePage) -> dict[str, Any]:
    unknown = row.direction is None
    asked = {"maximize": " (as asked)", "minimize": " (as asked)"}
    direction = f"{row.direction}{asked.get(row.direction_source, '')}" if row.direction else "?"
    return {
        "key": row.key,
        "direction": direction,
        "unknown": unknown,
        "maximize_url": view.url(maximize=(*view.maximize, row.key)) if unknown else None,
        "minimize_url": view.url(minimize=(*view.minimize, row.key)) if unknown else None,
        "cells": [_stats(stats) for stats in row.runs],
    }


def _stats(stats: MetricStats | None) -> dict[str, Any] | None:
    from nbtrack.compare.formatting import best_text, delta_text, number

    if stats is None:
        return None
    return {
        "last": number(stats.last),
        "last_delta": delta_text(stats.delta_last, stats.relative_last),
        "verdict": stats.verdict or "",
        "best": best_text(stats) if stats.best is not None else None,
        "best_delta": delta_text(stats.delta_best, stats.relative_best),
        "verdict_best": stats.verdict_best or "",
        "range": f"{number(stats.min)} .. {number(stats.max)}",
        "count": stats.count,
    }


def _data(c: Comparison) -> list[dict[str, Any]]:
    labels = {"same": "same", "changed": "changed", "partial": "only in some runs"}
    return [
        {
            "path": row.path,
            "status": labels[row.status],
            "changed": row.status != "same",
            "digests": [d[:15] if d else None for d in row.digests],
        }
        for row in c.data
    ]


def _packages(c: Comparison) -> list[dict[str, Any]]:
    return [{"name": row.name, "versions": list(row.versions)} for row in c.packages]


def _code(c: Comparison) -> list[dict[str, Any]]:
    """Each run's code against the baseline's, the diff as vcs's side-by-side HTML."""
    from markupsafe import Markup

    from nbtrack.printable import printable
    from nbtrack.vcs.diffmodel import DiffResult
    from nbtrack.vcs.render_html import diff_body

    changes = []
    for change in c.code:
        run = c.runs[change.run]
        item: dict[str, Any] = {
            "label": run.label,
            "href": f"/runs/{run.id}",
            "diff_url": "/diff?" + urlencode({"a": c.runs[0].id, "b": run.id}),
            "note": change.note,
            "same": change.same,
            "summary": "",
            "html": None,
        }
        if change.diff is not None and not change.same:
            nb = change.diff
            result = DiffResult(nb.old_label, nb.new_label, (nb,))
            item["summary"] = nb.headline()
            # vcs's renderer escapes every string of the notebooks (html.escape); a control
            # character (a terminal escape in a source) is then shown as its escape, as text
            item["html"] = Markup(printable(diff_body(result), lines=True, tabs=True))
        changes.append(item)
    return changes
