"""The inline SVG chart: well-formed, escaped, one line per curve, small, no script."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np

from nbtrack.compare.curves import Curve
from nbtrack.compare.downsample import downsample
from nbtrack.compare.svg import PALETTE, curves_svg

NS = {"svg": "http://www.w3.org/2000/svg"}


def curve(label: str, ys: list[float], *, xs: list[float] | None = None, x: str = "step") -> Curve:
    xs = xs if xs is not None else [float(i) for i in range(len(ys))]
    return Curve("0123456789abcdef", label, "loss", tuple(xs), tuple(ys), len(ys), x=x)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def test_one_series_group_with_one_polyline_per_curve_and_a_legend_entry_each() -> None:
    drawn = [curve(f"run {i}", [3.0 - i, 2.0, 1.0 + i]) for i in range(3)]
    root = parse(curves_svg(drawn, title="loss"))
    groups = root.findall("svg:g", NS)
    assert len(groups) == 3
    assert [len(g.findall("svg:polyline", NS)) for g in groups] == [1, 1, 1]
    assert [g.get("stroke") for g in groups] == list(PALETTE[:3])
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert {"run 0", "run 1", "run 2", "loss", "step"} <= set(texts)
    assert root.get("height") == str(320 + 3 * 16)  # the legend's rows below the chart


def test_a_run_name_with_markup_and_control_characters_is_text_in_valid_xml() -> None:
    hostile = '<script>alert(1)</script> & "q" \x07\x1b[31m'
    svg = curves_svg([curve(hostile, [1.0, 2.0])], title="<b>t</b>")
    root = parse(svg)
    assert "<script" not in svg
    assert root.find(".//svg:script", NS) is None
    legend = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert '<script>alert(1)</script> & "q" \\x07\\x1b[31m' in legend
    assert root.find("svg:title", NS).text == "<b>t</b>"  # type: ignore[union-attr]
    tooltip = root.find("svg:g/svg:title", NS).text  # type: ignore[union-attr]
    assert tooltip is not None
    assert tooltip.startswith("<script>alert(1)</script>")


def test_each_series_has_a_tooltip_naming_run_metric_points_and_last_value() -> None:
    root = parse(curves_svg([curve("baseline (lr=0.1)", [0.5, 0.25])]))
    tooltip = root.find("svg:g/svg:title", NS).text  # type: ignore[union-attr]
    assert tooltip == "baseline (lr=0.1) · loss: 2 points, last 0.25"


def test_nan_breaks_the_line_and_inf_is_a_marker_on_the_edge() -> None:
    ys = [1.0, 2.0, math.nan, 3.0, 4.0, math.inf, 2.0, -math.inf]
    root = parse(curves_svg([curve("r", ys)], height=300))
    group = root.find("svg:g", NS)
    assert group is not None
    lines = group.findall("svg:polyline", NS)
    assert len(lines) == 2  # 1-2 | 3-4: split at the NaN and at the inf
    assert len(group.findall("svg:circle", NS)) == 1  # the 2.0 between the two infs: a dot
    markers = group.find("svg:path", NS)
    assert markers is not None
    tips = (markers.get("d") or "").split("M")[1:]
    assert len(tips) == 2
    top, bottom = 28, 300 - 40
    assert tips[0].split("l")[0].endswith(f",{top}")
    assert tips[1].split("l")[0].endswith(f",{bottom}")


def test_points_stay_inside_the_plot_area() -> None:
    root = parse(curves_svg([curve("r", [-5.0, 100.0, 7.5, 0.0])], width=400, height=200))
    line = root.find("svg:g/svg:polyline", NS)
    assert line is not None
    points = [tuple(map(int, p.split(","))) for p in (line.get("points") or "").split()]
    assert min(x for x, _ in points) == 64
    assert max(x for x, _ in points) == 400 - 16
    assert min(y for _, y in points) == 28
    assert max(y for _, y in points) == 200 - 40


def test_a_2000_point_series_costs_under_5_kb_and_keeps_its_peak() -> None:
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=100_000))
    values[54_321] = values.max() + 50  # a spike the chart must show
    xs, ys = downsample(np.arange(values.size), values, 2000)
    assert 54_321.0 in xs
    svg = curves_svg([curve("r", ys.tolist(), xs=xs.tolist())])
    series = svg[svg.index("<g ") : svg.index("</g>") + 4]
    assert len(series.encode()) < 5 * 1024
    line = parse(svg).find("svg:g/svg:polyline", NS)
    assert line is not None
    assert min(int(p.split(",")[1]) for p in (line.get("points") or "").split()) == 28


def test_log_y_draws_decades_and_leaves_values_at_or_below_zero_out() -> None:
    root = parse(curves_svg([curve("r", [1000.0, 10.0, 0.0, 0.1])], log_y=True))
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"0.1", "1", "10", "100", "1000"} <= texts
    assert len(root.findall("svg:g/svg:polyline", NS)) == 1  # 1000-10; 0.1 alone is a dot
    assert len(root.findall("svg:g/svg:circle", NS)) == 1


def test_time_axes_label_their_ticks_as_times_and_durations() -> None:
    wall = curve("r", [1.0, 2.0], xs=[1_700_000_000.0, 1_700_000_600.0], x="time")
    texts = [
        t.text or "" for t in parse(curves_svg([wall])).iter("{http://www.w3.org/2000/svg}text")
    ]
    assert any(len(t) == 5 and t[2] == ":" for t in texts)  # HH:MM
    relative = curve("r", [1.0, 2.0], xs=[0.0, 7200.0], x="relative")
    texts = [
        t.text or "" for t in parse(curves_svg([relative])).iter("{http://www.w3.org/2000/svg}text")
    ]
    assert "time since the run started (min)" in texts
    assert {"0", "50", "100"} <= set(texts)  # minutes


def test_no_curves_or_no_finite_value_is_an_empty_chart_saying_so() -> None:
    for drawn in ([], [curve("r", [math.nan, math.nan])]):
        root = parse(curves_svg(drawn))
        texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert "no finite values to draw" in texts
