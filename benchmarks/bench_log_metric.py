"""How much ``nbtrack.log_metric`` costs in a training loop, and how fast it persists.

Logs N metric points (default 1,000,000) in a plain loop through the public
API and reports, as medians over several repetitions:

* the cost per call in the loop (loop time / N);
* the time until every point is persisted (loop start until ``end_run``
  returns) and the resulting points per second;
* two anchors measured in the same process: the same loop calling a no-op
  Python function with the same arguments, and appending the same tuple to a
  list (what the buffer does at its core), printed as ratios;
* on SQLite, and on PostgreSQL when ``--pg-url`` (or ``NBTRACK_BENCH_PG_URL``)
  is given;
* when MLflow is importable, the same loop through ``mlflow.log_metric`` on
  MLflow's SQLite backend (fewer calls: it costs milliseconds a call) and the
  per-call ratio MLflow / nbtrack.

Run it:

    .venv/bin/python benchmarks/bench_log_metric.py
    .venv/bin/python benchmarks/bench_log_metric.py --pg-url postgresql://user@host/db

Targets (issue 2): <= 1 us a call, >= 500,000 points/s persisted to SQLite,
>= 1000x less per call than mlflow.log_metric.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbtrack
from nbtrack.config import load_settings
from nbtrack.tracking.api import get_tracker


def _noop(key: str, value: float, step: int | None = None) -> None:
    return None


def loop_cost(call: Callable[..., object], n: int) -> float:
    """Seconds for n calls of ``call("loss", value, step=i)`` in a plain loop."""
    started = time.perf_counter()
    for i in range(n):
        call("loss", i * 1e-6, step=i)
    return time.perf_counter() - started


def append_cost(n: int) -> float:
    """Seconds to append the same tuple n times: the floor of any buffer."""
    row = ("loss", 0.5, 1, 0.0)
    buffer: list[tuple[str, float, int, float]] = []
    append = buffer.append
    started = time.perf_counter()
    for _ in range(n):
        append(row)
    return time.perf_counter() - started


def bench_nbtrack(url: str, n: int, root: Path) -> tuple[float, float, float]:
    """(loop seconds, seconds until persisted, end_run seconds) for one run of n points."""
    settings = load_settings(root, env={**os.environ, "NBTRACK_STORE": url})
    run = nbtrack.start_run(name="bench", settings=settings)
    log_metric = nbtrack.log_metric
    started = time.perf_counter()
    for i in range(n):
        log_metric("loss", i * 1e-6, step=i)
    looped = time.perf_counter()
    nbtrack.end_run()
    ended = time.perf_counter()
    count = {m.key: m.count for m in get_tracker().store(settings).get_run(run.id).metrics}
    if count.get("loss") != n:
        sys.exit(f"bench: expected {n} points in the store, found {count.get('loss')}")
    return looped - started, ended - started, ended - looped


def bench_store_only(url: str, n: int, root: Path) -> float:
    """Seconds for the store alone to take n prepared points in one heartbeat."""
    settings = load_settings(root, env={**os.environ, "NBTRACK_STORE": url})
    run = nbtrack.start_run(name="bench-store-only", settings=settings)
    now = time.time()
    rows = [("loss", i * 1e-6, i, now) for i in range(n)]
    started = time.perf_counter()
    run.store.heartbeat(run.id, time.time(), rows)
    took = time.perf_counter() - started
    nbtrack.end_run()
    return took


def bench_mlflow(n: int, repeat: int, folder: Path) -> list[float] | None:
    """Per-call seconds of mlflow.log_metric on its SQLite backend, or None."""
    try:
        mlflow: Any = importlib.import_module("mlflow")
    except ImportError:
        return None
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    results = []
    for _ in range(repeat):
        with mlflow.start_run():
            mlflow.log_metric("loss", 0.0, step=0)  # warm-up: first write, caches
            started = time.perf_counter()
            for i in range(n):
                mlflow.log_metric("loss", i * 1e-6, step=i)
            results.append((time.perf_counter() - started) / n)
    return results


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:8.3f} us"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("NBTRACK_BENCH_PG_URL"))
    parser.add_argument("--mlflow-calls", type=int, default=200)
    parser.add_argument("--mlflow-repeat", type=int, default=3)
    args = parser.parse_args(argv)
    n, repeat = args.points, args.repeat

    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-"))
    root = folder / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    os.chdir(root)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, load {load}")
    print(f"{n:,} points a run, median of {repeat} runs\n")

    noop = statistics.median(loop_cost(_noop, n) for _ in range(repeat)) / n
    append = statistics.median(append_cost(n) for _ in range(repeat)) / n
    print(f"anchor: no-op function call in the loop  {_us(noop)} a call")
    print(f"anchor: list.append of a tuple           {_us(append)} a call\n")

    stores = [("sqlite", f"sqlite:///{folder / 'nbtrack.db'}")]
    if args.pg_url:
        stores.append(("postgresql", args.pg_url))
    per_call_sqlite = None
    for label, url in stores:
        bench_nbtrack(url, 1000, root)  # warm-up: schema, imports, connections
        runs = []
        for _ in range(repeat):
            gc.collect()
            runs.append(bench_nbtrack(url, n, root))
        store_only = statistics.median(bench_store_only(url, n, root) for _ in range(repeat))
        loop = statistics.median(r[0] for r in runs) / n
        persisted = statistics.median(r[1] for r in runs)
        end = statistics.median(r[2] for r in runs)
        if label == "sqlite":
            per_call_sqlite = loop
        print(f"nbtrack.log_metric -> {label}")
        print(f"  per call in the loop        {_us(loop)}   ({loop / noop:.1f}x the no-op call,"
              f" {loop / append:.1f}x list.append)")  # fmt: skip
        print(f"  loop start -> all persisted {persisted:8.3f} s    ({n / persisted:,.0f} points/s;"
              f" end_run itself {end:.3f} s)")  # fmt: skip
        print(f"  anchor: Store.heartbeat of the same points, prepared  {store_only:.3f} s"
              f"  (persisted / store alone: {persisted / store_only:.2f})")  # fmt: skip
        print(
            f"  runs (loop s, persisted s): {', '.join(f'{a:.3f}/{b:.3f}' for a, b, _ in runs)}\n"
        )

    mlflow_costs = bench_mlflow(args.mlflow_calls, args.mlflow_repeat, folder)
    if mlflow_costs is None:
        print("mlflow: not importable here; install it in a throwaway venv to compare.")
    elif per_call_sqlite is not None:
        mlflow: Any = importlib.import_module("mlflow")
        mlflow_call = statistics.median(mlflow_costs)
        print(f"mlflow {mlflow.__version__} log_metric -> sqlite ({args.mlflow_calls} calls,"
              f" median of {args.mlflow_repeat})")  # fmt: skip
        print(f"  per call                    {_us(mlflow_call)}")
        print(f"  ratio mlflow / nbtrack      {mlflow_call / per_call_sqlite:,.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
