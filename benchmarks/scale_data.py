"""The large stores ``bench_scale.py`` measures: a PostgreSQL server it owns, and
the rows, generated inside the database with SQL.

Shape (per run ``i`` of ``1..runs``; run ``i``'s id is ``format(i, "032x")``):

* ``runs``: newest is the highest ``i``; two runs share each ``started_at``
  (ties the listing breaks by id), every 1,000th run soft-deleted, ten
  experiments ``exp-0`` .. ``exp-9``;
* ``params``: ``lr`` (one of six floats, so ``params.lr < 0.01`` keeps half),
  ``epochs`` (an int), ``optimizer`` (a string), encoded as the store
  encodes them (JSON ``value``, ``num``, ``text``);
* ``metrics``: 66 points of ``loss`` and 33 of ``val_acc`` a run (99), plus
  one run (``i = 1``) with ``LONG`` points of ``train_loss``: with a million
  runs, 100,000,000 points; ``metric_latest`` and ``metric_blocks`` as
  ``log_metrics`` would leave them (``val_acc``'s last value spreads over
  [0, 1), so ``metrics.val_acc > 0.9`` keeps a tenth).

Generation is ``INSERT ... SELECT`` over ``generate_series`` on PostgreSQL
(a recursive CTE on SQLite): the database makes the rows itself, with no
Python loop and no text to parse. On PostgreSQL the ``metrics`` primary key
is dropped before the load and built after it, and the load runs in the
transaction that truncates the table with ``wal_level=minimal``, so it writes
no WAL. COPY of a CSV stream made in Python was the alternative: the same
rows cost a Python formatting loop of ~100,000,000 lines plus the server's
parse of them, where ``INSERT ... SELECT`` costs only the insert.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: points of the one long history (``train_loss`` of run 1)
LONG = 1_000_000
#: the six learning rates, by ``(i / 3) % 6``
LRS = (0.0001, 0.001, 0.003, 0.01, 0.03, 0.1)
T0 = 1_700_000_000.0


def run_id(i: int) -> str:
    return format(i, "032x")


class Dialect:
    """The few SQL pieces that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str) -> None:
        self.name = name

    def series(self, first: str, last: str) -> str:
        """A one-column (``v``) subquery of the integers first..last."""
        if self.name == "postgresql":
            return f"(SELECT generate_series({first}::bigint, {last}::bigint) AS v)"
        return (
            f"(WITH RECURSIVE g(v) AS (SELECT {first} UNION ALL SELECT v + 1 FROM g "
            f"WHERE v < {last}) SELECT v FROM g)"
        )

    def hexid(self, expr: str) -> str:
        if self.name == "postgresql":
            return f"lpad(to_hex({expr}), 32, '0')"
        return f"printf('%032x', {expr})"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"

    def true(self) -> str:
        return "true" if self.name == "postgresql" else "1"


def f8(expr: str) -> str:
    """*expr* as a double (PostgreSQL would compute numeric, slowly, from literals)."""
    return f"CAST({expr} AS DOUBLE PRECISION)"


def statements(d: Dialect, runs: int) -> list[tuple[str, str]]:
    """(label, SQL) of the load, in order."""
    r = d.series("1", str(runs))
    lr = "CASE (r.v / 3) % 6 " + " ".join(f"WHEN {k} THEN {v}" for k, v in enumerate(LRS)) + " END"
    acc = f"({f8('(r.v * 7919) % 1000')} / 1000.0)"  # val_acc's last value
    scale = f"(1.0 + {f8('r.v % 7')} / 10.0)"  # loss at step s: scale / (1 + s)
    started = f"({T0} + {f8('r.v / 2')} * 7.0)"
    null = "CAST(NULL AS BIGINT)"
    false = "false" if d.name == "postgresql" else "0"
    out = [
        ("runs", f"""INSERT INTO runs (id, name, status, started_at, ended_at, heartbeat_at,
            notebook, git_commit, git_branch, git_dirty, username, hostname, seq, deleted_at,
            experiment)
            SELECT {d.hexid("r.v")}, 'run-' || {d.text("r.v")}, 'FINISHED', {started},
            {started} + 60, {started} + 60, 'notebooks/train.ipynb',
            {d.hexid("r.v * 7")}, 'main', {false}, 'ana', 'host-' || {d.text("r.v % 8")}, r.v,
            CASE WHEN r.v % 1000 = 0 THEN {started} + 100 ELSE NULL END,
            'exp-' || {d.text("r.v % 10")} FROM {r} AS r"""),
        ("run_details", f"""INSERT INTO run_details (run_id, git_diff_truncated)
            SELECT {d.hexid("r.v")}, {false} FROM {r} AS r"""),
        ("params", f"""INSERT INTO params (run_id, key, value, num, text, source)
            SELECT {d.hexid("r.v")}, 'lr', {d.text(lr)}, {lr}, {d.text(lr)}, 'code' FROM {r} AS r
            UNION ALL SELECT {d.hexid("r.v")}, 'epochs', {d.text("r.v % 50 + 1")}, r.v % 50 + 1,
            {d.text("r.v % 50 + 1")}, 'code' FROM {r} AS r
            UNION ALL SELECT {d.hexid("r.v")}, 'optimizer',
            CASE WHEN r.v % 2 = 0 THEN '"adam"' ELSE '"sgd"' END,
            NULL, CASE WHEN r.v % 2 = 0 THEN 'adam' ELSE 'sgd' END, 'code' FROM {r} AS r"""),
        ("metric_latest", f"""INSERT INTO metric_latest (run_id, key, last_value, last_step,
            last_timestamp, min_value, max_value, count, min_step, max_step)
            SELECT {d.hexid("r.v")}, 'loss', {scale} / 66.0, 65, {started} + 65,
            {scale} / 66.0, {scale}, 66, 65, 0 FROM {r} AS r
            UNION ALL SELECT {d.hexid("r.v")}, 'val_acc', {acc}, 32, {started} + 32,
            {acc} / 33.0, {acc}, 33, 0, 32 FROM {r} AS r
            UNION ALL SELECT {d.hexid("1")}, 'train_loss', 1.0 / {LONG}, {LONG - 1},
            {T0} + {LONG - 1} * 0.001, 1.0 / {LONG}, 1.0, {LONG}, {LONG - 1}, 0"""),
        ("metric_blocks", f"""INSERT INTO metric_blocks (run_seq, key, block, min_value,
            min_seq, max_value, max_seq, nan_seq)
            SELECT r.v, 'loss', 0, {scale} / 64.0, 63, {scale}, 0, {null} FROM {r} AS r
            UNION ALL SELECT r.v, 'loss', 1, {scale} / 66.0, 65, {scale} / 65.0, 64, {null}
            FROM {r} AS r
            UNION ALL SELECT r.v, 'val_acc', 0, {acc} / 33.0, 0, {acc}, 32, {null} FROM {r} AS r
            UNION ALL SELECT 1, 'train_loss', b.v, 1.0 / {f8('b.v * 64 + 64')}, b.v * 64 + 63,
            1.0 / {f8('b.v * 64 + 1')}, b.v * 64, {null}
            FROM {d.series("0", str(LONG // 64 - 1))} AS b
            """),
        ("metrics", f"""INSERT INTO metrics (run_seq, key, seq, value, step, timestamp)
            SELECT r.v, 'loss', s.v, {scale} / {f8('1 + s.v')}, s.v, {started} + s.v
            FROM {r} AS r CROSS JOIN {d.series("0", "65")} AS s
            UNION ALL SELECT r.v, 'val_acc', s.v, {acc} * {f8('s.v + 1')} / 33.0, s.v,
            {started} + s.v
            FROM {r} AS r CROSS JOIN {d.series("0", "32")} AS s
            UNION ALL SELECT 1, 'train_loss', s.v, 1.0 / {f8('1 + s.v')}, s.v,
            {T0} + {f8('s.v')} * 0.001
            FROM {d.series("0", str(LONG - 1))} AS s"""),
    ]  # fmt: skip
    return out


# -- a PostgreSQL server of our own ---------------------------------------------------


def pg_bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise SystemExit("bench_scale: no initdb/pg_ctl on PATH or under /usr/lib/postgresql")
    return Path(candidates[0]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: the server's settings: durability off (a benchmark's data can be made again),
#: wal_level=minimal so a load into a table truncated in its transaction skips WAL
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0 "
    "-c shared_buffers=1GB -c maintenance_work_mem=1GB -c max_wal_size=8GB "
    "-c max_parallel_workers_per_gather=1"
)


class PgServer:
    """A server over ``DIR/pgdata`` (made on first use, kept), started on a free port."""

    def __init__(self, keep: Path) -> None:
        self.keep = keep
        self.data = keep / "pgdata"
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0
        self.port = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, check=False)

    def start(self) -> None:
        self.keep.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.keep, user="postgres", group="postgres")
        if not (self.data / "PG_VERSION").exists():
            done = self._run(
                str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust",
                "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions",
            )  # fmt: skip
            if done.returncode:
                raise SystemExit(f"bench_scale: initdb failed: {done.stderr.strip()[-400:]}")
        self.port = _free_port()
        options = f"-p {self.port} -k {self.keep} {SERVER_OPTIONS}"
        log = self.keep / "server.log"
        started = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(log),
            "-w", "-t", "120", "start",
        )  # fmt: skip
        if started.returncode:
            raise SystemExit(f"bench_scale: pg_ctl start failed: {started.stderr.strip()}")

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def version(self) -> str:
        return (self.data / "PG_VERSION").read_text().strip()


def admin_execute(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("/nbtrack", "/postgres"), autocommit=True) as connection:
        connection.execute(sql)


# -- the load -------------------------------------------------------------------------


def _timed(label: str, log: dict[str, float], fn: Callable[[], Any]) -> None:
    start = time.perf_counter()
    fn()
    log[label] = round(time.perf_counter() - start, 1)
    print(f"    {label}: {log[label]:.1f} s", flush=True)


def generate_pg(url: str, runs: int) -> dict[str, float]:
    """Fill the empty nbtrack store at *url* (schema made by nbtrack already)."""
    import psycopg

    log: dict[str, float] = {}
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as connection:
        for label, sql in statements(Dialect("postgresql"), runs):
            if label == "metrics":
                pkey = connection.execute(
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'metrics'::regclass "
                    "AND contype = 'p'"
                ).fetchone()
                assert pkey is not None
                connection.execute("TRUNCATE metrics")
                connection.execute(f"ALTER TABLE metrics DROP CONSTRAINT {pkey[0]}")
                points = f"metrics ({runs * 99 + LONG:,} points)"
                _timed(points, log, lambda s=sql: connection.execute(s))
                _timed(
                    "metrics primary key",
                    log,
                    lambda n=pkey[0]: connection.execute(
                        f"ALTER TABLE metrics ADD CONSTRAINT {n} PRIMARY KEY (run_seq, key, seq)"
                    ),
                )
            else:
                _timed(label, log, lambda s=sql: connection.execute(s))
            connection.commit()
        connection.autocommit = True
        _timed("VACUUM ANALYZE", log, lambda: connection.execute("VACUUM ANALYZE"))
    return log


def generate_sqlite(path: str, runs: int) -> dict[str, float]:
    import sqlite3

    log: dict[str, float] = {}
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        for label, sql in statements(Dialect("sqlite"), runs):
            _timed(label, log, lambda s=sql: connection.execute(s))
            connection.commit()
        _timed("ANALYZE", log, lambda: connection.execute("ANALYZE"))
        connection.commit()
    finally:
        connection.close()
    return log


def save_log(path: Path, log: dict[str, Any]) -> None:
    path.write_text(json.dumps(log, indent=2) + "\n")
