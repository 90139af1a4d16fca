"""The read side: everything a door shows about stored runs comes from here.

For: reading the run store for people (the CLI's ``runs``/``show``/``compare``,
the DataFrame API, plots, the static report, the web UI) through one
:class:`~nbtrack.compare.reader.Reader`, so a query, a downsampling or an
access rule is written once. Returns plain values; rendering for a terminal,
markdown or HTML lives in its ``render_*`` modules, never in a door.
Not for: writing runs (``nbtrack.tracking``) or SQL (``nbtrack.store``).

* ``reader``: ``Reader``, the one read API over a store (runs, a run, metric
  histories as columns, artifact files).
* ``columns``: ``varying_keys``, the one rule for "the params that tell these
  runs apart" (list columns, comparisons, legends).
* ``listing``: the param/metric/tag columns of a list of runs: ``--columns``
  checked, and the default (the keys a query names, the params that vary).
* ``comparison``: ``compare_runs`` (runs side by side against a baseline),
  ``select_runs`` (``--where``), ``metric_direction`` (the name rule for
  which way a metric improves), ``Comparison`` and the Python ``compare()``.
* ``sweeps``: ``sweep_where``, a sweep's id (or a unique prefix) as the
  ``--where`` that selects its runs (``compare --sweep``, ``runs --sweep``);
  ``in_sweep_order``, its runs by their place in the sweep.
* ``comparison_model``: the frozen values a comparison is made of.
* ``code``: the cell diff of two runs' stored code snapshots.
* ``formatting``: numbers, deltas and values as the comparison renderers show them.
* ``render_terminal``, ``render_markdown``, ``render_json``, ``render_html``:
  a comparison for a terminal, a pull-request comment, tools, and Jupyter or
  the report (``comparison_html``, ``COMPARISON_CSS``).
* ``pr``: ``run_deltas``, the runs at a diff's two commits for each changed
  notebook, compared (``nbtrack diff A...B --runs``).
* ``render_pr``: those run deltas as markdown for the pull-request comment,
  terminal lines and JSON.
* ``report``: ``build_report``, the static report: one self-contained HTML
  file (runs table, comparison, curves, figures; no script, nothing loaded
  by URL), from the Jinja2 template in ``templates/report.html.j2``.
* ``report_figures``: the report's figures as ``data:`` URIs, checked, a figure
  logged at many steps as one series of pages (at most a dozen steps held).
* ``downsample``: LTTB and min/max downsampling of (x, y) series to a few
  thousand points, NaN gaps and ±inf kept.
* ``curves``: ``curves`` and ``Curve``, the metric curves of runs (x = step,
  time or relative time; smoothing; downsampled; legend labels).
* ``series``: ``metric_series``, one metric of runs as series for the web
  UI's interactive charts: read as the database's extremes, then downsampled.
* ``svg``: ``curves_svg``, curves as a dependency-free inline SVG chart.
* ``plot``: ``nbtrack.plot`` and the figure behind ``nbtrack plot``: curves
  drawn with matplotlib (the ``plots`` extra), saved as PNG, SVG or PDF.
* ``figure``: ``CurvesFigure``, the matplotlib ``Figure`` that shows itself
  in Jupyter (imported only once matplotlib is known to be there).
* ``frames``: runs and metric histories as pandas DataFrames (``runs_frame``,
  ``history_frame``), built from the store's columnar reads.
* ``artifacts``: a run's artifact found by name (and step), loaded as an object
  by its type, or copied out with its digest checked; ``series``, the
  artifacts of one name in step order (a figure logged every epoch).
* ``read_api``: the public read functions ``nbtrack.runs``,
  ``metric_history``, ``get_run``, ``load_artifact``, ``artifact_path``.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.compare.comparison import Comparison


class _CallablePackage(types.ModuleType):
    """This package, callable as the public ``nbtrack.compare(...)``.

    ``nbtrack.compare`` names both this package and the public function: once
    any module of the package is imported (``nbtrack.runs()`` does), Python
    binds the attribute ``compare`` of ``nbtrack`` to this package, so the
    package forwards a call to the function to keep ``nbtrack.compare(a, b)``
    working whichever came first.
    """

    def __call__(self, *runs: Any, **options: Any) -> Comparison:
        from nbtrack.compare.comparison import compare

        return compare(*runs, **options)


sys.modules[__name__].__class__ = _CallablePackage
