"""How fast curves are cut down for drawing, and how small the report's SVG stays.

Issue 10 asks that a long history be downsampled for display (min/max or
LTTB) in a few milliseconds: 100,000 points -> 2,000. Over a noisy random
walk of ``--points`` points (with a NaN gap and a few ±inf, as real losses
have), prints medians over ``--repeat`` runs of:

* ``downsample(..., method="lttb")`` and ``method="minmax"`` to ``--keep``;
* ``ema`` (TensorBoard smoothing, weight 0.6) of the whole series;
* ``curves_svg`` of ten such curves, and its size per curve;
* the anchor, measured in the same run: ``numpy.sort`` of the same series
  (one vectorised O(n log n) pass), so a busy machine shows in the ratios.

Run it:

    .venv/bin/python benchmarks/bench_downsample.py [--points 100000] [--keep 2000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from nbtrack.compare.curves import Curve, ema
from nbtrack.compare.downsample import downsample
from nbtrack.compare.svg import curves_svg

TARGET_MS = 5.0  # "a few ms" for 100,000 -> 2,000


def _timed(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of *work* (CPU shows less of a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def series(points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ys = np.cumsum(rng.normal(size=points)) + 5 * np.sin(np.arange(points) / 3000)
    ys[points // 3 : points // 3 + 50] = np.nan
    ys[points // 2] = np.inf
    ys[(2 * points) // 3] = -np.inf
    return np.arange(points, dtype=np.float64), ys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--keep", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    xs, ys = series(args.points)
    anchor = _timed(lambda: np.sort(ys), args.repeat)
    rows = [
        ("anchor: numpy.sort of the series", anchor),
        ("downsample lttb", _timed(lambda: downsample(xs, ys, args.keep), args.repeat)),
        (
            "downsample minmax",
            _timed(lambda: downsample(xs, ys, args.keep, method="minmax"), args.repeat),
        ),
        ("ema (smoothing 0.6)", _timed(lambda: ema(ys, 0.6), args.repeat)),
    ]
    drawn = []
    for seed in range(10):
        sx, sy = series(args.points, seed)
        kx, ky = downsample(sx, sy, args.keep)
        drawn.append(
            Curve(
                f"{seed:032x}",
                f"run-{seed} (lr=0.{seed})",
                "loss",
                tuple(kx),
                tuple(ky),
                args.points,
            )
        )
    svg = curves_svg(drawn, title="loss")
    rows.append(
        ("curves_svg of 10 curves", _timed(lambda: curves_svg(drawn, title="loss"), args.repeat))
    )
    print(
        f"{args.points:,} points -> at most {args.keep:,}; medians of {args.repeat};"
        f" load {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'':<36} {'wall':>8}      {'cpu':>8}      cpu / anchor's cpu")
    for name, (wall, cpu) in rows:
        print(f"  {name:<36} {wall:8.2f} ms   {cpu:8.2f} ms   {cpu / anchor[1]:6.2f}x")
    lttb_wall, lttb_cpu = rows[1][1]
    verdict = "met" if lttb_cpu <= TARGET_MS else "missed"
    print(
        f"lttb {lttb_wall:.2f} ms wall, {lttb_cpu:.2f} ms cpu; target {TARGET_MS:.0f} ms: {verdict}"
    )
    print(
        f"inline SVG: {len(svg.encode()) / 1024:.1f} KiB for 10 curves,"
        f" {len(svg.encode()) / 10240:.1f} KiB a curve"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
