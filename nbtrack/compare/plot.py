"""Curves as a matplotlib figure: ``nbtrack.plot`` and ``nbtrack plot``.

For: drawing :class:`~nbtrack.compare.curves.Curve` values with matplotlib,
one axes per metric, a legend per axes naming each run by its name and the
params that differ, and saving the figure as PNG, SVG or PDF. NaN breaks a
line; ±inf is drawn as a triangle on the top or bottom edge of the axes.
matplotlib is the optional ``plots`` extra: without it every function here
raises one :class:`~nbtrack.errors.UsageError` saying how to install it.
Figures are made without pyplot, so no global figure state is kept.

Not for: reading runs (:mod:`nbtrack.compare.curves`) or the report's
dependency-free charts (:mod:`nbtrack.compare.svg`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.compare.curves import Curve, XAxis, curves, time_unit, x_label
from nbtrack.compare.downsample import DEFAULT_MAX_POINTS
from nbtrack.errors import UsageError
from nbtrack.printable import printable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nbtrack.model import Run, RunSummary

__all__ = ["FORMATS", "figure", "plot", "require_matplotlib", "save_figure"]

#: file suffix -> the format matplotlib writes
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
NO_MATPLOTLIB = "Plots need matplotlib, which is not installed: pip install 'nbtrack[plots]'."


def require_matplotlib() -> None:
    """Raise the one ``UsageError`` that says how to install matplotlib, if it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "matplotlib":
            raise
        raise UsageError(NO_MATPLOTLIB) from None


def plot(
    runs: str | Iterable[str | Run | RunSummary] | Any,
    metrics: str | Sequence[str],
    *,
    x: XAxis = "step",
    smoothing: float = 0.0,
    log_y: bool = False,
    max_points: int = DEFAULT_MAX_POINTS,
    title: str | None = None,
) -> Figure:
    """A matplotlib figure of the *metrics* of *runs*, one axes per metric.

    *runs* is a run id (or unique prefix), a list of ids, ``Run``\\ s or
    ``RunSummary``\\ s, or the DataFrame ``nbtrack.runs()`` returns (its
    ``run_id`` column). In Jupyter the figure shows as the cell's value;
    ``fig.savefig("curves.png")`` writes it. Reads the active run's store
    (flushed first) or the project's.

        nbtrack.plot(["3f9c2a", "6e39af"], "val_acc", smoothing=0.6)
    """
    from nbtrack.compare.reader import Reader

    require_matplotlib()
    ids = _run_ids(runs)
    keys = [metrics] if isinstance(metrics, str) else list(metrics)
    with Reader.current() as reader:
        drawn = curves(reader, ids, keys, x=x, smoothing=smoothing, max_points=max_points)
    return figure(drawn, log_y=log_y, title=title)


def _run_ids(runs: Any) -> list[str]:
    if isinstance(runs, str):
        return [runs]
    columns = getattr(runs, "columns", None)
    if columns is not None:  # a DataFrame of runs
        if "run_id" not in columns:
            raise UsageError(
                "A DataFrame of runs needs a 'run_id' column (nbtrack.runs() has one)."
            )
        return [str(run_id) for run_id in runs["run_id"]]
    return [item if isinstance(item, str) else item.id for item in runs]


def figure(drawn: Sequence[Curve], *, log_y: bool = False, title: str | None = None) -> Figure:
    """*drawn* as one figure: an axes per metric (in order), a legend each, x labelled."""
    require_matplotlib()
    from nbtrack.compare.figure import CurvesFigure

    by_metric: dict[str, list[Curve]] = {}
    for curve in drawn:
        by_metric.setdefault(curve.metric, []).append(curve)
    count = max(len(by_metric), 1)
    columns = 1 if count == 1 else 2
    rows = -(-count // columns)
    fig = CurvesFigure(figsize=(6.4 * columns, 4.0 * rows), layout="constrained")
    if title:
        fig.suptitle(_mpl_text(title))
    for index, (metric, group) in enumerate(by_metric.items()):
        _draw_axes(fig.add_subplot(rows, columns, index + 1), metric, group, log_y)
    return fig


def _draw_axes(ax: Axes, metric: str, group: Sequence[Curve], log_y: bool) -> None:
    unit = 1.0
    if group[0].x == "relative":
        finite = [v for c in group for v in c.xs if math.isfinite(v)]
        unit = time_unit(max(finite) - min(finite) if finite else 0.0)[1]
    for curve in group:
        xs = _xs(curve, unit)
        ys = [y if math.isfinite(y) else math.nan for y in curve.ys]
        (line,) = ax.plot(xs, ys, label=_legend_text(curve.label), linewidth=1.2)
        for sign, marker, edge in ((1, "^", 1.0), (-1, "v", 0.0)):
            off = [x for x, y in zip(xs, curve.ys, strict=True) if y == sign * math.inf]
            if off:
                ax.plot(
                    off,
                    [edge] * len(off),
                    linestyle="none",
                    marker=marker,
                    color=line.get_color(),
                    transform=ax.get_xaxis_transform(),
                    clip_on=False,
                )
    if log_y:
        ax.set_yscale("log", nonpositive="mask")
    ax.set_title(_mpl_text(metric))
    ax.set_xlabel(_mpl_text(x_label(group)))
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def _xs(curve: Curve, unit: float) -> list[Any]:
    if curve.x == "time":
        return [datetime.fromtimestamp(x) for x in curve.xs]
    return [x / unit for x in curve.xs]


def _mpl_text(text: str) -> str:
    """User text as matplotlib draws it literally: printable, ``$`` not starting math."""
    return printable(text).replace("$", r"\$")


def _legend_text(label: str) -> str:
    # matplotlib leaves labels starting with "_" out of legends: a zero-width space keeps them
    text = _mpl_text(label)
    return "\u200b" + text if text.startswith("_") else text


def save_figure(fig: Figure, path: Path) -> str:
    """Write *fig* to *path* in the format its suffix names (Agg for PNG); the format."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(unknown_format(path))
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    try:
        # SVG keeps its text as text (selectable, searchable, smaller), not as outlines
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            fig.savefig(path, format=fmt)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    return fmt


def unknown_format(path: Path) -> str:
    """The sentence for an output file whose suffix is not a format a plot is written in."""
    formats = ", ".join(FORMATS)
    if not path.suffix:
        return f"Cannot tell the format of {str(path)!r}: give it a suffix, one of {formats}."
    return f"Cannot write a plot to {str(path)!r}: {path.suffix!r} is not one of {formats}."
