"""The timed part of ``bench_scale.py``: listings, pages, a long history, plans.

Each figure is the median of ``--repeat`` runs; every statement a timed call
sends is captured once and printed with its plan (PostgreSQL: ``EXPLAIN
(ANALYZE, BUFFERS)``; SQLite: ``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_scale import TARGET, WHERE, WHERE_EQ, median_of, row
from scale_data import run_id


@contextmanager
def captured(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """The statements (SQL, parameters) sent through *engine* inside the block."""
    import sqlalchemy as sa

    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def print_plans(store: Any, label: str, fn: Callable[[], Any]) -> None:
    """Run *fn* once, then print the plan of each listing statement it sent."""
    with captured(store.engine) as seen:
        fn()
    wanted = [
        (s, p) for s, p in seen
        if (s.lstrip().upper().startswith("SELECT") and "FROM runs" in s.replace('"', ""))
        or "FROM metrics" in s
    ]  # fmt: skip
    print(f"\n  -- plans of {label} ({len(wanted)} statements) --")
    with store.engine.connect() as connection:
        raw = connection.connection.cursor()
        for statement, parameters in wanted:
            if store.dialect == "postgresql":
                raw.execute("SET LOCAL jit = off")
                raw.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                lines = [r[0] for r in raw.fetchall()]
            else:
                raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                lines = [f"{'  ' * 0}{r[-1]}" for r in raw.fetchall()]
            print("  " + " ".join(statement.split())[:300])
            for line in lines:
                print("     " + line)
        connection.rollback()


#: CPU seconds (user + system) of each command run by ``_command``, by its arguments
CPU: dict[tuple[str, ...], list[float]] = {}


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _command(url: str, *args: str) -> Callable[[], None]:
    # `python -m nbtrack` of this interpreter: the nbtrack this script imports
    env = dict(os.environ, NBTRACK_STORE=url)
    command = [sys.executable, "-m", "nbtrack", *args]

    def run() -> None:
        before = _cpu_children()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        CPU.setdefault(args, []).append(_cpu_children() - before)
        if done.returncode:
            raise SystemExit(f"nbtrack {' '.join(args)} failed: {done.stderr.strip()}")

    return run


def measure(args: argparse.Namespace, url: str) -> None:

    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    os.environ["NBTRACK_STORE"] = url
    store = SqlStore(url, settings=load_settings(Path.cwd(), env={"NBTRACK_STORE": url}))
    n, rep = args.runs, args.repeat
    print(f"\nlistings of {n:,} runs (load average {os.getloadavg()[0]:.1f})", flush=True)
    first = store.run_page(where=WHERE, limit=50)
    print(f"  --where {WHERE!r}: {len(first.runs)} runs, more: {first.more:,}"
          f"{'+' if first.more_capped else ''}")  # fmt: skip
    for label, fn, target in [
        ("newest 50 (run_page)", lambda: store.run_page(limit=50), None),
        (f"--where {WHERE} --limit 50 (run_page, in process)",
         lambda: store.run_page(where=WHERE, limit=50), TARGET),
        (f"--where {WHERE_EQ} --limit 50 (run_page)",
         lambda: store.run_page(where=WHERE_EQ, limit=50), None),
        ("the same page without the capped count (count_cap=0)",
         lambda: store.run_page(where=WHERE, limit=50, count_cap=0), None),
        ("before: list_page (exact count(*) OVER ()) of the --where",
         lambda: store.list_page(where=WHERE, limit=50), None),
    ]:  # fmt: skip
        median, samples = median_of(fn, rep if "before" not in label else max(2, rep // 2))
        row(label, median, samples, target)
    command = ("runs", "--where", WHERE, "--limit", "50")
    median, samples = median_of(_command(url, *command), rep)
    row("nbtrack runs --where ... --limit 50, the command end to end", median, samples, TARGET)
    cpu = statistics.median(CPU[command])
    print(f"  its CPU time (user + system): median {cpu:.3f} s: on a loaded machine the wall")
    print("  time above is mostly waiting for a core")
    floor, samples = median_of(_command(url, "runs", "--limit", "1"), rep)
    row("anchor: nbtrack runs --limit 1 (start-up + opening the store)", floor, samples)
    floor_cpu = statistics.median(CPU["runs", "--limit", "1"])
    print(f"  its CPU time: median {floor_cpu:.3f} s -> the --where command's CPU is "
          f"{cpu / floor_cpu:.2f}x the floor's")  # fmt: skip
    print(f"  -> the --where command is {median / floor:.2f}x the floor, +{median - floor:.3f} s")
    start, samples = median_of(_command(url, "--version"), rep)
    row("anchor: nbtrack --version (process start-up alone)", start, samples)
    pages(store, n, rep)
    history(store, rep)
    print_plans(store, "the --where page", lambda: store.run_page(where=WHERE, limit=50))
    print_plans(store, "the newest page", lambda: store.run_page(limit=50))
    history_plan(store)
    store.close()
    if args.backend == "postgresql" and not args.no_mlflow:
        import scale_mlflow

        scale_mlflow.anchor(args, url)


def pages(store: Any, n: int, rep: int) -> None:
    """Page 1 and page 10,000 (of 50 runs) by offset and by keyset cursor."""
    from nbtrack.store import keyset, sql_page, sql_read

    deep = min(10_000, n // 50 - 1)
    listing = sql_page.mark(sql_read.RunQuery.parse(None, ()))
    before = store.list_page(limit=1, offset=(deep - 1) * 50 - 1)[0][0]
    cursor = keyset.encode(listing, [before.started_at, before.id])
    by_offset = store.list_page(limit=50, offset=(deep - 1) * 50)[0]
    by_keyset = store.run_page(limit=50, after=cursor, count_cap=0).runs
    assert [r.id for r in by_offset] == [r.id for r in by_keyset]
    print(f"\npage {deep:,} of 50 runs: offset vs keyset (the same 50 runs)", flush=True)
    for label, fn in [
        ("page 1 by offset (list_page)", lambda: store.list_page(limit=50)),
        ("page 1 by keyset (run_page)", lambda: store.run_page(limit=50, count_cap=0)),
        (f"page {deep:,} by offset",
         lambda: store.list_page(limit=50, offset=(deep - 1) * 50)),
        (f"page {deep:,} by keyset cursor",
         lambda: store.run_page(limit=50, after=cursor, count_cap=0)),
    ]:  # fmt: skip
        median, samples = median_of(fn, rep)
        row(label, median, samples)
    print_plans(store, f"page {deep:,} by keyset", lambda: store.run_page(limit=50, after=cursor))


def history_plan(store: Any) -> None:
    """The plan of the history's query (sent through the raw driver, so not captured)."""
    sql = (
        'SELECT "value", step, "timestamp" FROM metrics WHERE run_seq = 1 '
        "AND \"key\" = 'train_loss' ORDER BY seq"
    )
    explain = (
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
        if store.dialect == "postgresql"
        else ("EXPLAIN QUERY PLAN ")
    )
    print("\n  -- plan of the history's query --\n  " + sql)
    with store.engine.connect() as connection:
        for r in connection.exec_driver_sql(explain + sql):
            print("     " + str(r[-1]))
        connection.rollback()


def history(store: Any, rep: int) -> None:
    import nbtrack

    long_run = run_id(1)
    assert len(nbtrack.metric_history(long_run, "train_loss")) == 1_000_000
    print("\none run's history of 1,000,000 points", flush=True)
    median, samples = median_of(lambda: nbtrack.metric_history(long_run, "train_loss"), rep)
    row("nbtrack.metric_history (a DataFrame)", median, samples, TARGET)
    median, samples = median_of(lambda: store.metric_arrays(long_run, "train_loss"), rep)
    row("Store.metric_arrays (numpy arrays)", median, samples, TARGET)
