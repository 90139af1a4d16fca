"""The anchor of ``bench_scale.py``: MLflow's runs search on its own PostgreSQL
schema, with the same runs, params and last metrics as the nbtrack store.

The schema is MLflow's (made by ``MlflowClient`` through its own migrations,
in the database ``mlflow`` of the same server). One template run is logged
through MLflow's API (params ``lr``, ``epochs``, ``optimizer``; metrics
``loss``, ``val_acc``); the other runs are copies of its rows made with
``INSERT ... SELECT`` over ``generate_series``, with each run's own id,
start time and values (the nbtrack store's formulas), every 1,000th run
deleted. Metric histories are not copied: the search reads
``latest_metrics`` only.

MLflow compares params as strings only, so the timed query is
``params.lr = '0.001' and metrics.val_acc > 0.9`` (newest first, 50 runs),
and nbtrack's ``params.lr = 0.001 and metrics.val_acc > 0.9`` beside it.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from typing import Any

from bench_scale import WHERE_EQ, median_of, row
from scale_data import LRS, T0, admin_execute

MLFLOW_FILTER = "params.lr = '0.001' and metrics.val_acc > 0.9"


def _load(url: str, runs: int) -> str:
    """Make MLflow's store with *runs* runs; returns the experiment id."""
    import psycopg
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url.replace("postgresql://", "postgresql+psycopg://"))
    experiment = client.create_experiment("bench", artifact_location="file:///tmp/mlruns")
    template = client.create_run(experiment).info.run_id
    client.log_batch(
        template,
        metrics=[Metric("loss", 0.5, 0, 65), Metric("val_acc", 0.5, 0, 32)],
        params=[Param("lr", "0.001"), Param("epochs", "5"), Param("optimizer", "adam")],
    )
    client.set_terminated(template)
    hexid = "lpad(to_hex(g.v), 32, '0')"
    start = f"CAST(({T0} + CAST(g.v / 2 AS DOUBLE PRECISION) * 7.0) * 1000 AS BIGINT)"
    lr = "CASE (g.v / 3) % 6 " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(LRS))
    acc = "CAST((g.v * 7919) % 1000 AS DOUBLE PRECISION) / 1000.0"
    scale = "(1.0 + CAST(g.v % 7 AS DOUBLE PRECISION) / 10.0)"
    series = f"generate_series(1::bigint, {runs}::bigint) AS g(v)"
    with psycopg.connect(url) as connection:
        columns = [
            r[0]
            for r in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'runs' "
                "AND table_schema = 'public' ORDER BY ordinal_position"
            )
        ]
        special = {
            "run_uuid": hexid,
            "name": "'run-' || g.v",
            "start_time": start,
            "end_time": f"{start} + 60000",
            "deleted_time": f"CASE WHEN g.v % 1000 = 0 THEN {start} + 100000 END",
            "lifecycle_stage": "CASE WHEN g.v % 1000 = 0 THEN 'deleted' ELSE 'active' END",
        }
        chosen = ", ".join(special.get(c, f"t.{c}") for c in columns)
        steps = [
            f"INSERT INTO runs ({', '.join(columns)}) SELECT {chosen} FROM {series}, "
            f"(SELECT * FROM runs WHERE run_uuid = '{template}') AS t",
            f"INSERT INTO params (key, value, run_uuid) SELECT 'lr', {lr} END, {hexid} "
            f"FROM {series} UNION ALL SELECT 'epochs', CAST(g.v % 50 + 1 AS TEXT), {hexid} "
            f"FROM {series} UNION ALL SELECT 'optimizer', CASE WHEN g.v % 2 = 0 THEN 'adam' "
            f"ELSE 'sgd' END, {hexid} FROM {series}",
            f"INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            f"SELECT 'val_acc', {acc}, {start} + 32000, 32, false, {hexid} FROM {series} "
            f"UNION ALL SELECT 'loss', {scale} / 66.0, {start} + 65000, 65, false, {hexid} "
            f"FROM {series}",
            f"INSERT INTO tags (key, value, run_uuid) SELECT t.key, t.value, {hexid} "
            f"FROM {series}, (SELECT * FROM tags WHERE run_uuid = '{template}') AS t",
            # out of the search (rows of other tables still point at it)
            f"UPDATE runs SET lifecycle_stage = 'deleted' WHERE run_uuid = '{template}'",
        ]
        for sql in steps:
            connection.execute(sql)
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE")
    return str(experiment)


def anchor(args: argparse.Namespace, url: str) -> None:
    try:
        import mlflow
        from mlflow.tracking import MlflowClient
    except ImportError:
        print("\nMLflow is not installed, so no anchor: pip install -e '.[bench]'.")
        return
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    runs = args.mlflow_runs or args.runs
    theirs = url.rsplit("/", 1)[0] + "/mlflow"
    marker = args.keep / "generated-mlflow.json"
    done: dict[str, Any] = json.loads(marker.read_text()) if marker.exists() else {}
    if done.get("runs") != runs or args.regenerate:
        admin_execute(url, "DROP DATABASE IF EXISTS mlflow WITH (FORCE)")
        admin_execute(url, "CREATE DATABASE mlflow")
        print(f"\nloading {runs:,} runs into MLflow's schema ...", flush=True)
        start = time.perf_counter()
        experiment = _load(theirs, runs)
        took = round(time.perf_counter() - start, 1)
        done = {"runs": runs, "experiment": experiment, "total": took}
        marker.write_text(json.dumps(done) + "\n")
        print(f"  loaded in {took:.1f} s")
    client = MlflowClient(theirs.replace("postgresql://", "postgresql+psycopg://"))

    def search() -> int:
        found = client.search_runs(
            [done["experiment"]], MLFLOW_FILTER, max_results=50,
            order_by=["attributes.start_time DESC"],
        )  # fmt: skip
        return len(found)

    count = search()
    print(f"\nanchor: MLflow {mlflow.__version__} search_runs on PostgreSQL, {runs:,} runs")
    median, samples = median_of(search, args.repeat)
    row(f"MlflowClient.search_runs({MLFLOW_FILTER!r}, max_results=50): {count} runs",
        median, samples)  # fmt: skip
    from pathlib import Path

    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    store = SqlStore(url, settings=load_settings(Path.cwd(), env={"NBTRACK_STORE": url}))
    try:
        listed = len(store.run_page(where=WHERE_EQ, limit=50).runs)
        mine, samples = median_of(lambda: store.run_page(where=WHERE_EQ, limit=50), args.repeat)
    finally:
        store.close()
    row(f"nbtrack run_page({WHERE_EQ!r}, limit=50): {listed} runs", mine, samples)
    print(f"  -> nbtrack is {median / mine:.1f}x faster than MLflow's search on the same runs")
