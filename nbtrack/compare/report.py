"""The static report: one self-contained HTML file about a set of runs.

For: ``nbtrack report`` (and later the web UI's "download report"). One page
with the runs table, the comparison against the first run (the baseline),
the metric curves as inline SVG, the figures each run logged and the
notebook code diff, built from what :class:`~nbtrack.compare.reader.Reader`
returns. The file opens anywhere, offline, and asks the network for nothing:
no script, no font, stylesheet or image by URL (figures are ``data:`` URIs);
a Content-Security-Policy meta tag makes the browser refuse anything else.
Everything a user wrote (run names, params, tags, notebook paths, metric
keys) is escaped by the template (Jinja2 with autoescape on); an SVG figure
is embedded as an ``<img>`` (a picture, never markup that could carry a script).
Not for: reading the store (the reader does), the comparison's or the
charts' own markup (``render_html`` and ``svg`` make them), or choosing and
checking the figures (``report_figures`` does: a figure logged at many steps
is paged through with radio buttons and CSS, never a script).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nbtrack.compare.columns import varying_keys
from nbtrack.compare.formatting import duration_text
from nbtrack.compare.reader import Reader
from nbtrack.compare.report_figures import MAX_FIGURE_BYTES, Figure, figures
from nbtrack.errors import UsageError
from nbtrack.model import MetricHistory

if TYPE_CHECKING:
    import jinja2

    from nbtrack.model import Run
    from nbtrack.store.base import HistoryArrays

__all__ = [
    "CSP",
    "MAX_FIGURE_BYTES",
    "build_report",
    "curve_points",
    "html_environment",
    "select_runs",
]

#: what the page may load: nothing but its own inline styles and data: images
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
#: points drawn per chart across all its curves; each curve gets a share (200 to 2,000)
CHART_POINT_BUDGET = 60_000
MIN_CURVE_POINTS, MAX_CURVE_POINTS = 200, 2_000


@dataclass(frozen=True)
class RunRow:
    """One row of the runs table, every cell already text."""

    index: int
    run_id: str
    name: str
    status: str
    notebook: str
    started: str
    duration: str
    params: tuple[str, ...]
    metrics: tuple[str, ...]
    tags: str
    figures: tuple[Figure, ...] = field(default=())


def build_report(
    reader: Reader,
    run_ids: Sequence[str],
    *,
    title: str,
    metrics: Sequence[str] | None = None,
) -> str:
    """The report of *run_ids* (ids or unique prefixes; the first is the baseline) as HTML.

    *metrics* chooses the curves and metric columns (default: every metric the
    runs have, the most common first). An unknown run, or a metric none of
    the runs has, is a ``UsageError`` naming it.
    """
    ids = _resolve(reader, run_ids)
    reader = _ReadOnce(reader, curve_points(len(ids)))
    runs = [reader.run(run_id) for run_id in ids]
    keys = _metric_keys(runs, metrics)
    params = _param_keys(runs)
    rows = [_row(i, run, params, keys, figures(reader, run)) for i, run in enumerate(runs, 1)]
    context = {
        "title": title,
        "csp": CSP,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": _version(),
        "store": reader.url,
        "params": params,
        "metrics": keys,
        "rows": rows,
        "baseline": rows[0],
        "charts": _charts(reader, ids, keys),
        "comparison": _comparison(reader, ids, keys),
        "has_figures": any(row.figures for row in rows),
    }
    return _render(context)


class _ReadOnce(Reader):
    """The report's reader: each run and each history read from the store once.

    The comparison (a metric's best value and the step it was reached at)
    and the charts both ask for every history of every run; a report of 100
    runs x 3 metrics x 100,000 points must not read 30 million points twice
    nor keep them. Each history is read as the lowest and highest point of
    each of *buckets* buckets (``Store.metric_extremes``: the database picks
    them, with the first and last points and a NaN per bucket that has one),
    one bucket per point a curve keeps: exact for the comparison's last, min,
    max and best step (the first time it was reached, for points logged in
    step order), and twice the points a chart draws, for LTTB to choose from.
    """

    def __init__(self, reader: Reader, buckets: int) -> None:
        super().__init__(reader._store, owned=False)
        self._buckets = buckets
        self._runs: dict[str, Run] = {}
        self._histories: dict[tuple[str, str], HistoryArrays] = {}

    def run(self, id_or_prefix: str) -> Run:
        if id_or_prefix not in self._runs:
            self._runs[id_or_prefix] = super().run(id_or_prefix)
        return self._runs[id_or_prefix]

    def history(self, run_id: str, key: str) -> MetricHistory:
        from nbtrack.store.base import arrays_to_history

        return arrays_to_history(run_id, key, self.history_arrays(run_id, key))

    def history_arrays(self, run_id: str, key: str) -> HistoryArrays:
        kept = self._histories.get((run_id, key))
        if kept is None:
            # the store picks each bucket's extremes itself: a long history never
            # crosses into Python whole; a store that cannot sends every point
            extremes = self.extremes(run_id, key, self._buckets)
            kept = _reduced(extremes, 3 * self._buckets + 2)
            self._histories[(run_id, key)] = kept
        return kept


def _reduced(history: HistoryArrays, points: int) -> HistoryArrays:
    """*history* cut to at most *points* points by min/max per bucket (whole when shorter)."""
    if len(history.values) <= points:
        return history
    import numpy as np

    from nbtrack.compare.downsample import downsample
    from nbtrack.store.base import HistoryArrays

    # the x of each point is its index, so what comes back says which points were kept
    xs = np.arange(len(history.values), dtype=np.float64)
    kept, _ = downsample(xs, history.values, points, method="minmax")
    index = kept.astype(np.intp)
    return HistoryArrays(*(column[index] for column in history))


# -- selecting ---------------------------------------------------------------------------


def select_runs(
    reader: Reader,
    run_ids: Sequence[str],
    *,
    where: str | None = None,
    sort: Sequence[str] = (),
    limit: int | None = None,
    experiment: Sequence[str] = (),
    named: bool = False,
) -> list[str]:
    """The full ids of the runs to report, the baseline first.

    Either *run_ids* (ids or unique prefixes, in the order given) or *where*
    (the ``--where`` language) within *experiment* (empty: every experiment):
    the newest *limit* runs that match, oldest first so the earliest is the
    baseline, or in *sort*'s order when given. *named*: the user named the
    experiments (``--experiment``), which alone chooses their runs.
    """
    if run_ids and where is not None:
        raise UsageError("give RUN ids or --where, not both.")
    if run_ids and named:
        raise UsageError("give RUN ids or --experiment, not both.")
    if run_ids:
        if sort:
            raise UsageError("--sort orders the runs --where finds; RUN ids keep the order given.")
        return _resolve(reader, run_ids)
    if where is None and not named:
        raise UsageError(
            'name the runs to report: RUN ids, or --where EXPR (e.g. --where "status = FINISHED"),'
            " or --experiment NAME."
        )
    listed = reader.runs(where=where, sort=sort, limit=limit, experiment=experiment or None)
    if not listed:
        within = f" in experiment {', '.join(map(repr, experiment))}" if experiment else ""
        match = f" matches --where {where!r}" if where is not None else ""
        raise UsageError(f"no run in {reader.url}{within}{match}.")
    ids = [run.id for run in listed]
    return ids if sort else ids[::-1]


def _resolve(reader: Reader, run_ids: Sequence[str]) -> list[str]:
    if not run_ids:
        raise UsageError("a report needs at least one run; none were given or matched.")
    return list(dict.fromkeys(reader.resolve(run_id) for run_id in run_ids))


def _param_keys(runs: Sequence[Run]) -> list[str]:
    """The params that tell the runs apart; every param of a report of one run."""
    mappings = [{p.key: p.value for p in run.params} for run in runs]
    return list(mappings[0]) if len(mappings) == 1 else varying_keys(mappings)


def _metric_keys(runs: Sequence[Run], chosen: Sequence[str] | None) -> list[str]:
    counts = Counter(m.key for run in runs for m in run.metrics)
    if not chosen:
        return [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    missing = [key for key in chosen if key not in counts]
    if missing:
        have = ", ".join(repr(k) for k in sorted(counts)) or "none"
        raise UsageError(f"no run in the report has metric {missing[0]!r}; the runs have: {have}.")
    return list(dict.fromkeys(chosen))


# -- the runs table ----------------------------------------------------------------------


def _row(
    index: int, run: Run, params: Sequence[str], metrics: Sequence[str], figures: tuple[Figure, ...]
) -> RunRow:
    values = {p.key: p.value for p in run.params}
    last = {m.key: m.last for m in run.metrics}
    return RunRow(
        index=index,
        run_id=run.id,
        name=run.name or "",
        status=run.status.value,
        notebook=run.notebook or "",
        started=datetime.fromtimestamp(run.started_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        duration=duration_text(run.duration),
        params=tuple(format_value(values[k]) if k in values else "" for k in params),
        metrics=tuple(format_value(last[k]) if k in last else "" for k in metrics),
        tags=", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())),
        figures=figures,
    )


def format_value(value: Any) -> str:
    """A param or metric value as a cell shows it: ``0.001``, ``nan``, ``-inf``, JSON otherwise."""
    import json

    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# -- the parts other modules draw ----------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One metric's curves as an inline ``<svg>`` (markup made by ``svg.curves_svg``)."""

    metric: str
    svg: str
    caption: str


@dataclass(frozen=True)
class ComparisonPart:
    """The comparison fragment (markup made by ``render_html``) and its styles."""

    html: str
    css: str


def curve_points(runs: int) -> int:
    """Points each curve keeps in a chart of *runs* curves: the chart's budget, shared."""
    return max(MIN_CURVE_POINTS, min(MAX_CURVE_POINTS, CHART_POINT_BUDGET // max(runs, 1)))


def _charts(reader: Reader, ids: Sequence[str], metrics: Sequence[str]) -> list[Chart]:
    import warnings

    from markupsafe import Markup

    from nbtrack.compare.curves import CurveWarning, curves
    from nbtrack.compare.svg import curves_svg

    if not metrics:
        return []
    with warnings.catch_warnings():
        # a run without one of the metrics: the runs table shows it has none
        warnings.simplefilter("ignore", CurveWarning)
        drawn = curves(reader, ids, metrics, max_points=curve_points(len(ids)))
    # the points each run stored: the reader may have handed the curves fewer already
    counts = {(i, m.key): m.count for i in ids for m in reader.run(i).metrics}
    charts = []
    for metric in metrics:
        mine = [
            replace(c, raw_points=counts.get((c.run_id, metric), c.raw_points))
            for c in drawn
            if c.metric == metric
        ]
        if not mine:
            continue
        stored = max(curve.raw_points for curve in mine)
        caption = (
            f"{metric}: {len(mine)} run{'s' if len(mine) != 1 else ''}, "
            f"up to {stored:,} stored points each"
        )
        if stored > curve_points(len(ids)):
            caption += " (downsampled for display)"
        svg = Markup(curves_svg(mine, width=720, height=340, title=metric))
        charts.append(Chart(metric, svg, caption))
    return charts


def _comparison(
    reader: Reader, ids: Sequence[str], metrics: Sequence[str]
) -> ComparisonPart | None:
    from markupsafe import Markup

    from nbtrack.compare.comparison import compare_runs
    from nbtrack.compare.render_html import COMPARISON_CSS, comparison_html

    if len(ids) < 2:
        return None
    comparison = compare_runs(reader, ids, metrics=metrics or None)
    return ComparisonPart(Markup(comparison_html(comparison, style=False)), Markup(COMPARISON_CSS))


# -- the page ----------------------------------------------------------------------------


def _version() -> str:
    from nbtrack._version import __version__

    return __version__


def _render(context: dict[str, Any]) -> str:
    return html_environment("nbtrack.compare").get_template("report.html.j2").render(context)


def html_environment(package: str) -> jinja2.Environment:
    """A Jinja2 environment over *package*'s ``templates/``, for pages nbtrack serves or writes.

    Autoescape is on, and every string a template shows first has its control
    characters shown as escapes (an ESC reads ``\\x1b``, as in the
    comparison); markup nbtrack built itself (``Markup``) passes as is.
    The report and the web UI's pages share it.
    """
    import jinja2
    from markupsafe import Markup

    from nbtrack.printable import printable

    def shown(value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Markup):
            return printable(value)
        return value

    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        finalize=shown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
