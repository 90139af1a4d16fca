"""How fast `nbtrack runs` answers over a big store (target: <= 0.5 s).

Builds a SQLite store of 10,000 runs with 20 params and 10 metrics each (5
points per metric, written through the store's own metric path in bulk
transactions), then times fresh `nbtrack runs` processes, as a user runs them:

* `nbtrack runs`  (newest 20 of 10,000)
* `nbtrack runs --where "params.p3 < 0.5 and metrics.m1 > 0.2" --sort -metrics.m1`

Each is run several times and the median printed, next to two anchors measured
in the same session (`python -c pass` and `nbtrack --version`), so a slow or
noisy machine shows up in the anchors too.

    .venv/bin/python benchmarks/bench_runs_list.py [--runs 10000] [--repeat 7] [--url URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

TARGET = 0.5


def build(url: str, runs: int, root: Path) -> float:
    from nbtrack.config import load_settings
    from nbtrack.model import RunStatus
    from nbtrack.store import schema
    from nbtrack.store.sql import SqlStore

    settings = load_settings(root, env={"NBTRACK_STORE": url})
    store = SqlStore(url, settings=settings)
    rng = random.Random(7)
    t_start = time.perf_counter()
    t0 = time.time() - runs * 60
    chunk = 1000
    for first in range(0, runs, chunk):
        run_rows, param_rows, metric_batches = [], [], []
        for i in range(first, min(runs, first + chunk)):
            run_id = uuid.UUID(int=rng.getrandbits(128)).hex
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
            points = [
                (f"m{m}", rng.random(), step, started + step)
                for m in range(10)
                for step in range(5)
            ]
            metric_batches.append((run_id, points))
        with store._writer.begin() as connection:
            connection.execute(schema.runs.insert(), run_rows)
            connection.execute(
                schema.run_details.insert(),
                [{"run_id": r["id"], "git_diff_truncated": False} for r in run_rows],
            )
            connection.execute(schema.params.insert(), param_rows)
            for run_id, points in metric_batches:
                store._metrics.append(connection, run_id, points)
    store.close()
    return time.perf_counter() - t_start


def timed(argv: list[str], env: dict[str, str], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--url", help="store URL (default: a new SQLite file in a temp dir)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        root = Path(tmp)
        url = args.url or f"sqlite:///{root / 'runs.db'}"
        seconds = build(url, args.runs, root)
        print(
            f"store: {args.runs:,} runs x 20 params x 10 metrics built in {seconds:.1f} s ({url})"
        )
        env = {**os.environ, "NBTRACK_STORE": url}
        nbtrack = [sys.executable, "-m", "nbtrack"]
        python_pass = timed([sys.executable, "-c", "pass"], env, args.repeat)
        version = timed([*nbtrack, "--version"], env, args.repeat)
        where = "params.p3 < 0.5 and metrics.m1 > 0.2"
        cases = {
            "nbtrack runs": [*nbtrack, "runs"],
            f'nbtrack runs --where "{where}" --sort -metrics.m1': [
                *nbtrack, "runs", "--where", where, "--sort", "-metrics.m1",
            ],
        }  # fmt: skip
        print(f"anchor  python -c pass       median {python_pass * 1000:7.1f} ms")
        print(f"anchor  nbtrack --version    median {version * 1000:7.1f} ms")
        for label, argv in cases.items():
            median = timed(argv, env, args.repeat)
            verdict = "meets" if median <= TARGET else "MISSES"
            print(
                f"{label}\n        median {median * 1000:7.1f} ms  "
                f"= {median / TARGET:.2f} x the {TARGET} s target ({verdict}), "
                f"{median / version:.2f} x nbtrack --version, "
                f"{median / python_pass:.2f} x python -c pass  ({args.repeat} runs)"
            )


if __name__ == "__main__":
    main()
