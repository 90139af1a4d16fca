"""How fast the front door answers: `nbtrack --help`, `--version`, `import nbtrack`.

Each command runs in a fresh process, several times; the script prints the
medians and their ratio to `python -c pass` measured in the same run (the
anchor: interpreter start-up on this machine, right now). Target (issue 2):
`nbtrack --help` well under 0.2 s.

    .venv/bin/python benchmarks/bench_cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _median_seconds(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per command")
    args = parser.parse_args()

    exe = sys.executable
    script = shutil.which("nbtrack", path=str(Path(exe).parent)) or "nbtrack"
    commands = {
        "python -c pass (anchor)": [exe, "-c", "pass"],
        "python -c 'import nbtrack'": [exe, "-c", "import nbtrack"],
        "nbtrack --version": [script, "--version"],
        "nbtrack --help": [script, "--help"],
        "nbtrack runs --help": [script, "runs", "--help"],
    }
    load = os.getloadavg()[0]
    print(f"{args.runs} fresh processes each; load average {load:.1f}; {os.cpu_count()} CPUs")
    anchor = None
    for label, cmd in commands.items():
        median = _median_seconds(cmd, args.runs)
        anchor = anchor or median
        print(f"  {label:<30} {median * 1000:7.1f} ms  {median / anchor:5.1f}x anchor")
        if label == "nbtrack --help":
            verdict = "meets" if median < 0.2 else "MISSES"
            print(f"  {'':<30} {median / 0.2:7.2f}   of the 0.2 s target ({verdict})")


if __name__ == "__main__":
    main()
