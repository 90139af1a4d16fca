"""Peak memory of `nbtrack run` on a cell that prints a lot, against one that prints nothing.

A fresh project holds a two-cell notebook whose second cell prints
``--megabytes`` MB in 100-byte lines; `nbtrack run NB -o out.ipynb` runs it
in a child process, and the child's peak resident set size is read from
``os.wait4`` (Linux counts the largest process of the tree it waited for:
the command or its kernel). The anchor is the same notebook printing
nothing, measured in the same run. Issue 9 item 8: printed output is
streamed to the executed notebook, so the peak must not grow with it
(before: about 5x what was printed).

    .venv/bin/python benchmarks/bench_run_output.py [--megabytes 300] [--runs 3] [--nbtrack PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINE = 100  # bytes a printed line takes, newline included


def _notebook(path: Path, megabytes: int) -> None:
    lines = megabytes * 1_000_000 // LINE
    cells = ["x = 1", f"line = 'x' * {LINE - 1}\nfor _ in range({lines}):\n    print(line)"]
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
             "outputs": [], "source": source}
            for i, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    path.write_text(json.dumps(nb), encoding="utf-8")


def _peak(nbtrack: str, folder: Path, megabytes: int) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, size of the executed notebook) of one `nbtrack run`."""
    # each run stores its executed notebook as an artifact: start from an empty store
    shutil.rmtree(folder / ".nbtrack", ignore_errors=True)
    _notebook(folder / "print.ipynb", megabytes)
    start = time.perf_counter()
    with (folder / "stderr.txt").open("wb") as err:
        proc = subprocess.Popen(
            [nbtrack, "run", "print.ipynb", "-o", "out.ipynb"],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        said = (folder / "stderr.txt").read_text(errors="replace")[-2000:]
        raise SystemExit(f"nbtrack run exited {proc.returncode}:\n{said}")
    return usage.ru_maxrss / 1024, seconds, (folder / "out.ipynb").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=300, help="MB the cell prints")
    parser.add_argument("--runs", type=int, default=3, help="runs of each notebook")
    default = shutil.which("nbtrack", path=str(Path(sys.executable).parent)) or "nbtrack"
    parser.add_argument("--nbtrack", default=default, help="the nbtrack command to measure")
    args = parser.parse_args()

    print(f"{args.nbtrack}: {args.runs} runs each; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-run-output-") as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text('[project]\nname = "bench"\n')
        anchors, peaks = [], []
        for _ in range(args.runs):  # interleaved, so load hits both alike
            anchors.append(_peak(args.nbtrack, folder, 0))
            peaks.append(_peak(args.nbtrack, folder, args.megabytes))
    anchor = statistics.median(rss for rss, _, _ in anchors)
    peak = statistics.median(rss for rss, _, _ in peaks)
    written = statistics.median(size for _, _, size in peaks) / 1e6
    seconds = statistics.median(s for _, s, _ in peaks)
    each = ", ".join(f"{rss:.0f}" for rss, _, _ in anchors)
    print(f"prints nothing (anchor): peak RSS {anchor:.0f} MiB (runs: {each})")
    each = ", ".join(f"{rss:.0f}" for rss, _, _ in peaks)
    print(f"prints {args.megabytes} MB: peak RSS {peak:.0f} MiB (runs: {each}), {seconds:.1f} s,")
    print(f"  executed notebook {written:.0f} MB")
    growth = (peak - anchor) / args.megabytes
    print(f"ratio to the anchor: {peak / anchor:.2f}x; growth per MB printed: {growth:.2f} MiB")


if __name__ == "__main__":
    main()
