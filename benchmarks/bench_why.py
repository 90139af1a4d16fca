"""How fast ``nbtrack why PATH`` answers on a store with 100,000 artifacts.

The target (issue 13): the lookup takes at most 0.2 s on top of hashing the
file, through the digest indexes of migration 0004. Builds a SQLite store
in a temporary folder, bulk-made with honest shapes: ``--runs`` runs (default
20,000), each with ``--per-run`` artifacts (default 5: a model, figures, a
report...) and two data refs (a raw file many runs share, and the previous
run's model, so runs link), then writes the model file of one run in the
middle to disk (``--mib`` MiB). Prints medians over ``--repeat`` runs of:

* the file's hash (``nbtrack.data.files.hash_data``);
* the digest queries alone (``Store.artifacts_with_digests`` and
  ``data_refs_with_digests``), and the whole lookup, ``compare.lineage.why``
  on an open store (the makers, the readers, each run read, and who made
  each of its inputs);
* the whole command, ``nbtrack why PATH`` as a process (Python start-up,
  the store opened, the hash, the lookup, the output), beside
  ``nbtrack runs --limit 1`` on the same store (the floor of any command
  that opens a store: Python and SQLAlchemy's import);
* anchor: the same queries and lookup on a copy of the store with the two
  digest indexes dropped, and the ratios;
* SQLite's ``EXPLAIN QUERY PLAN`` of the artifact lookup the store sends,
  with and without the index.

Run it:

    .venv/bin/python benchmarks/bench_why.py
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nbtrack.compare.lineage import why
from nbtrack.compare.reader import Reader
from nbtrack.data.files import hash_data
from nbtrack.store import open_store


def _timed(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _digest(i: int, j: int) -> str:
    return "sha256:" + hashlib.sha256(f"{i}/{j}".encode()).hexdigest()


def _rows(
    runs: int, per_run: int
) -> Iterator[tuple[str, list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per run: its id, its artifacts and its data refs, as the store's columns."""
    names = ["model.pkl", "confusion_matrix.png", "report.html", "metrics.json", "notes.txt"]
    raw = "sha256:" + hashlib.sha256(b"the raw data").hexdigest()
    for i in range(runs):
        run_id = f"{i:032x}"
        at = 1_700_000_000.0 + i
        artifacts = [
            (run_id, names[j % len(names)], _digest(i, j), 1000 + j, "application/octet-stream",
             f"sha256/{j}", at, None)
            for j in range(per_run)
        ]  # fmt: skip
        refs = [(run_id, "data/raw.csv", "file", raw, 10, "{}", at, 1)]
        if i:
            refs.append((run_id, "models/prev.pkl", "file", _digest(i - 1, 0), 1000, "{}", at, 1))
        yield run_id, artifacts, refs


def build_store(path: Path, runs: int, per_run: int) -> None:
    """The schema by nbtrack (every migration), the rows by sqlite3 in one transaction."""
    open_store(f"sqlite:///{path}").close()
    connection = sqlite3.connect(path)
    with connection:
        for seq, (run_id, artifacts, refs) in enumerate(_rows(runs, per_run), 1):
            at = artifacts[0][6] if artifacts else 1_700_000_000.0
            connection.execute(
                "INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at, seq,"
                " notebook) VALUES (?, ?, 'FINISHED', ?, ?, ?, ?, 'train.ipynb')",
                (run_id, f"run {seq}", at, at + 60, at + 60, seq),
            )
            connection.executemany(
                "INSERT INTO artifacts (run_id, name, digest, size, media_type, uri, logged_at,"
                " step) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                artifacts,
            )
            connection.executemany(
                "INSERT INTO data_refs (run_id, path, kind, digest, size, detail, logged_at,"
                " resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                refs,
            )
    connection.close()


def _captured_lookup(url: str, ref: Any) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of the store's first artifact lookup by digest."""
    import sqlalchemy as sa

    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if "FROM artifacts" in statement and "digest IN" in statement and not seen:
            seen.append((statement, params))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", listen)
    try:
        with Reader.open(url) as reader:
            why(reader, ref)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", listen)
    statement, params = seen[0]
    return statement, tuple(params)


def _plan(path: Path, statement: str, params: tuple[Any, ...]) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + statement, params)]
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--per-run", type=int, default=5)
    parser.add_argument("--mib", type=int, default=64, help="size of the model file hashed")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="nbtrack-why-") as folder:
        root = Path(folder)
        store = root / "runs.db"
        started = time.perf_counter()
        build_store(store, args.runs, args.per_run)
        built = time.perf_counter() - started
        total = args.runs * args.per_run
        print(f"store: {args.runs:,} runs, {total:,} artifacts, built in {built:.1f} s")

        # the model file of the run in the middle: content whose sha256 a run logged
        model = root / "model.pkl"
        block = os.urandom(1 << 20)
        with model.open("wb") as fh:
            for _ in range(args.mib):
                fh.write(block)
        ref = hash_data(model, root=root)
        middle = args.runs // 2
        with sqlite3.connect(store) as connection:
            connection.execute(
                "UPDATE artifacts SET digest = ? WHERE digest = ?", (ref.digest, _digest(middle, 0))
            )
            connection.execute(
                "UPDATE data_refs SET digest = ? WHERE digest = ?", (ref.digest, _digest(middle, 0))
            )

        url = f"sqlite:///{store}"
        bare = root / "no-index.db"
        shutil.copy(store, bare)
        with sqlite3.connect(bare) as connection:
            connection.execute("DROP INDEX ix_artifacts_digest")
            connection.execute("DROP INDEX ix_data_refs_digest")
        bare_url = f"sqlite:///{bare}"

        hashed = _timed(lambda: hash_data(model, root=root), args.repeat)

        def queries(reader: Reader) -> None:
            reader.artifacts_with_digests([ref.digest])
            reader.data_refs_with_digests([ref.digest])

        with Reader.open(url) as reader:
            answer = why(reader, ref)
            assert [w.run.id for w in answer.made_by] == [f"{middle:032x}"], answer.made_by
            assert [w.run.id for w in answer.read_by] == [f"{middle + 1:032x}"], answer.read_by
            queried = _timed(lambda: queries(reader), args.repeat)
            lookup = _timed(lambda: why(reader, ref), args.repeat)
        with Reader.open(bare_url) as reader:
            queried_bare = _timed(lambda: queries(reader), args.repeat)
            anchor = _timed(lambda: why(reader, ref), args.repeat)

        env = {**os.environ, "NBTRACK_STORE": url}
        command = [sys.executable, "-m", "nbtrack", "why", str(model)]

        def run_command() -> None:
            subprocess.run(command, env=env, cwd=root, check=True, capture_output=True)

        wall = _timed(run_command, args.repeat)
        floor_command = [sys.executable, "-m", "nbtrack", "runs", "--limit", "1"]
        floor = _timed(
            lambda: subprocess.run(
                floor_command, env=env, cwd=root, check=True, capture_output=True
            ),
            args.repeat,
        )

        mib_s = args.mib / hashed
        rows = [
            (f"hash of the {args.mib} MiB file (hash_data)", hashed, f"{mib_s:,.0f} MiB/s"),
            ("digest queries (artifacts + data refs)", queried, ""),
            (
                "  anchor: the same, no digest index",
                queried_bare,
                f"{queried_bare / queried:,.0f}x",
            ),
            ("lookup (compare.lineage.why)", lookup, "target <= 200 ms"),
            ("  anchor: the same, no digest index", anchor, f"{anchor / lookup:,.1f}x"),
            ("`nbtrack why PATH`, a process", wall, "hash included"),
            ("  floor: `nbtrack runs --limit 1`", floor, f"why is +{(wall - floor) * 1000:.0f} ms"),
        ]
        for label, seconds, note in rows:
            print(f"{label:<44}{seconds * 1000:9.1f} ms  {note}")
        statement, params = _captured_lookup(url, ref)
        print("EXPLAIN QUERY PLAN of the artifact lookup, with the index:")
        for line in _plan(store, statement, params):
            print(f"  {line}")
        print("... and on the copy without it:")
        for line in _plan(bare, statement, params):
            print(f"  {line}")
        print(f"verdict: {'met' if lookup <= 0.2 else 'missed'} (medians of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
