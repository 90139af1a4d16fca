"""TensorBoard export speed, and what the ``SummaryWriter`` bridge costs a call (issue 12).

Export (target: >= 200,000 scalars/s):

* ``export_runs`` of one run of N points (default 1,000,000: 4 metrics of
  250,000 steps), handed as arrays the way the ``nbtrack export`` door hands
  them; scalars per second;
* anchors in the same run: tensorboardX's ``add_scalar`` of the same points
  (a sample of them: it costs tens of microseconds a point; per point, then
  scaled), and writing the very bytes of the export's event file with one
  plain ``write`` (the floor of any writer);
* the command end to end, ``nbtrack export tensorboard RUN -o OUT`` in a fresh
  process on a SQLite store holding that run (Python start-up, the store's
  read of the histories and the writing).

Bridge (target: ``add_scalar`` <= 2 us a call with event files off):

* ``SummaryWriter(event_files=False).add_scalar(tag, value, step)`` per call;
* anchors: ``nbtrack.log_metric`` in the same loop, and tensorboardX's
  ``add_scalar`` (fewer calls);
* ``SummaryWriter`` with event files on, per call (no target: TensorBoard's
  own writers are the comparison).

Run it:

    .venv/bin/python benchmarks/bench_tensorboard_export.py
    .venv/bin/python benchmarks/bench_tensorboard_export.py --points 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nbtrack
from nbtrack.config import load_settings
from nbtrack.integrations.tensorboard.export import ExportRun, export_runs
from nbtrack.store.base import HistoryArrays
from nbtrack.tensorboard import SummaryWriter

KEYS = ("loss", "val_loss", "acc", "val_acc")


def median_of(repeat: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    runs = [measure() for _ in range(repeat)]
    return statistics.median(runs), runs


def histories(points: int) -> dict[str, HistoryArrays]:
    per_key = points // len(KEYS)
    rng = np.random.default_rng(0)
    start = time.time()
    return {
        key: HistoryArrays(
            steps=np.arange(per_key, dtype=np.int64),
            has_step=np.ones(per_key, dtype=bool),
            values=rng.random(per_key),
            timestamps=start + np.arange(per_key) * 1e-3,
        )
        for key in KEYS
    }


def bench_export(run: ExportRun, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one export; the CPU time of this thread is what the
    export costs whatever else the shared machine runs."""
    shutil.rmtree(folder, ignore_errors=True)
    started, cpu = time.perf_counter(), time.thread_time()
    export_runs([run], folder)
    return time.perf_counter() - started, time.thread_time() - cpu


def bench_plain_write(data: bytes, folder: Path) -> float:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    with open(folder / "events.out.tfevents.0.host.0", "wb") as handle:
        handle.write(data)
    return time.perf_counter() - started


def bench_tensorboardx(run: ExportRun, sample: int, folder: Path) -> float:
    """Seconds per point of tensorboardX ``add_scalar`` over *sample* points, file closed."""
    import tensorboardX

    shutil.rmtree(folder, ignore_errors=True)
    history = run.histories[KEYS[0]]
    steps, values = history.steps[:sample].tolist(), history.values[:sample].tolist()
    walls = history.timestamps[:sample].tolist()
    started = time.perf_counter()
    writer = tensorboardX.SummaryWriter(logdir=str(folder))
    for step, value, wall in zip(steps, values, walls, strict=True):
        writer.add_scalar(KEYS[0], value, step, wall)
    writer.close()
    return (time.perf_counter() - started) / sample


def bench_command(run_id: str, url: str, folder: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the command in a fresh process.

    The CPU time (user + system of the child) is what the command costs when
    the shared machine's other work leaves it a core; the wall time is what a
    user waited for this time.
    """
    shutil.rmtree(folder, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nbtrack", "export", "tensorboard", run_id, "-o", str(folder)],
        env={**os.environ, "NBTRACK_STORE": url},
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def store_run(url: str, root: Path, run: ExportRun) -> str:
    settings = load_settings(root, env={**os.environ, "NBTRACK_STORE": url})
    with nbtrack.start_run(name="bench-export", settings=settings) as active:
        for key, history in run.histories.items():
            for step, value in zip(history.steps.tolist(), history.values.tolist(), strict=True):
                active.log_metric(key, value, step)
    return active.id


def loop_cost(call: Callable[..., Any], n: int) -> tuple[float, float]:
    """(wall, CPU of this thread) seconds a call; the flusher's thread is not counted in
    the CPU figure, and neither are other processes' turns on a loaded machine."""
    started, cpu = time.perf_counter(), time.thread_time()
    for i in range(n):
        call("loss", i * 1e-6, i)
    return (time.perf_counter() - started) / n, (time.thread_time() - cpu) / n


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:7.3f} us"


def export_section(args: argparse.Namespace, folder: Path, root: Path) -> None:
    n, repeat = args.points, args.repeat
    run = ExportRun(id="b" * 32, name="bench", started_at=time.time(), histories=histories(n))
    n = sum(len(h.values) for h in run.histories.values())
    out = folder / "export"
    exports = [bench_export(run, out) for _ in range(repeat)]
    runs = [wall for wall, _ in exports]
    took, took_cpu = statistics.median(runs), statistics.median(c for _, c in exports)
    (event_file,) = next(out.iterdir()).iterdir()
    plain, _ = median_of(repeat, lambda: bench_plain_write(event_file.read_bytes(), folder / "w"))
    tbx = statistics.median(
        bench_tensorboardx(run, args.tbx_points, folder / "tbx") for _ in range(repeat)
    )  # wall time: tensorboardX writes from a thread of its own
    print(f"export_runs, {n:,} scalars ({len(KEYS)} metrics), median of {repeat}")
    print(f"  {took:.3f} s = {n / took:,.0f} scalars/s  (target 200,000/s: {n / took / 2e5:.2f}x)")
    print(f"  CPU time {took_cpu:.3f} s = {n / took_cpu:,.0f} scalars/s")
    print(f"  runs (wall s): {', '.join(f'{r:.3f}' for r in runs)}")
    print(f"  anchor: plain write of the same {event_file.stat().st_size:,} bytes  {plain:.3f} s")
    print(
        f"  anchor: tensorboardX add_scalar  {_us(tbx)} a point ({args.tbx_points:,} points)"
        f" = {1 / tbx:,.0f} scalars/s; export / tensorboardX per point: {took / n / tbx:.2f}"
    )
    url = f"sqlite:///{folder / 'bench.db'}"
    run_id = store_run(url, root, run)
    timed = [bench_command(run_id, url, folder / "cmd") for _ in range(repeat)]
    wall, cpu = (statistics.median(t[i] for t in timed) for i in (0, 1))
    print(f"  `nbtrack export tensorboard` end to end: {wall:.3f} s = {n / wall:,.0f} scalars/s;")
    print(f"    its CPU time {cpu:.3f} s = {n / cpu:,.0f} scalars/s")
    print(f"  runs (wall/CPU s): {', '.join(f'{w:.2f}/{c:.2f}' for w, c in timed)}\n")


def bridge_section(args: argparse.Namespace, folder: Path, root: Path) -> None:
    import tensorboardX

    n, repeat = args.calls, args.repeat
    settings = load_settings(
        root, env={**os.environ, "NBTRACK_STORE": f"sqlite:///{folder / 'b.db'}"}
    )

    def in_a_run(call: Callable[..., Any], calls: int) -> tuple[float, float]:
        # a run each, ended (flushed) outside the timing: no backlog carried over
        nbtrack.start_run(name="bench-bridge", settings=settings)
        try:
            return loop_cost(call, calls)
        finally:
            nbtrack.end_run()

    off = SummaryWriter(event_files=False)
    # alternated, so that both see the same machine
    pairs = [(in_a_run(off.add_scalar, n), in_a_run(nbtrack.log_metric, n)) for _ in range(repeat)]
    runs = [bridge_run for bridge_run, _ in pairs]
    bridge, log_metric = (statistics.median(p[i][0] for p in pairs) for i in (0, 1))
    bridge_cpu, log_metric_cpu = (statistics.median(p[i][1] for p in pairs) for i in (0, 1))
    on = SummaryWriter(folder / "bridge-files")
    files = statistics.median(in_a_run(on.add_scalar, args.tbx_points)[0] for _ in range(repeat))
    on.close()
    tbx_writer = tensorboardX.SummaryWriter(logdir=str(folder / "tbx-calls"))
    tbx = statistics.median(
        loop_cost(tbx_writer.add_scalar, args.tbx_points)[0] for _ in range(repeat)
    )
    tbx_writer.close()
    print(f"SummaryWriter.add_scalar, event files off, {n:,} calls, median of {repeat}")
    print(f"  {_us(bridge)} a call  (target 2 us: {bridge / 2e-6:.2f}x)")
    print(f"  CPU of the calling thread {_us(bridge_cpu)} a call", end="")
    print(f" (log_metric {_us(log_metric_cpu).strip()}: {bridge_cpu / log_metric_cpu:.2f}x)")
    print(f"  runs (wall): {', '.join(_us(r[0]).strip() for r in runs)}")
    print(f"  anchor: nbtrack.log_metric         {_us(log_metric)}", end="")
    print(f"  (bridge / log_metric {bridge / log_metric:.2f})")
    print(f"  anchor: tensorboardX add_scalar    {_us(tbx)}", end="")
    print(f"  (bridge / tensorboardX {bridge / tbx:.3f})")
    print(
        f"  SummaryWriter with event files on     {_us(files)}  (/ tensorboardX {files / tbx:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="scalars to export")
    parser.add_argument("--calls", type=int, default=1_000_000, help="bridge add_scalar calls")
    parser.add_argument("--tbx-points", type=int, default=50_000, help="tensorboardX sample")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-bench-tb-"))
    root = folder / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n')
    os.chdir(root)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs, load {load}\n"
    )
    try:
        export_section(args, folder, root)
        bridge_section(args, folder, root)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
