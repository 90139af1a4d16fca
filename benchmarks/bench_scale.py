"""How a large store answers (issue 14): a PostgreSQL store of 1,000,000 runs and
100,000,000 metric points, a SQLite store of 100,000 runs.

Targets (PostgreSQL, 1,000,000 runs), each against an anchor of the same run:

* ``nbtrack runs --where "params.lr < 0.01 and metrics.val_acc > 0.9"
  --limit 50``: <= 0.5 s. Measured in process (``Store.list_page``, what the
  command calls) and as the command end to end (a new process each time).
  Anchor: MLflow's ``search_runs`` on its own PostgreSQL schema with the same
  runs, params and last metrics. MLflow compares params as strings only, so
  its query is ``params.lr = '0.001' and metrics.val_acc > 0.9`` (a sixth of
  the runs instead of a half); ours is printed beside it with the same
  ``=`` too.
* one run's metric history of 1,000,000 points: <= 0.5 s
  (``nbtrack.metric_history``, and ``Store.metric_arrays`` under it).

Also printed: the plain newest-first page, page 10,000 by offset against the
same page by keyset cursor (``--after``), and the EXPLAIN (ANALYZE) plan of
every statement the timed listing ran. SQLite: the same figures, no target.

The data (see ``scale_data.py``) is generated once into ``--keep DIR``
(default ``/work/bench-data/scale-<backend>``; never the repository) and
reused by later invocations; ``--regenerate`` makes it again. The
PostgreSQL server is this script's own (its data directory under DIR, a
free port, stopped at the end) unless ``--url`` names one.

    .venv/bin/python benchmarks/bench_scale.py [--backend postgresql|sqlite]
        [--runs N] [--keep DIR] [--url URL] [--repeat 5] [--generate-only]
        [--regenerate] [--no-mlflow] [--mlflow-runs N] [--anchor-only]

The machine: 2 cores, shared with other work, noisy; compare the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_data

TARGET = 0.5
WHERE = "params.lr < 0.01 and metrics.val_acc > 0.9"
WHERE_EQ = "params.lr = 0.001 and metrics.val_acc > 0.9"


def median_of(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def row(label: str, median: float, samples: list[float], target: float | None = None) -> None:
    shown = ", ".join(f"{s:.3f}" for s in samples)
    verdict = ""
    if target is not None:
        verdict = f" ({'meets' if median <= target else 'MISSES'} the {target} s target)"
    print(f"  {label}: median {median:.3f} s{verdict} [{shown}]", flush=True)


def _settings(url: str) -> Any:
    from nbtrack.config import load_settings

    return load_settings(Path.cwd(), env={"NBTRACK_STORE": url})


@contextmanager
def store_url(args: argparse.Namespace) -> Iterator[str]:
    """The nbtrack store's URL, with the server started (and stopped after) if ours."""
    if args.backend == "sqlite":
        args.keep.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{args.keep / 'runs.db'}"
        return
    if args.url:
        yield args.url
        return
    server = scale_data.PgServer(args.keep)
    server.start()
    args.server = server
    try:
        scale_data.admin_execute(server.url("postgres"), "SELECT 1")
        # it may exist: kept from an earlier invocation
        with contextlib.suppress(Exception):
            scale_data.admin_execute(server.url("postgres"), "CREATE DATABASE nbtrack")
        yield server.url("nbtrack")
    finally:
        server.stop()


def generate(args: argparse.Namespace, url: str) -> None:
    marker = args.keep / f"generated-{args.backend}.json"
    if marker.exists() and not args.regenerate:
        done = json.loads(marker.read_text())
        if done.get("runs") == args.runs:
            print(f"data: kept from {done['at']} ({marker}); generation took {done['total']} s")
            return
    from nbtrack.store.sql import SqlStore

    print(f"generating {args.runs:,} runs into {args.keep} ...", flush=True)
    start = time.perf_counter()
    if args.backend == "sqlite":
        path = args.keep / "runs.db"
        path.unlink(missing_ok=True)
        SqlStore(url, settings=_settings(url)).close()
        log = scale_data.generate_sqlite(str(path), args.runs)
    else:
        _drop_tables(url)
        SqlStore(url, settings=_settings(url)).close()
        log = scale_data.generate_pg(url, args.runs)
    total = round(time.perf_counter() - start, 1)
    load = os.getloadavg()
    print(f"  generated in {total:.1f} s (load average {load[0]:.1f})")
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    scale_data.save_log(marker, {"runs": args.runs, "at": at, "total": total, "steps": log})


def _drop_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument("--url", default=None, help="an existing PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--mlflow-runs", type=int, default=None)
    parser.add_argument("--anchor-only", action="store_true", help="only MLflow's search")
    args = parser.parse_args()
    # a kill stops our PostgreSQL server too (the finally of store_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.runs is None:
        args.runs = 1_000_000 if args.backend == "postgresql" else 100_000
    if args.keep is None:
        args.keep = Path("/work/bench-data") / f"scale-{args.backend}"
    args.keep = args.keep.resolve()
    print(
        f"bench_scale: {args.backend}, {args.runs:,} runs; machine: {os.cpu_count()} cores, "
        f"shared, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with store_url(args) as url:
        generate(args, url)
        if args.generate_only:
            return
        if args.anchor_only:
            import scale_mlflow

            scale_mlflow.anchor(args, url)
            return
        import scale_measure

        scale_measure.measure(args, url)


if __name__ == "__main__":
    main()
