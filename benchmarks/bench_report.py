"""How fast ``nbtrack report`` builds, and how big the file is (target: <= 5 s and <= 5 MB).

The issue's case: 100 runs x 3 metrics x 100,000 points each (30 million
points) in a SQLite store. The store is filled through its own write path
(``SqlStore.log_metrics``, one 100,000-point batch per metric of a run), and
the set-up time is printed. Then ``build_report`` (what ``nbtrack report``
runs: read, compare, downsample, draw, render) is timed, median of
``--repeat`` builds, with the size of the HTML it returns.

The anchor, measured in the same run on the same store: reading every point
of the 300 histories once with plain ``sqlite3`` (``SELECT value, step,
timestamp ... ORDER BY seq`` and ``fetchall``), what any Python code pays
that brings every point into memory to downsample it. The report does not:
it asks the store for each bucket's extremes (``Store.metric_extremes``), so
the database reads the points in C and Python sees a few thousand a history.
The ratio says what that saves.

    .venv/bin/python benchmarks/bench_report.py [--runs 100] [--metrics 3] [--points 100000]
        [--repeat 3] [--keep DIR]

``--keep DIR`` makes the store in DIR once and reuses it on later calls (the
set-up takes minutes at full size).
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

TARGET_SECONDS = 5.0
TARGET_BYTES = 5 * 1024 * 1024
METRICS = ("loss", "val_loss", "val_acc", "lr", "grad_norm")


def make_store(path: Path, runs: int, metrics: int, points: int) -> tuple[str, float]:
    """A store of *runs* runs with *metrics* metrics of *points* points; (url, seconds)."""
    from nbtrack.config import load_settings
    from nbtrack.model import Param, RunStatus
    from nbtrack.store.sql import SqlStore

    url = f"sqlite:///{path / 'runs.db'}"
    store = SqlStore(url, settings=load_settings(path, env={"NBTRACK_STORE": url}))
    start = time.perf_counter()
    t0 = time.time() - runs * 3600
    for r in range(runs):
        run_id = uuid.uuid4().hex
        started = t0 + r * 3600
        store.create_run(run_id=run_id, name=f"run {r:03d}", started_at=started)
        lr = 10 ** -(1 + r % 4)
        store.log_params(run_id, [Param("lr", lr), Param("seed", r % 7), Param("epochs", 10)])
        for key in METRICS[:metrics]:
            rate = 1e-4 * (1 + r % 5)
            rows = [(key, _value(key, s, rate, r), s, started + s * 0.01) for s in range(points)]
            store.log_metrics(run_id, rows)
        store.end_run(run_id, RunStatus.FINISHED, started + points * 0.01)
    seconds = time.perf_counter() - start
    store.close()
    return url, seconds


def _value(key: str, step: int, rate: float, run: int) -> float:
    noise = math.sin(step * 0.7 + run) * 0.02
    if key == "val_acc":
        return 1.0 - 0.9 * math.exp(-rate * step) + noise
    if key == "lr":
        return 0.1 * 0.5 ** (step // 20_000)
    return 2.0 * math.exp(-rate * step) + noise + (3.0 if step % 25_000 == 7 else 0.0)


def build(url: str) -> tuple[float, int]:
    from nbtrack.compare.reader import Reader
    from nbtrack.compare.report import build_report

    start = time.perf_counter()
    with Reader.open(url) as reader:
        ids = [run.id for run in reader.runs()][::-1]
        html = build_report(reader, ids, title="bench")
    return time.perf_counter() - start, len(html.encode("utf-8"))


def anchor(url: str) -> tuple[float, int]:
    """Every point read once with plain sqlite3; (seconds, points)."""
    path = url.removeprefix("sqlite:///")
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    series = connection.execute("SELECT DISTINCT run_seq, key FROM metrics").fetchall()
    count = 0
    for run_seq, key in series:
        rows = connection.execute(
            "SELECT value, step, timestamp FROM metrics WHERE run_seq = ? AND key = ? ORDER BY seq",
            (run_seq, key),
        ).fetchall()
        count += len(rows)
    connection.close()
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--metrics", type=int, default=3, choices=range(1, len(METRICS) + 1))
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="make the store here once; reuse it later")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        if (where / "runs.db").exists():
            url, setup = f"sqlite:///{where / 'runs.db'}", None
        else:
            url, setup = make_store(where, args.runs, args.metrics, args.points)
        total = args.runs * args.metrics * args.points
        print(f"{args.runs} runs x {args.metrics} metrics x {args.points:,} points "
              f"= {total:,} points in SQLite")  # fmt: skip
        if setup is not None:
            print(f"set-up  SqlStore.log_metrics, 1 batch per metric of a run: {setup:.1f} s "
                  f"({total / setup:,.0f} points/s)")  # fmt: skip
        anchors, builds, size = [], [], 0
        for _ in range(args.repeat):
            seconds, points = anchor(url)
            anchors.append(seconds)
            seconds, size = build(url)
            builds.append(seconds)
        a, b = statistics.median(anchors), statistics.median(builds)
        print(f"anchor  sqlite3 fetchall of every point ({points:,}):   {a:7.2f} s")
        verdict = "meets" if b <= TARGET_SECONDS and size <= TARGET_BYTES else "MISSES"
        print(
            f"report  build_report, median of {args.repeat}:        {b:7.2f} s  "
            f"= {b / a:.2f} x the anchor; {size / 2**20:.2f} MiB "
            f"(target <= {TARGET_SECONDS:.0f} s and <= {TARGET_BYTES / 2**20:.0f} MiB: {verdict})"
        )


if __name__ == "__main__":
    main()
