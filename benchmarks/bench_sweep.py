"""Benchmark: a 12-run sweep of notebooks/train.ipynb with -j 2 against the same 12 runs in turn.

    .venv/bin/python benchmarks/bench_sweep.py [--repeat 2] [--jobs 2] [--epochs 2]

Both are the real command, ``nbtrack run notebooks/train.ipynb --grid
lr=...(6 values) --grid seed=0,1 -p epochs=E``, in a fresh process, into a
fresh SQLite store in a temporary folder: once with ``-j 1`` (the anchor: one
run after another) and once with ``-j N``, alternately, ``--repeat`` times
each. The script prints every wall time, the medians, their ratio and the
load average before and after (the machine is a shared 2-core VM: other
work slows both, and takes cores a parallel sweep would use).
Target (issue 14): the -j 2 sweep <= 0.6x the sequential one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "train.ipynb"
TARGET = 0.6
GRID = ("--grid", "lr=0.001,0.003,0.01,0.03,0.1,0.3", "--grid", "seed=0,1")
RUNS = 12


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def sweep(extra: Sequence[str], epochs: int, store: Path) -> float:
    """Seconds of one whole sweep with *extra* options (the command's wall time); exits if a
    run failed. ``bench_sweep_dask.py`` times its cluster sweeps with this too."""
    command = [sys.executable, "-m", "nbtrack", "run", str(NOTEBOOK), *GRID]
    command += ["-p", f"epochs={epochs}", *extra]
    env = {**os.environ, "NBTRACK_STORE": str(store)}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"the sweep {' '.join(extra)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="sweeps of each kind (default 2)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each run (default 2)")
    args = parser.parse_args()

    before = load()
    times: dict[int, list[float]] = {1: [], args.jobs: []}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as name:
        for round_ in range(args.repeat):
            # alternate, so a change of the machine's load falls on both kinds
            for jobs in (1, args.jobs) if round_ % 2 == 0 else (args.jobs, 1):
                store = Path(name) / f"runs-{jobs}-{round_}.db"
                seconds = sweep(["-j", str(jobs)], args.epochs, store)
                times[jobs].append(seconds)
                print(f"  -j {jobs}: {seconds:.1f} s ({seconds / RUNS:.2f} s a run; load {load()})")

    sequential = statistics.median(times[1])
    parallel = statistics.median(times[args.jobs])
    ratio = parallel / sequential
    print(f"\n{RUNS} runs of {NOTEBOOK.relative_to(ROOT)} (epochs={args.epochs}),")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average")
    print(f"before {before}, after {load()} (other work slows both kinds; compare the ratio)\n")
    print(f"{'sweep':<26} {'runs':>4} {'median':>9} {'x anchor':>9}")
    print(f"{'-j 1 (anchor, in turn)':<26} {args.repeat:>4} {sequential:>8.1f}s {1:>9.2f}")
    print(f"{f'-j {args.jobs}':<26} {args.repeat:>4} {parallel:>8.1f}s {ratio:>9.2f}")
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"\n-j {args.jobs} takes {ratio:.2f}x the sequential sweep: {verdict} {TARGET}x")


if __name__ == "__main__":
    main()
