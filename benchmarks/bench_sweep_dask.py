"""Benchmark: a 12-run sweep of notebooks/train.ipynb on a 2-worker Dask cluster against -j 2 here.

    .venv/bin/python benchmarks/bench_sweep_dask.py [--repeat 2] [--epochs 2]

No target (issue 14 asks none for ``--dask``): this measures what the cluster
path costs over the local one on the same machine. Both are the real command,
``nbtrack run notebooks/train.ipynb --grid lr=...(6 values) --grid seed=0,1
-p epochs=E``, in a fresh process, into a fresh SQLite store: once with
``-j 2`` (the anchor: two local child processes) and once with ``--dask``
to a ``dask scheduler`` and two one-thread ``dask worker`` processes this
script starts on loopback (and stops), alternately, ``--repeat`` times each.
Each task on a worker runs its call in a fresh Python process (so it can be
stopped, and can set signal handlers), where the local sweep forks an
interpreter that already imported nbtrack: that start-up, the cluster's
round trips and the workers' own CPU are the difference. The machine is a
shared 2-core VM: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sweep import NOTEBOOK, ROOT, RUNS, load, sweep  # the same 12 runs, timed alike


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cluster(folder: Path) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """A scheduler and two one-thread workers on loopback, once both registered."""
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    logs = []
    commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
    commands += [
        [dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
    ] * 2
    for number, command in enumerate(commands):
        log = folder / f"dask-{number}.log"
        logs.append(log)
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    command,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=folder,
                    start_new_session=True,
                )
            )
        if number == 0:
            _wait(log, "Scheduler at:")
    for log in logs[1:]:
        _wait(log, "Registered to:")
    return address, procs


def _wait(log: Path, text: str) -> None:
    deadline = time.monotonic() + 120
    while text not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            sys.exit(f"{log.name} never said {text!r}")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="sweeps of each kind (default 2)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of each run (default 2)")
    args = parser.parse_args()

    before = load()
    times: dict[str, list[float]] = {"local": [], "dask": []}
    with tempfile.TemporaryDirectory(prefix="bench-sweep-dask-") as name:
        address, procs = start_cluster(Path(name))
        kinds = {"local": ["-j", "2"], "dask": ["--dask", address]}
        try:
            for round_ in range(args.repeat):
                order = ("local", "dask") if round_ % 2 == 0 else ("dask", "local")
                for kind in order:
                    store = Path(name) / f"runs-{kind}-{round_}.db"
                    seconds = sweep(kinds[kind], args.epochs, store)
                    times[kind].append(seconds)
                    each = seconds / RUNS
                    print(f"  {kind:<5}: {seconds:.1f} s ({each:.2f} s a run; load {load()})")
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=30)

    local = statistics.median(times["local"])
    remote = statistics.median(times["dask"])
    print(f"\n{RUNS} runs of {NOTEBOOK.relative_to(ROOT)} (epochs={args.epochs}),")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; load average")
    print(f"before {before}, after {load()} (other work slows both kinds; compare the ratio)\n")
    print(f"{'sweep':<34} {'runs':>4} {'median':>9} {'x anchor':>9}")
    print(f"{'-j 2 here (anchor)':<34} {args.repeat:>4} {local:>8.1f}s {1:>9.2f}")
    label = "--dask, 2 workers x 1 thread"
    print(f"{label:<34} {args.repeat:>4} {remote:>8.1f}s {remote / local:>9.2f}")
    print("\nno target: the cluster path's cost over local processes on the same machine")


if __name__ == "__main__":
    main()
