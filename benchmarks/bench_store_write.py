"""How fast the store persists metric points (target: >= 500,000 points/s on SQLite).

Times ``SqlStore.log_metrics`` alone (no tracking layer): 1,000,000 points of
4 keys in batches of 100,000, one transaction each, into a new SQLite store
(and a PostgreSQL database with ``--pg-url``). Prints the median of several
repetitions next to an anchor measured in the same session: plain
``sqlite3.executemany`` of the same tuples into a bare table with no index, the
floor any SQLite store pays.

    .venv/bin/python benchmarks/bench_store_write.py [--points 1000000] [--repeat 5]
    .venv/bin/python benchmarks/bench_store_write.py --pg-url postgresql://user@host:5432/db
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

TARGET = 500_000
BATCH = 100_000


def points(n: int) -> list[tuple[str, float, int | None, float]]:
    now = time.time()
    keys = ("loss", "acc", "lr", "grad_norm")
    return [(keys[i % 4], 1.0 / (i + 1), i // 4, now) for i in range(n)]


def store_rate(url: str, rows: list[tuple[str, float, int | None, float]], root: Path) -> float:
    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    store = SqlStore(url, settings=load_settings(root, env={"NBTRACK_STORE": url}))
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="bench", started_at=time.time())
    start = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        store.log_metrics(run_id, rows[first : first + BATCH])
    seconds = time.perf_counter() - start
    store.close()
    return len(rows) / seconds


def anchor_rate(path: Path, rows: list[tuple[str, float, int | None, float]]) -> float:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("CREATE TABLE m (key TEXT, value REAL, step INTEGER, ts REAL)")
    start = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        connection.executemany("INSERT INTO m VALUES (?, ?, ?, ?)", rows[first : first + BATCH])
        connection.commit()
    seconds = time.perf_counter() - start
    connection.close()
    return len(rows) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", help="also measure a PostgreSQL database (it gets a run)")
    args = parser.parse_args()
    rows = points(args.points)
    sqlite_rates, anchors, pg_rates = [], [], []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
            root = Path(tmp)
            anchors.append(anchor_rate(root / "anchor.db", rows))
            sqlite_rates.append(store_rate(f"sqlite:///{root / f'runs{i}.db'}", rows, root))
            if args.pg_url:
                pg_rates.append(store_rate(args.pg_url, rows, root))
    anchor = statistics.median(anchors)
    rate = statistics.median(sqlite_rates)
    verdict = "meets" if rate >= TARGET else "MISSES"
    print(f"{args.points:,} points in batches of {BATCH:,}, median of {args.repeat} runs")
    print(f"anchor  sqlite3 executemany, bare table   {anchor:12,.0f} points/s")
    print(
        f"store   SqlStore.log_metrics -> SQLite     {rate:12,.0f} points/s  "
        f"= {rate / TARGET:.2f} x the {TARGET:,}/s target ({verdict}), "
        f"{rate / anchor:.2f} x the anchor"
    )
    if pg_rates:
        pg = statistics.median(pg_rates)
        print(f"store   SqlStore.log_metrics -> PostgreSQL {pg:12,.0f} points/s")


if __name__ == "__main__":
    main()
