"""``/api/...``: the JSON the pages' scripts fetch.

For: downsampled metric series (at most 2,000 points a series, the database
picking each bucket's extremes through ``Reader.extremes``: see
:mod:`nbtrack.compare.series`) and runs' status for live updates.

* ``GET /api/series?run=ID&run=ID&metric=KEY&x=step|time|relative&points=N``:
  ``{"metric", "x", "x_label", "runs": [{"run", "label", "name", "status",
  "live", "points", "shown", "downsampled", "x_is_order", "xs", "ys",
  "posinf", "neginf"}]}``. ``ys`` holds ``null`` where the run logged NaN
  and where it logged ±inf (a gap: no axis holds them); the x of each ±inf
  point is listed in ``posinf`` / ``neginf`` so a chart marks it at the top
  or bottom edge. ``points`` (default 1,000) is capped at 2,000. A run that
  never logged the metric has empty ``xs``/``ys``.
* ``GET /api/status?run=ID&run=ID``: ``{"runs": [{"run", "status", "live",
  "ended_at", "last_step", "metrics": {KEY: {"last", "count", "last_step"}}}]}``;
  a RUNNING run whose heartbeat is stale reads CRASHED, as ``nbtrack runs``
  shows it; non-finite last values are the strings ``"NaN"``, ``"Infinity"``.

Labels, names and the metric are text a person reads: control characters
come as escapes (``printable``: ESC as ``\\x1b``), as the pages show them.
The JSON is strict (no ``NaN`` token). A bad query is a 400 and an unknown
run a 404, each ``{"error": one sentence}`` (``app``'s error handler).
Not for: pages (the ``*_page`` modules) or downsampling rules (the compare layer).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from nbtrack.ui.state import reader_of

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.series import RunSeries

__all__ = ["DEFAULT_POINTS", "routes"]

#: points a series keeps when the query does not say
DEFAULT_POINTS = 1000


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [
        Route("/api/series", series, name="api-series"),
        Route("/api/status", status, name="api-status"),
    ]


def series(request: Request) -> Response:
    """The series of one metric of the runs the query names."""
    from nbtrack.compare.curves import X_AXES, time_unit
    from nbtrack.compare.series import MAX_SERIES_POINTS, metric_series
    from nbtrack.errors import UsageError
    from nbtrack.printable import printable

    query = request.query_params
    run_ids = _run_ids(request, "/api/series?run=ID&metric=KEY")
    metric = query.get("metric", "")
    if not metric:
        raise UsageError("Name the metric to chart: /api/series?run=ID&metric=KEY.")
    x = query.get("x", "step")
    if x not in X_AXES:
        raise UsageError(f"Unknown x axis {x!r}: use one of {', '.join(X_AXES)}.")
    points = min(_points(query.get("points")), MAX_SERIES_POINTS)
    drawn = metric_series(reader_of(request), run_ids, metric, x=x, max_points=points)
    label: str = x
    if x == "relative":
        span = max((float(s.xs[-1] - s.xs[0]) for s in drawn if len(s.xs)), default=0.0)
        label = f"time since the run started ({time_unit(span)[0]})"
    elif x == "step" and any(s.x_is_order for s in drawn):
        label = "step (points without a step: order logged)"
    body = {
        "metric": printable(metric),
        "x": x,
        "x_label": label,
        "runs": [_run_json(s) for s in drawn],
    }
    return _json(body)


def status(request: Request) -> Response:
    """Status, end and last values of the runs the query names (for live charts)."""
    from nbtrack.compare.formatting import strict_json
    from nbtrack.model import RunStatus

    reader = reader_of(request)
    listed = []
    for run_id in dict.fromkeys(_run_ids(request, "/api/status?run=ID")):
        run = reader.run(run_id)
        steps = [m.last_step for m in run.metrics if m.last_step is not None]
        listed.append(
            {
                "run": run.id,
                "status": run.status.value,
                "live": run.status is RunStatus.RUNNING,
                "ended_at": run.ended_at,
                "last_step": max(steps, default=None),
                "metrics": {
                    m.key: {"last": strict_json(m.last), "count": m.count, "last_step": m.last_step}
                    for m in run.metrics
                },
            }
        )
    return _json({"runs": listed})


def _run_ids(request: Request, example: str) -> list[str]:
    from nbtrack.errors import UsageError

    ids = [value for value in request.query_params.getlist("run") if value]
    if not ids:
        raise UsageError(f"Name at least one run: {example}.")
    return ids


def _points(text: str | None) -> int:
    """The ``points`` query value: a whole number >= 2 (the default when absent)."""
    from nbtrack.errors import UsageError

    if text is None or text == "":
        return DEFAULT_POINTS
    try:
        points = int(text)
    except ValueError:
        points = 0
    if points < 2:
        raise UsageError(f"points must be a whole number of at least 2, not {text!r}.")
    return points


def _run_json(drawn: RunSeries) -> dict[str, Any]:
    from nbtrack.model import RunStatus
    from nbtrack.printable import printable

    xs: list[float] = drawn.xs.tolist()
    ys: list[float] = drawn.ys.tolist()
    if drawn.xs.dtype.kind == "f" and all(x.is_integer() for x in xs):
        xs = [int(x) for x in xs]  # steps: "12" is shorter than "12.0"
    return {
        "run": drawn.run_id,
        "label": printable(drawn.label),
        "name": None if drawn.name is None else printable(drawn.name),
        "status": drawn.status.value,
        "live": drawn.status is RunStatus.RUNNING,
        "points": drawn.points,
        "shown": len(ys),
        "downsampled": drawn.downsampled,
        "x_is_order": drawn.x_is_order,
        "xs": xs,
        "ys": [y if math.isfinite(y) else None for y in ys],
        "posinf": [x for x, y in zip(xs, ys, strict=True) if y == math.inf],
        "neginf": [x for x, y in zip(xs, ys, strict=True) if y == -math.inf],
    }


def _json(body: dict[str, Any]) -> Response:
    from starlette.responses import Response

    text = json.dumps(body, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return Response(text, media_type="application/json", headers={"cache-control": "no-store"})
