"""Benchmark: `nbtrack smoke` end to end on a trivial 20-cell notebook, against its peers.

    .venv/bin/python benchmarks/bench_smoke.py [--runs 9] [--peer-runs 3]

Every command runs in a fresh process on the same generated notebook; the
script prints the median wall time of each, and its ratio to an anchor
(`python -c pass`) and to `nbtrack smoke`, all measured in this run. Peers
are measured when installed: papermill, `pytest --nbmake` (nbmake is not a
dependency), `jupyter execute`, and `jupytext --to py` followed by `python`.
Target (issue 4): `nbtrack smoke` median <= 0.35 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def make_notebook(path: Path, cells: int = 20) -> Path:
    """A trivial notebook: imports, small arithmetic, a print; execution counts in order."""
    sources = ["import math\nimport json"]
    sources += [f"x{i} = {i} * 2\ny{i} = math.sqrt(x{i} + 1)" for i in range(1, cells - 1)]
    sources.append("print(sum([" + ", ".join(f"y{i}" for i in range(1, cells - 1)) + "]))")
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{n}",
                "execution_count": n + 1,
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for n, source in enumerate(sources)
        ],
    }
    path.write_text(json.dumps(nb, indent=1))
    return path


def median_seconds(command: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    return statistics.median(times)


def tool(name: str) -> str | None:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else shutil.which(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of the anchor and nbtrack")
    parser.add_argument("--peer-runs", type=int, default=3, help="runs of each (slow) peer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as name:
        work = Path(name)
        nb = make_notebook(work / "trivial.ipynb")
        rows: list[tuple[str, float, int]] = []
        anchor = median_seconds([sys.executable, "-c", "pass"], args.runs, work)
        rows.append(("python -c pass (anchor)", anchor, args.runs))
        nbtrack = tool("nbtrack")
        smoke_cmd = [nbtrack] if nbtrack else [sys.executable, "-m", "nbtrack"]
        smoke = median_seconds([*smoke_cmd, "smoke", nb.name], args.runs, work)
        rows.append(("nbtrack smoke", smoke, args.runs))

        peers: list[tuple[str, list[list[str]]]] = []
        if tool("papermill"):
            peers.append(("papermill", [[tool("papermill") or "", nb.name, "out.ipynb"]]))
        if importlib.util.find_spec("nbmake") is not None:
            peers.append(
                ("pytest --nbmake", [[sys.executable, "-m", "pytest", "-q", "--nbmake", nb.name]])
            )
        if tool("jupyter-execute"):
            peers.append(("jupyter execute", [[tool("jupyter-execute") or "", nb.name]]))
        if tool("jupytext"):
            peers.append(
                (
                    "jupytext --to py + python",
                    [
                        [tool("jupytext") or "", "--to", "py", nb.name],
                        [sys.executable, "trivial.py"],
                    ],
                )
            )
        for label, commands in peers:
            times = []
            for _ in range(args.peer_runs):
                started = time.perf_counter()
                for command in commands:
                    done = subprocess.run(command, cwd=work, capture_output=True)
                    if done.returncode != 0:
                        sys.exit(f"{label} failed:\n{done.stderr.decode()}")
                times.append(time.perf_counter() - started)
            rows.append((label, statistics.median(times), args.peer_runs))

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"trivial 20-cell notebook; python {sys.version.split()[0]}; fresh process per run")
    print(f"load average now {load} (a busy machine slows every row; compare ratios)\n")
    print(f"{'command':<30} {'runs':>4} {'median':>9} {'x anchor':>9} {'x nbtrack':>9}")
    for label, seconds, runs in rows:
        print(
            f"{label:<30} {runs:>4} {seconds:>8.3f}s {seconds / anchor:>9.1f} "
            f"{seconds / smoke:>9.2f}"
        )
    verdict = "meets" if smoke <= 0.35 else "MISSES"
    print(f"\nnbtrack smoke median {smoke:.3f} s {verdict} the 0.35 s target")


if __name__ == "__main__":
    main()
