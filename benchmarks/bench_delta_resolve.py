"""How long ``nbtrack.track_data`` takes to resolve a Delta Lake table with 1,000 commits.

Issue 13's target: resolving a Delta table's version <= 50 ms for a table
with 1,000 commits. The table is made with ``deltalake.write_deltalake``: one
create and 999 appends of one row (1,000 files), with delta-rs's default
checkpointing (a checkpoint every 100 commits: the latest version is rebuilt
from the checkpoint of version 899 and 100 commit files). A copy of the same
log with the checkpoints removed (``*.checkpoint.parquet`` and
``_last_checkpoint``: the log a writer that never checkpoints leaves, and
still a valid table) shows the case without them: every one of the 1,000
commit files is replayed. Both tables are cached under the temp dir (about a
minute to write the first time).

For each table, medians of ``--repeat`` rounds, interleaved:

* ``refs.resolve(path)``: what ``track_data`` calls (version, table id,
  commit time and operation, files and bytes);
* ``refs.resolve(path, version=500)``: a pinned version;
* anchor: ``deltalake.DeltaTable(path).version()``, what a user would
  write (since deltalake 1.0 a load always carries the active files).

Run it:

    .venv/bin/python benchmarks/bench_delta_resolve.py [--commits 1000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGET_MS = 50.0


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _make(path: Path, commits: int) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    write_deltalake(partial, pa.table({"event": [0]}))
    for number in range(1, commits):
        write_deltalake(partial, pa.table({"event": [number]}), mode="append")
    partial.rename(path)
    print(f"  wrote {path} ({commits} commits) in {time.perf_counter() - started:.0f} s")


def _tables(commits: int) -> tuple[Path, Path]:
    """(with checkpoints, without), made once and kept under the temp dir."""
    import deltalake

    base = Path(tempfile.gettempdir()) / f"nbtrack-bench-delta-{deltalake.__version__}-{commits}"
    checkpointed, bare = base / "checkpointed", base / "no-checkpoints"
    if not checkpointed.is_dir():
        base.mkdir(parents=True, exist_ok=True)
        _make(checkpointed, commits)
    if not bare.is_dir():
        shutil.copytree(checkpointed, bare.with_name(bare.name + ".partial"), dirs_exist_ok=True)
        log = bare.with_name(bare.name + ".partial") / "_delta_log"
        for extra in [*log.glob("*.checkpoint*.parquet"), log / "_last_checkpoint"]:
            extra.unlink(missing_ok=True)
        bare.with_name(bare.name + ".partial").rename(bare)
    return checkpointed, bare


def _measure(label: str, path: Path, commits: int, repeat: int) -> None:
    from deltalake import DeltaTable

    from nbtrack.data import refs

    pin = commits // 2
    ref = refs.resolve(path, root=path.parent)  # warms the page cache and the imports
    assert ref.digest == f"delta:{commits - 1}", ref
    assert refs.resolve(path, version=pin, root=path.parent).digest == f"delta:{pin}"
    rounds: dict[str, list[float]] = {"resolve": [], "pinned": [], "anchor": []}
    for _ in range(repeat):
        rounds["resolve"].append(_timed(lambda: refs.resolve(path, root=path.parent)))
        rounds["pinned"].append(_timed(lambda: refs.resolve(path, version=pin, root=path.parent)))
        rounds["anchor"].append(_timed(lambda: DeltaTable(path).version()))
    ms = {name: statistics.median(times) * 1000 for name, times in rounds.items()}
    verdict = "met" if ms["resolve"] <= TARGET_MS else "missed"
    print(f"\n{label} ({len(list((path / '_delta_log').iterdir()))} files in _delta_log)")
    print(f"  refs.resolve (track_data)              {ms['resolve']:8.1f} ms")
    print(f"  refs.resolve, version={pin:<4}            {ms['pinned']:8.1f} ms")
    print(f"  anchor: DeltaTable(path).version()     {ms['anchor']:8.1f} ms")
    print(f"  ratio resolve / anchor                 {ms['resolve'] / ms['anchor']:8.2f}x")
    print(f"  target: resolve <= {TARGET_MS:.0f} ms             {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    import deltalake

    print(f"deltalake {deltalake.__version__}, {args.commits} commits, medians of {args.repeat}")
    checkpointed, bare = _tables(args.commits)
    _measure(
        "delta-rs default checkpointing (every 100 commits)",
        checkpointed,
        args.commits,
        args.repeat,
    )
    _measure("no checkpoints (every commit file replayed)", bare, args.commits, args.repeat)


if __name__ == "__main__":
    main()
