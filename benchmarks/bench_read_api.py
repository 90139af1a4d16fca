"""How fast the read API answers (issue 10): histories and runs as DataFrames.

Targets, each against an anchor measured in the same run:

* ``nbtrack.metric_history(run, key)`` of 1,000,000 points: <= 0.5 s.
  Anchor: MLflow ``MlflowClient.get_metric_history`` of 10,000 points on
  its SQLite tracking store (issue: 0.30 s), compared per point.
* ``nbtrack.runs()`` of 10,000 runs x 20 params x 10 metrics into a
  DataFrame: <= 1 s. Anchor: ``mlflow.search_runs`` over the same shape of
  runs in an MLflow SQLite store.
* ``Reader.histories`` of 10 runs x 100,000 points (what ``nbtrack compare``
  reads): <= 0.5 s.

MLflow is not an nbtrack dependency: ``pip install -e '.[bench]'`` (or
``pip install mlflow-skinny``) brings it; without it the script says so and
prints nbtrack's figures alone. The MLflow store's 10,000 runs are copies of
one run made through MLflow's API, written with SQL (making them one by one
through the API takes many minutes); the point history is logged through
the API (``log_batch``).

    .venv/bin/python benchmarks/bench_read_api.py [--repeat 5] [--points 1000000]
        [--runs 10000] [--mlflow-runs 10000] [--url URL] [--no-mlflow] [--no-fast]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

HISTORY_TARGET = 0.5
RUNS_TARGET = 1.0
COMPARE_TARGET = 0.5


def median_of(fn: Callable[[], Any], repeat: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def build_nbtrack(url: str, root: Path, runs: int, points: int) -> tuple[str, list[str]]:
    """The store: *runs* runs (20 params, 10 metrics), one with *points* of ``loss``,
    and ten with 100,000 points of ``val_acc``; returns (long run id, the ten ids)."""
    from nbtrack.config import load_settings
    from nbtrack.model import RunStatus
    from nbtrack.store import schema
    from nbtrack.store.sql import SqlStore

    store = SqlStore(url, settings=load_settings(root, env={"NBTRACK_STORE": url}))
    rng = random.Random(7)
    t0 = time.time() - runs * 60
    ids: list[str] = []
    for first in range(0, runs, 1000):
        run_rows, param_rows, batches = [], [], []
        for i in range(first, min(runs, first + 1000)):
            run_id = uuid.UUID(int=rng.getrandbits(128)).hex
            ids.append(run_id)
            started = t0 + i * 60
            run_rows.append(
                {
                    "seq": i + 1,
                    "id": run_id,
                    "name": f"run-{i}",
                    "status": RunStatus.FINISHED.value,
                    "started_at": started,
                    "ended_at": started + rng.uniform(10, 500),
                    "heartbeat_at": started + 500,
                    "notebook": f"notebooks/train_{i % 5}.ipynb",
                }
            )
            for p in range(20):
                value = rng.random() if p % 2 else rng.choice([8, 16, 32, 64])
                param_rows.append(
                    {
                        "run_id": run_id,
                        "key": f"p{p}",
                        "value": repr(value),
                        "num": float(value),
                        "text": repr(value),
                        "source": "code",
                    }
                )
            batches.append((run_id, [(f"m{m}", rng.random(), 1, started + 1) for m in range(10)]))
        with store._writer.begin() as connection:
            connection.execute(schema.runs.insert(), run_rows)
            connection.execute(
                schema.run_details.insert(),
                [{"run_id": r["id"], "git_diff_truncated": False} for r in run_rows],
            )
            connection.execute(schema.params.insert(), param_rows)
            for run_id, batch in batches:
                store._metrics.append(connection, run_id, batch)
    now = time.time()
    for start in range(0, points, 100_000):
        store.log_metrics(
            ids[0],
            [
                ("loss", rng.random(), s, now + s * 1e-3)
                for s in range(start, min(points, start + 100_000))
            ],
        )
    for run_id in ids[1:11]:
        store.log_metrics(run_id, [("val_acc", rng.random(), s, now + s) for s in range(100_000)])
    store.close()
    return ids[0], ids[1:11]


def bench_nbtrack(args: argparse.Namespace, root: Path) -> dict[str, float]:
    url = args.url or f"sqlite:///{root / 'runs.db'}"
    os.environ["NBTRACK_STORE"] = url
    start = time.perf_counter()
    long_run, ten = build_nbtrack(url, root, args.runs, args.points)
    print(
        f"nbtrack store: {args.runs:,} runs x 20 params x 10 metrics, one run with "
        f"{args.points:,} points, 10 with 100,000; built in {time.perf_counter() - start:.1f} s"
    )
    import nbtrack
    from nbtrack.compare.reader import Reader

    frame = nbtrack.metric_history(long_run, "loss")
    assert len(frame) == args.points, len(frame)
    history, samples = median_of(lambda: nbtrack.metric_history(long_run, "loss"), args.repeat)
    _row(f"nbtrack.metric_history, {args.points:,} points", history, samples, HISTORY_TARGET)
    if url.startswith("sqlite:///"):
        floor, samples = median_of(lambda: _driver_floor(url[len("sqlite:///") :]), args.repeat)
        print(
            f"  anchor: the same rows through sqlite3's fetchall alone: median {floor:.3f} s "
            f"-> metric_history is {history / floor:.2f}x the driver's floor"
        )
    runs_df = nbtrack.runs()
    assert runs_df.shape[0] == args.runs, runs_df.shape
    listing, samples = median_of(nbtrack.runs, args.repeat)
    _row(
        f"nbtrack.runs(), {args.runs:,} runs, {runs_df.shape[1]} columns",
        listing,
        samples,
        RUNS_TARGET,
    )

    def ten_histories() -> None:
        with Reader.open(url) as reader:
            got = reader.histories(ten, ["val_acc"])
            assert all(len(h) == 100_000 for h in got.values())

    compare, samples = median_of(ten_histories, args.repeat)
    _row("Reader.histories, 10 runs x 100,000 points", compare, samples, COMPARE_TARGET)
    return {"history": history, "runs": listing, "points": args.points}


def _driver_floor(path: str) -> int:
    """The rows of the long history fetched by the sqlite3 module alone (no nbtrack)."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT value, step, timestamp FROM metrics WHERE run_seq = 1 AND key = 'loss' "
            "ORDER BY seq"
        ).fetchall()
        return len(rows)
    finally:
        connection.close()


def _row(label: str, median: float, samples: list[float], target: float) -> None:
    verdict = "meets" if median <= target else "MISSES"
    shown = ", ".join(f"{s:.3f}" for s in samples)
    print(f"  {label}: median {median:.3f} s ({verdict} the {target} s target) [{shown}]")


def bench_mlflow(args: argparse.Namespace, root: Path, ours: dict[str, float]) -> None:
    try:
        import mlflow
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
    except ImportError:
        print(
            "MLflow is not installed, so no anchor: pip install -e '.[bench]' "
            "(or pip install mlflow-skinny) and run this again."
        )
        return
    import logging
    import sqlite3

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    db = root / "mlflow.db"
    uri = f"sqlite:///{db}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    experiment = client.create_experiment("bench", artifact_location=(root / "mlruns").as_uri())
    start = time.perf_counter()
    history_run = client.create_run(experiment).info.run_id
    now = int(time.time() * 1000)
    for first in range(0, 10_000, 1000):
        client.log_batch(
            history_run,
            metrics=[
                Metric("loss", random.random(), now + s, s) for s in range(first, first + 1000)
            ],
        )
    template = client.create_run(experiment).info.run_id
    client.log_batch(
        template,
        metrics=[Metric(f"m{m}", random.random(), now, 1) for m in range(10)],
        params=[Param(f"p{p}", str(random.random())) for p in range(20)],
    )
    client.set_terminated(template)
    _clone_runs(sqlite3, db, template, args.mlflow_runs - 1)
    print(
        f"MLflow {mlflow.__version__} SQLite store: {args.mlflow_runs:,} runs x 20 params x "
        f"10 metrics, one run with 10,000 points; built in {time.perf_counter() - start:.1f} s"
    )
    assert len(client.get_metric_history(history_run, "loss")) == 10_000
    history, samples = median_of(
        lambda: client.get_metric_history(history_run, "loss"), max(3, args.repeat // 2)
    )
    shown = ", ".join(f"{s:.3f}" for s in samples)
    print(
        f"  anchor MlflowClient.get_metric_history, 10,000 points: median {history:.3f} s [{shown}]"
    )
    per_point_ours = ours["history"] / ours["points"]
    per_point_theirs = history / 10_000
    print(
        f"  per point: nbtrack {per_point_ours * 1e9:.0f} ns, "
        f"MLflow {per_point_theirs * 1e9:.0f} ns"
        f" -> nbtrack {per_point_theirs / per_point_ours:.0f}x faster (goal >= 50x)"
    )

    def search() -> int:
        return len(mlflow.search_runs(experiment_ids=[experiment], max_results=100_000))

    assert search() == args.mlflow_runs + 1
    listing, samples = median_of(search, max(3, args.repeat // 2))
    shown = ", ".join(f"{s:.3f}" for s in samples)
    print(
        f"  anchor mlflow.search_runs, {args.mlflow_runs + 1:,} runs: "
        f"median {listing:.3f} s [{shown}]"
    )
    scale = (args.mlflow_runs + 1) / args.runs
    print(f"  nbtrack.runs() is {listing / (ours['runs'] * scale):.1f}x faster per run")


def _clone_runs(sqlite3: Any, db: Path, template: str, copies: int) -> None:
    """Copy the template run's rows *copies* times under new run ids."""
    connection = sqlite3.connect(db)
    tables = ("params", "metrics", "latest_metrics", "tags")
    with connection:
        cursor = connection.execute("SELECT * FROM runs WHERE run_uuid = ?", (template,))
        names = [d[0] for d in cursor.description]
        row = cursor.fetchone()
        rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in tables:
            c = connection.execute(f"SELECT * FROM {table} WHERE run_uuid = ?", (template,))
            rows[table] = ([d[0] for d in c.description], c.fetchall())
        rng = random.Random(11)
        new_runs: list[tuple[Any, ...]] = []
        side: dict[str, list[tuple[Any, ...]]] = {t: [] for t in tables}
        for i in range(copies):
            run_id = uuid.UUID(int=rng.getrandbits(128)).hex
            values = dict(zip(names, row, strict=True))
            values.update(run_uuid=run_id, name=f"run-{i}", start_time=values["start_time"] + i)
            new_runs.append(tuple(values[n] for n in names))
            for table, (columns, found) in rows.items():
                for r in found:
                    side[table].append(
                        tuple(
                            run_id if c == "run_uuid" else v
                            for c, v in zip(columns, r, strict=True)
                        )
                    )
        connection.executemany(
            f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            new_runs,
        )
        for table, (columns, _) in rows.items():
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                side[table],
            )
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    parser.add_argument("--url", help="nbtrack store URL (default: a new SQLite file)")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow anchors")
    parser.add_argument(
        "--no-fast", action="store_true", help="read SQLite without nbtrack[fast] (sqlite3 only)"
    )
    args = parser.parse_args()
    from nbtrack.store import sql_columns

    try:
        import adbc_driver_sqlite  # noqa: F401

        fast = not args.no_fast
    except ImportError:
        fast = False
    sql_columns.FAST_READS.enabled = fast
    print(
        "SQLite histories read through "
        + ("nbtrack[fast] (ADBC + Arrow)" if fast else "the sqlite3 module (no nbtrack[fast])")
    )
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        root = Path(tmp)
        os.chdir(root)
        ours = bench_nbtrack(args, root)
        if not args.no_mlflow:
            bench_mlflow(args, root, ours)


if __name__ == "__main__":
    main()
