"""How fast ``nbtrack import tensorboard`` takes a log folder of 1,000,000 scalar events.

The folder is one run folder holding one event file of ``--events`` scalar
events (four tags, a step every four events, one wall time each), written
once and cached under the temp dir. It is built with the TFRecord framing
(``records.frame``) and TensorBoard's own ``Event`` protos, not with
tensorboardX: tensorboardX takes about 70 µs an event, over a minute for a
million, while the bytes are the same kind of file (the import tests read
files tensorboardX wrote).

Reports medians over ``--repeat`` rounds, each round measuring in turn:

* ``import_logdir`` into a fresh SQLite store (every point persisted, with
  ``metric_latest`` and the block extremes ``log_metrics`` keeps);
* anchor 1: TensorBoard's ``EventAccumulator`` (``size_guidance`` scalars=0,
  so every point is kept), ``Reload()``;
* anchor 2: ``tbparse.SummaryReader(folder).scalars`` (a DataFrame);

then one re-import of the unchanged folder (nothing new: the prefix digest)
and of the folder grown by 1% (only the new events read).

Run it (tbparse is in the ``bench`` extra):

    .venv/bin/python benchmarks/bench_tensorboard_import.py --events 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TAGS = ("train/loss", "train/acc", "val/loss", "val/acc")


def _events(start: int, count: int) -> bytes:
    from tensorboard.compat.proto.event_pb2 import Event

    from nbtrack.integrations.tensorboard.records import frame

    records = []
    for i in range(start, start + count):
        event = Event(wall_time=1_796_000_000.0 + i * 0.01, step=i // len(TAGS))
        event.summary.value.add(tag=TAGS[i % len(TAGS)], simple_value=1.0 / (1 + i))
        records.append(frame(event.SerializeToString()))
    return b"".join(records)


def _folder(events: int) -> Path:
    """The cached log folder of *events* scalar events (built on first use)."""
    from tensorboard.compat.proto.event_pb2 import Event

    from nbtrack.integrations.tensorboard.records import frame

    root = Path(tempfile.gettempdir()) / f"nbtrack-bench-tb-{events}"
    path = root / "run" / "events.out.tfevents.1796000000.bench.1.0"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        head = frame(
            Event(wall_time=1_796_000_000.0, file_version="brain.Event:2").SerializeToString()
        )
        partial = path.with_suffix(".partial")
        partial.write_bytes(head + _events(0, events))
        partial.rename(path)
    return root


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the import's helper)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _measured(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of *work*: CPU time is what a busy machine bends least."""
    cpu, started = _cpu(), time.perf_counter()
    work()
    return time.perf_counter() - started, _cpu() - cpu


def _import(logdir: Path, store_dir: Path) -> tuple[float, float]:
    from nbtrack.config import load_settings
    from nbtrack.integrations.tensorboard.importer import import_logdir
    from nbtrack.store.sql import SqlStore

    settings = load_settings()
    with SqlStore(f"sqlite:///{store_dir / 'runs.db'}", settings=settings) as store:
        points = []
        measured = _measured(lambda: points.append(import_logdir(logdir, store=store).points))
    assert points[0] > 0
    return measured


def _accumulator(folder: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    EventAccumulator(str(folder), size_guidance={"scalars": 0}).Reload()


def _tbparse(folder: Path) -> None:
    import tbparse

    frame = tbparse.SummaryReader(str(folder)).scalars
    assert len(frame) > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    logdir = _folder(args.events)
    run = logdir / "run"
    imports, accumulators, tbparses = [], [], []
    with tempfile.TemporaryDirectory(prefix="nbtrack-bench-tb-store-") as scratch:
        for round_ in range(args.repeat):
            imports.append(_import(logdir, Path(scratch) / str(round_)))
            accumulators.append(_measured(lambda: _accumulator(run)))
            tbparses.append(_measured(lambda: _tbparse(run)))
        # the last round's store again: an unchanged folder, then one grown by 1%
        from nbtrack.config import load_settings
        from nbtrack.integrations.tensorboard.importer import import_logdir
        from nbtrack.store.sql import SqlStore

        grown = Path(scratch) / "grown"
        (grown / "run").mkdir(parents=True)
        (grown / "run" / next(run.iterdir()).name).write_bytes(next(run.iterdir()).read_bytes())
        url = f"sqlite:///{Path(scratch) / 'grown.db'}"
        with SqlStore(url, settings=load_settings()) as store:
            import_logdir(grown, store=store)
            unchanged = _timed(lambda: import_logdir(grown, store=store))
            more = args.events // 100
            with open(next((grown / "run").iterdir()), "ab") as handle:
                handle.write(_events(args.events, more))
            grew = _timed(lambda: import_logdir(grown, store=store))

    n = args.events
    mine, ea, tp = (statistics.median(w for w, _ in x) for x in (imports, accumulators, tbparses))
    cpu_mine, cpu_ea, cpu_tp = (
        statistics.median(c for _, c in x) for x in (imports, accumulators, tbparses)
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{n:,} scalar events in one file, median of {args.repeat} rounds, load {load}")
    print("                                          wall           CPU (helper included)")
    for label, wall, cpu in (
        ("import_logdir (SQLite, every point)", mine, cpu_mine),
        ("anchor: EventAccumulator.Reload", ea, cpu_ea),
        ("anchor: tbparse .scalars", tp, cpu_tp),
    ):
        print(f"  {label:<36} {wall:7.2f} s {wall / n * 1e6:6.2f} µs/ev  {cpu:7.2f} s")
    print(
        f"  ratio EventAccumulator / import  {ea / mine:5.1f}x wall, {cpu_ea / cpu_mine:5.1f}x CPU"
    )
    print(
        f"  ratio tbparse / import           {tp / mine:5.1f}x wall, {cpu_tp / cpu_mine:5.1f}x CPU"
    )
    print(f"  target: import <= 5 s            {'met' if mine <= 5 else 'missed'} (>= 3x: both)")
    print(f"  re-import, unchanged             {unchanged:7.3f} s")
    print(f"  re-import, grown by {more:,} events  {grew:7.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
