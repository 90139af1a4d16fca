"""How fast `nbtrack compare` answers for 10 runs of 100,000 points per metric (target <= 0.5 s).

Builds a SQLite store of 10 runs of one notebook, each with 3 metrics of
100,000 points (``val_acc`` and ``val_loss``, whose best values need the
whole history, and ``grad_norm``, whose direction is unknown so only its
summary is read), 5 params (one varying), 2 data refs, 50 packages and the
same code snapshot; then times, as a user runs them:

* ``nbtrack compare --where "name like 'sweep-%'"`` (the 10 runs, a fresh
  process, terminal format in a pipe), and the same with ``--format json``;
* in-process ``compare_runs`` on the 10 runs.

Anchors measured in the same session: ``nbtrack --version`` (a process that
imports nothing of the store) and the plain ``Reader.history`` loop over the
20 histories a comparison must read (the floor of any comparison that
reports the step of each best value: MLflow is not installed here, and its
``get_metric_history`` reads a history as objects, which that loop bounds
from below). A last row shows runs whose code differs: the first jupytext
import (about a second) is paid then, so that case is reported, not targeted.

    .venv/bin/python benchmarks/bench_compare.py [--points 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 0.5
RUNS = 10
CODE = (
    "# %%\nimport numpy as np\n\n# %%\nlr = 0.1\nepochs = 20\n\n"
    "# %%\nfor e in range(epochs):\n    pass\n"
)


def build(
    url: str, points: int, root: Path, *, other_code: bool = False
) -> tuple[float, list[str]]:
    from nbtrack.config import load_settings
    from nbtrack.model import DataRef, Environment, GitState, Param, RunStatus, Source
    from nbtrack.store.sql import SqlStore

    settings = load_settings(root, env={"NBTRACK_STORE": url})
    store = SqlStore(url, settings=settings)
    start = time.perf_counter()
    t0 = time.time() - 86_400
    packages = {f"package-{k}": f"1.{k}.0" for k in range(50)}
    ids = []
    for i in range(RUNS):
        run_id = f"{i:02d}" + "b" * 30
        started = t0 + i * 600
        snapshot = CODE.replace("0.1", str(10.0**-i)) if other_code else CODE
        store.create_run(
            run_id=run_id,
            name=f"sweep-{i}",
            started_at=started,
            source=Source(path="notebooks/train.ipynb", snapshot=snapshot),
            git=GitState(commit="a" * 40, branch="main", dirty=False),
            environment=Environment(python="3.11.7", packages={**packages, "numpy": f"1.{i}"}),
        )
        store.log_params(run_id, [Param("lr", 10.0**-i), *(Param(f"p{k}", k) for k in range(4))])
        for key in ("val_acc", "val_loss", "grad_norm"):
            rows = [(key, (s % 997) / 997.0, s, started + s / 1000.0) for s in range(points)]
            store.log_metrics(run_id, rows)
        for k in range(2):
            digest = f"sha256:{k}{'0' if k == 0 else str(i)}" + "f" * 62
            store.add_data_ref(run_id, DataRef(f"data/part{k}.csv", "file", digest, 100))
        store.end_run(run_id, RunStatus.FINISHED, started + 500)
        ids.append(run_id)
    store.close()
    return time.perf_counter() - start, ids


def user_env(url: str) -> dict[str, str]:
    """The environment of a user's shell: bytecode caching on, whatever this one says.

    Some sandboxes set PYTHONDONTWRITEBYTECODE, which makes every command
    compile its imports anew (SQLAlchemy alone: ~0.3 s); no installed tool
    runs like that.
    """
    env = {**os.environ, "NBTRACK_STORE": url}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv: list[str], env: dict[str, str], repeat: int) -> float:
    samples = []
    subprocess.run(argv, env=env, capture_output=True)  # warm-up: bytecode and page cache
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{proc.stderr}")
    return statistics.median(samples)


def in_process(url: str, ids: list[str], repeat: int) -> tuple[float, float]:
    """(median of compare_runs, median of the Reader.history loop it must do), seconds."""
    from nbtrack.compare.comparison import compare_runs
    from nbtrack.compare.reader import Reader

    compares, loops = [], []
    for _ in range(repeat):
        with Reader.open(url) as reader:
            start = time.perf_counter()
            for run_id in ids:
                for key in ("val_acc", "val_loss"):
                    reader.history(run_id, key)
            loops.append(time.perf_counter() - start)
        with Reader.open(url) as reader:
            start = time.perf_counter()
            compare_runs(reader, ids)
            compares.append(time.perf_counter() - start)
    return statistics.median(compares), statistics.median(loops)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'runs.db'}"
        seconds, ids = build(url, args.points, root)
        print(f"store: {RUNS} runs x 3 metrics x {args.points:,} points built in {seconds:.1f} s")
        env = user_env(url)
        nbtrack = [sys.executable, "-m", "nbtrack"]
        version = timed([*nbtrack, "--version"], env, args.repeat)
        listing = timed([*nbtrack, "runs", "--limit", "1"], env, args.repeat)
        compare, loop = in_process(url, ids, args.repeat)
        print(f"anchor  nbtrack --version                  median {version * 1000:7.1f} ms")
        print(f"anchor  nbtrack runs --limit 1             median {listing * 1000:7.1f} ms")
        print(f"anchor  Reader.history x 20 (in process)   median {loop * 1000:7.1f} ms")
        print(
            f"compare_runs, 10 runs (in process)         median {compare * 1000:7.1f} ms  "
            f"= {compare / loop:.2f} x the history loop"
        )
        where = ["--where", "name like 'sweep-%'"]
        cases = {
            "nbtrack compare --where ...": [*nbtrack, "compare", *where],
            "nbtrack compare --where ... --format json": [
                *nbtrack, "compare", *where, "--format", "json",
            ],
        }  # fmt: skip
        for label, argv in cases.items():
            median = timed(argv, env, args.repeat)
            verdict = "meets" if median <= TARGET else "MISSES"
            print(
                f"{label}\n        median {median * 1000:7.1f} ms  "
                f"= {median / TARGET:.2f} x the {TARGET} s target ({verdict}), "
                f"{median / version:.2f} x nbtrack --version, "
                f"{(median - listing) * 1000:+.0f} ms over nbtrack runs --limit 1, "
                f"{median / loop:.2f} x the history loop  ({args.repeat} runs)"
            )
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'runs.db'}"
        build(url, 10, root, other_code=True)
        env = user_env(url)
        median = timed([*nbtrack, "compare", *where], env, args.repeat)
        print(
            f"nbtrack compare, 10 runs whose code differs (10 points each; jupytext's import)\n"
            f"        median {median * 1000:7.1f} ms  (reported, not targeted)"
        )


if __name__ == "__main__":
    main()
