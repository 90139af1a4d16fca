"""How fast ``nbtrack.track_data`` hashes a large file, and that it streams.

Writes a file of ``--mib`` MiB (default 1024) of random-ish bytes, then
reports medians over ``--repeat`` runs of:

* ``hash_data(path)`` (sha256 in 1 MiB chunks), in MiB/s;
* anchor 1: reading the same file in 1 MiB chunks without hashing (what the
  disk, or the page cache once warm, can give);
* anchor 2: sha256 over the same number of in-memory 1 MiB chunks (what the
  CPU can give);
* the growth of the process's peak RSS while hashing, to show no whole-file
  read happens.

Run it:

    .venv/bin/python benchmarks/bench_hash_data.py --mib 1024
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nbtrack.data.files import hash_data

CHUNK = 1 << 20  # the anchor's read size: 1 MiB


def _timed(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _read_only(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(CHUNK):
            pass


def _sha_in_memory(chunks: int) -> None:
    block = os.urandom(CHUNK)
    digest = hashlib.sha256()
    for _ in range(chunks):
        digest.update(block)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="nbtrack-hash-") as folder:
        path = Path(folder) / "data.bin"
        block = os.urandom(CHUNK)
        with path.open("wb") as fh:
            for i in range(args.mib):
                fh.write(block[i % 251 :] + block[: i % 251])
        _read_only(path)  # warm the page cache: the anchors read the same pages

        rss_before = _peak_rss_mib()
        hashed = _timed(lambda: hash_data(path, root=Path(folder)), args.repeat)
        rss_growth = _peak_rss_mib() - rss_before
        read = _timed(lambda: _read_only(path), args.repeat)
        cpu = _timed(lambda: _sha_in_memory(args.mib), args.repeat)

    mib = args.mib
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{mib} MiB file, median of {args.repeat} runs (page cache warm), load {load}")
    print(f"  hash_data (sha256, streamed)  {hashed:7.3f} s  {mib / hashed:8.0f} MiB/s")
    print(f"  anchor: read 1 MiB chunks     {read:7.3f} s  {mib / read:8.0f} MiB/s")
    print(f"  anchor: sha256 in memory      {cpu:7.3f} s  {mib / cpu:8.0f} MiB/s")
    print(f"  ratio hash_data / (read + sha256 in memory)  {hashed / (read + cpu):.2f}")
    print(f"  peak RSS growth while hashing {rss_growth:7.1f} MiB (file: {mib} MiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
