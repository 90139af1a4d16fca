"""Curves as a small inline SVG line chart, for pages that must not load anything.

For: the static report (``nbtrack report``), which embeds one chart per
metric in a single self-contained HTML file: no script, no font, no
stylesheet, no network request; standard library only. :func:`curves_svg`
draws axes with ticks, one polyline per curve (broken where the curve has a
NaN), a legend, and a ``<title>`` tooltip per series. Every text a user
wrote (run names and params in the labels, the metric's key, the title) is
made printable and XML-escaped, so a run named ``<script>...`` is text.

Each curve is downsampled once more to about one point per pixel column
(LTTB) and drawn on whole pixels, so a 2,000-point series costs under 5 KB.
±inf points are drawn as small triangles on the top or bottom edge of the
plot (no axis holds them); the y range is that of the finite values.

Not for: publication figures (:mod:`nbtrack.compare.plot`, matplotlib) or
reading runs (:mod:`nbtrack.compare.curves`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from datetime import datetime

from nbtrack.compare.curves import Curve, time_unit, x_label
from nbtrack.compare.downsample import downsample
from nbtrack.printable import printable, xml_text

__all__ = ["PALETTE", "curves_svg"]

#: series colours (matplotlib's tab10), in legend order
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 28, 40
_LEGEND_ROW = 16
_FONT = 'font-family="sans-serif" font-size="11"'


def curves_svg(
    curves: Sequence[Curve],
    *,
    width: int = 640,
    height: int = 320,
    title: str | None = None,
    log_y: bool = False,
) -> str:
    """One ``<svg>`` element drawing *curves* (one chart, usually one metric) as lines.

    *width* x *height* is the chart (axes, ticks, title); the legend adds a
    row of 16 px per curve below it. With *log_y*, values <= 0 are gaps.

    >>> from nbtrack.compare.curves import Curve
    >>> svg = curves_svg([Curve("ab12", "<b>", "loss", (0.0, 1.0), (2.0, 1.0), 2)], title="loss")
    >>> svg.startswith("<svg") and "&lt;b&gt;" in svg and svg.count("<polyline") == 1
    True
    """
    plot_w, plot_h = max(width - _LEFT - _RIGHT, 10), max(height - _TOP - _BOTTOM, 10)
    total_h = height + _LEGEND_ROW * len(curves)
    label = _text(title) if title else "curves"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}"'
        f' viewBox="0 0 {width} {total_h}" role="img" aria-label="{label}" {_FONT}>',
        f"<title>{label}</title>",
        f'<rect width="{width}" height="{total_h}" fill="#fff"/>',
    ]
    if title:
        parts.append(f'<text x="{width // 2}" y="17" text-anchor="middle">{label}</text>')
    xs = [x for c in curves for x in c.xs if math.isfinite(x)]
    ys = [_y(y, log_y) for c in curves for y in c.ys]
    ys = [y for y in ys if math.isfinite(y)]
    frame = (
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}"'
        ' fill="none" stroke="#999"/>'
    )
    if not xs or not ys:
        parts.append(frame)
        parts.append(
            f'<text x="{_LEFT + plot_w // 2}" y="{_TOP + plot_h // 2}" text-anchor="middle"'
            ' fill="#666">no finite values to draw</text>'
        )
    else:
        scale = _Scale(min(xs), max(xs), min(ys), max(ys), plot_w, plot_h)
        parts.extend(_axes(curves, scale, log_y, plot_w, plot_h))
        parts.append(frame)
        for index, curve in enumerate(curves):
            parts.append(_series(curve, scale, log_y, PALETTE[index % len(PALETTE)], plot_w))
    parts.extend(_legend(curves, height))
    parts.append("</svg>")
    return "\n".join(parts)


class _Scale:
    """Data -> pixel coordinates of the plot area (y grows downwards)."""

    def __init__(
        self, x0: float, x1: float, y0: float, y1: float, plot_w: int, plot_h: int
    ) -> None:
        if x1 == x0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if y1 == y0:
            pad = abs(y0) * 0.05 or 0.5
            y0, y1 = y0 - pad, y1 + pad
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1
        self.w, self.h = plot_w, plot_h

    def px(self, x: float) -> int:
        return _LEFT + round((x - self.x0) / (self.x1 - self.x0) * self.w)

    def py(self, y: float) -> int:
        return _TOP + round((self.y1 - y) / (self.y1 - self.y0) * self.h)


def _y(value: float, log_y: bool) -> float:
    """*value* on the y axis' scale: its log10 under *log_y* (NaN for <= 0, ±inf kept)."""
    if not log_y or math.isnan(value) or value == math.inf:
        return value
    return math.log10(value) if value > 0 else math.nan


def _series(curve: Curve, scale: _Scale, log_y: bool, colour: str, plot_w: int) -> str:
    """A ``<g>``: the tooltip, one polyline per stretch between gaps, inf markers."""
    xs, ys = downsample(curve.xs, curve.ys, max(plot_w, 2))
    lines: list[list[tuple[int, int]]] = [[]]
    markers: list[str] = []
    for x, raw in zip(xs.tolist(), ys.tolist(), strict=True):
        y = _y(raw, log_y)
        if math.isinf(y) and math.isfinite(x):
            edge = _TOP if y > 0 else _TOP + scale.h
            tip = 5 if y > 0 else -5
            markers.append(f"M{scale.px(x)},{edge}l-3,{tip}h6z")
        if not (math.isfinite(y) and math.isfinite(x)):
            if lines[-1]:
                lines.append([])
            continue
        point = (scale.px(x), scale.py(y))
        if not lines[-1] or lines[-1][-1] != point:
            lines[-1].append(point)
    tooltip = _text(f"{curve.label} · {curve.metric}: {curve.raw_points} points{_last(curve)}")
    out = [f'<g stroke="{colour}" fill="none" stroke-width="1.5"><title>{tooltip}</title>']
    for line in lines:
        if len(line) == 1:  # a lone point between gaps: a dot, so it is seen
            out.append(f'<circle cx="{line[0][0]}" cy="{line[0][1]}" r="1.5" fill="{colour}"/>')
        elif line:
            points = " ".join(f"{x},{y}" for x, y in line)
            out.append(f'<polyline points="{points}"/>')
    if markers:
        out.append(f'<path d="{"".join(markers)}" fill="{colour}" stroke="none"/>')
    out.append("</g>")
    return "".join(out)


def _last(curve: Curve) -> str:
    return f", last {_number(curve.ys[-1])}" if curve.ys else ""


def _axes(
    curves: Sequence[Curve], scale: _Scale, log_y: bool, plot_w: int, plot_h: int
) -> Iterable[str]:
    """Grid lines, tick labels and the x axis' label."""
    bottom = _TOP + plot_h
    # decades when the log axis spans one or more; finer ticks otherwise
    for value in _ticks(scale.y0, scale.y1, integer=log_y and scale.y1 - scale.y0 >= 1):
        y = scale.py(value)
        text = _number(10**value) if log_y else _number(value)
        yield f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y}" y2="{y}" stroke="#eee"/>'
        yield f'<text x="{_LEFT - 4}" y="{y + 4}" text-anchor="end">{text}</text>'
    kind = curves[0].x
    unit = time_unit(scale.x1 - scale.x0)[1] if kind == "relative" else 1.0
    for value in _ticks(scale.x0 / unit, scale.x1 / unit, integer=kind == "step"):
        x = scale.px(value * unit)
        text = _time(value, scale.x1 - scale.x0) if kind == "time" else _number(value)
        yield f'<line x1="{x}" x2="{x}" y1="{_TOP}" y2="{bottom}" stroke="#eee"/>'
        yield f'<text x="{x}" y="{bottom + 14}" text-anchor="middle">{text}</text>'
    yield (
        f'<text x="{_LEFT + plot_w // 2}" y="{bottom + 32}" text-anchor="middle"'
        f' fill="#444">{_text(x_label(curves))}</text>'
    )


def _legend(curves: Sequence[Curve], height: int) -> Iterable[str]:
    for index, curve in enumerate(curves):
        y = height + _LEGEND_ROW * index + 4
        colour = PALETTE[index % len(PALETTE)]
        yield f'<rect x="{_LEFT}" y="{y}" width="14" height="3" fill="{colour}"/>'
        yield f'<text x="{_LEFT + 20}" y="{y + 5}">{_text(curve.label)}</text>'


def _ticks(low: float, high: float, *, integer: bool = False, target: int = 5) -> list[float]:
    """Round values between *low* and *high*, about *target* of them (1-2-5 steps)."""
    span = high - low
    if not span > 0 or not math.isfinite(span):
        return [low]
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, round(step))
    first = math.ceil(low / step) * step
    count = int((high - first) / step + 1e-9) + 1
    return [first + i * step for i in range(count)]


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def _time(ts: float, span: float) -> str:
    moment = datetime.fromtimestamp(ts)
    if span < 300:
        return moment.strftime("%H:%M:%S")
    if span < 86_400:
        return moment.strftime("%H:%M")
    return moment.strftime("%m-%d %H:%M")


def _text(text: str) -> str:
    """User text for an SVG text node or attribute: printable, valid XML, escaped."""
    return html.escape(xml_text(printable(text)), quote=True)
