"""What the magics cost: ``%load_ext nbtrack``, the first tracking call, ``%%track_params``.

Three measurements, each a median over several repetitions with an anchor
measured in the same run:

* ``%load_ext nbtrack`` in a fresh process (a new interpreter each time, as a
  fresh kernel is): the time of the magic itself, against the anchor of
  starting the shell it runs in (``import IPython`` + ``InteractiveShell``),
  timed in the same processes. Target: <= 0.15 s.
* ``%%track_params`` on a 20-assignment cell, against the same cell run
  plain. Each sample runs the cell and then one empty cell, because the
  parameters cell is logged lazily when the next cell starts; so the
  overhead includes logging the 20 params. The run is already started (the
  first call, which opens the store and captures git, environment and the
  notebook, is reported on its own). Target: <= 5 ms.
* the first tracking call in a kernel whose notebook is found
  (``NBTRACK_NOTEBOOK=notebooks/train.ipynb``), in fresh processes: the
  ``%%track_params`` cell plus an empty cell, which open the store, start
  the run and capture git, environment and the notebook, against the same
  anchor of starting the shell. Also printed: when the notebook's
  ``py:percent`` snapshot was ready, counted from the same start (it is made
  on a background thread, so the cell does not wait for it).

Run it:

    .venv/bin/python benchmarks/bench_magics.py [--processes 7] [--cells 200]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LOAD_EXT_TARGET = 0.15
PARAMS_TARGET = 0.005

_FRESH = """
import json, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
t1 = time.perf_counter()
ip.run_line_magic("load_ext", "nbtrack")
t2 = time.perf_counter()
print(json.dumps({"shell": t1 - t0, "load_ext": t2 - t1}))
"""

_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "nbtrack")
t1 = time.perf_counter()
for cell in (sys.argv[1], "pass"):
    if not ip.run_cell(cell, store_history=True).success:
        raise SystemExit("benchmark cell failed")
t2 = time.perf_counter()
try:
    from nbtrack.magics import session_of
except ImportError:  # an nbtrack that snapshots in the cell itself
    session_of = None
session = session_of(ip) if session_of is not None else None
if session is not None:
    session.wait_for_snapshot(120.0)
t3 = time.perf_counter()
print(json.dumps({"shell": t1 - t0, "first": t2 - t1, "snapshot": t3 - t1}))
"""

PARAMS_CELL = "\n".join(
    [
        "lr = 0.01",
        "epochs = 20",
        "batch_size = 64",
        "momentum = 0.9",
        "weight_decay = 1e-4",
        "dropout = 0.1",
        "hidden = [256, 128, 64]",
        "activation = 'relu'",
        "optimizer = 'adam'",
        "scheduler = None",
        "warmup_steps = 500",
        "seed = 42",
        "augment = True",
        "image_size = (224, 224)",
        "classes = ['cat', 'dog', 'bird']",
        "label_smoothing = 0.05",
        "grad_clip = 1.0",
        "mixed_precision = False",
        "loss_weights = {'main': 1.0, 'aux': 0.3}",
        "run_tag = 'baseline'",
    ]
)


def load_ext_cost(processes: int) -> tuple[float, float]:
    """Medians (seconds) of the shell start and of ``%load_ext nbtrack`` in fresh processes."""
    shells: list[float] = []
    loads: list[float] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_RUN")}
    for _ in range(processes):
        done = subprocess.run(
            [sys.executable, "-c", _FRESH],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env=env,
        )
        sample = json.loads(done.stdout.strip().splitlines()[-1])
        shells.append(sample["shell"])
        loads.append(sample["load_ext"])
    return statistics.median(shells), statistics.median(loads)


def first_call_cost(processes: int) -> tuple[float, float, float]:
    """Medians (seconds) of shell start, first tracked cell, and snapshot ready, fresh processes."""
    shells: list[float] = []
    firsts: list[float] = []
    ready: list[float] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_RUN")}
    cell = "%%track_params\n" + PARAMS_CELL
    for _ in range(processes + 1):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST_CALL, cell],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
            env=env,
        )
        sample = json.loads(done.stdout.strip().splitlines()[-1])
        shells.append(sample["shell"])
        firsts.append(sample["first"])
        ready.append(sample["snapshot"])
    # the first process created the store's tables: not what a user's kernel pays
    del shells[0], firsts[0], ready[0]
    return statistics.median(shells), statistics.median(firsts), statistics.median(ready)


def _timed(ip: Any, *cells: str) -> float:
    started = time.perf_counter()
    for cell in cells:
        result = ip.run_cell(cell, store_history=True)
        if not result.success:
            raise SystemExit(f"benchmark cell failed: {result.error_in_exec!r}")
    return time.perf_counter() - started


def params_cell_cost(cells: int) -> tuple[float, float, float]:
    """(first call, median plain, median tracked) seconds for the 20-assignment cell."""
    from IPython.core.interactiveshell import InteractiveShell

    from nbtrack.tracking.api import get_tracker

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbtrack")
    tracked = "%%track_params\n" + PARAMS_CELL
    first = _timed(ip, tracked, "pass")
    plain_samples: list[float] = []
    tracked_samples: list[float] = []
    for _ in range(cells):  # interleaved, so drift hits both alike
        plain_samples.append(_timed(ip, PARAMS_CELL, "pass"))
        tracked_samples.append(_timed(ip, tracked, "pass"))
    run = get_tracker().run
    if run is None or len(run.params) != 20:
        raise SystemExit("the 20 params were not logged")
    get_tracker().end_run()
    return first, statistics.median(plain_samples), statistics.median(tracked_samples)


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=7, help="fresh processes for load_ext")
    parser.add_argument("--cells", type=int, default=200, help="samples of each cell variant")
    args = parser.parse_args(argv)

    home = Path.cwd()
    example = Path(__file__).resolve().parent.parent / "notebooks" / "train.ipynb"
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-") as tmp:
        os.environ["NBTRACK_STORE"] = str(Path(tmp) / "runs.db")
        # the first call snapshots a real notebook, as it would in Jupyter
        os.environ["NBTRACK_NOTEBOOK"] = str(example)
        os.chdir(tmp)
        try:
            shell, load = load_ext_cost(args.processes)
            print(f"%load_ext nbtrack in a fresh process (median of {args.processes}):")
            print(f"  anchor: import IPython + InteractiveShell()  {shell * 1000:8.1f} ms")
            print(f"  %load_ext nbtrack                            {load * 1000:8.1f} ms")
            print(f"  ratio load_ext / shell start                 {load / shell:8.2f}")
            print(f"  target <= {LOAD_EXT_TARGET * 1000:.0f} ms: {_verdict(load, LOAD_EXT_TARGET)}")

            shell, first_call, snapshot = first_call_cost(args.processes)
            print(
                f"first tracking call, notebook found, fresh process (median of {args.processes}):"
            )
            print(f"  anchor: import IPython + InteractiveShell()  {shell * 1000:8.1f} ms")
            print(f"  %%track_params cell + empty cell             {first_call * 1000:8.1f} ms")
            print(f"  ratio first call / shell start               {first_call / shell:8.2f}")
            print(f"  py:percent snapshot ready (not waited for)   {snapshot * 1000:8.1f} ms")

            first, plain, tracked = params_cell_cost(args.cells)
            overhead = tracked - plain
            print(f"%%track_params on a 20-assignment cell, then an empty one ({args.cells} each):")
            print(f"  first call (starts the run, snapshots)        {first * 1000:8.2f} ms")
            print(f"  anchor: the same cell, plain                  {plain * 1000:8.2f} ms")
            print(f"  with %%track_params                           {tracked * 1000:8.2f} ms")
            print(f"  overhead                                      {overhead * 1000:8.2f} ms")
            print(f"  ratio tracked / plain                         {tracked / plain:8.2f}")
            verdict = _verdict(overhead, PARAMS_TARGET)
            print(f"  target overhead <= {PARAMS_TARGET * 1000:.0f} ms: {verdict}")
        finally:
            os.chdir(home)  # before the directory goes away


if __name__ == "__main__":
    main()
