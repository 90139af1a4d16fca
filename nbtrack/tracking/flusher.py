"""The background writer of one run: batches to the store, heartbeat, outages.

For: :class:`Flusher`, a daemon thread that every ``interval`` seconds takes
the run's metric buffer (a swap, not a copy), applies queued writes (params,
tags, data refs...) and hands all new points to ``Store.heartbeat`` in one
transaction, which also beats the run's heartbeat. When the store cannot be
written it keeps everything, warns once, retries with a short backoff and,
past ``max_pending`` points or when the run ends without the store coming
back, spills to a JSON-lines file it names in a :class:`StoreOutageWarning`
(replay with ``nbtrack.replay_spill(path)``). A write the store refuses
while it is reachable (say, text with half a surrogate pair, which no
database encodes) is set aside to such a file after a few tries, so it
cannot hold up the rest; a batch of points the store refuses is first
written again in parts (``isolate``), so only the points it refuses on
their own are kept back, and the warnings name them. The warning that the
store takes writes again says what, if anything, was set aside meanwhile.

A run whose store could not be reached when it started begins with its
``create_run`` op at the head of the queue: that is the first thing written
once the store answers (before any point or other record), on the same
retry schedule and with the same warnings, and it leads any spill file
written while it is still pending, so a replay recreates the whole run.

Not for: validating values (``run.py`` does that before anything is queued)
or talking SQL (the ``Store`` does).
"""

from __future__ import annotations

import contextlib
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from nbtrack.model import RunStatus
from nbtrack.store.base import MetricRow, Store
from nbtrack.tracking.isolate import describe, isolate, one_line
from nbtrack.tracking.spill import Op, StoreOutageWarning, apply_op, write_spill

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_MAX_PENDING", "Flusher", "StoreOutageWarning"]

#: seconds between flushes; the issue asks for at least one a second
DEFAULT_INTERVAL = 0.5
#: points held in memory during an outage before they are spilled to a file
DEFAULT_MAX_PENDING = 2_000_000
#: longest pause between retries while the store is unreachable
MAX_BACKOFF = 2.0
#: seconds between looks at the buffer's size
POLL = 0.05
#: points waiting that make the flusher write before its interval is up
EARLY_BATCH = 50_000
#: a write the store refuses this many times while it is reachable is set aside
STRIKES = 3


def _notify(message: str) -> None:
    # Runs in the background thread: a warnings filter set to "error" must not
    # kill the writer, so a raised warning is swallowed (the state is kept).
    with contextlib.suppress(Exception):
        warnings.warn(message, StoreOutageWarning, stacklevel=2)


class Flusher:
    """Moves one run's buffered writes to the store from a daemon thread."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        take_rows: Callable[[], list[MetricRow]],
        *,
        buffered: Callable[[], int] = lambda: 0,
        spill_folder: Callable[[], Path],
        interval: float = DEFAULT_INTERVAL,
        max_pending: int = DEFAULT_MAX_PENDING,
        create: Op | None = None,
        outage: str | None = None,
    ) -> None:
        """*create*: the run's ``create_run`` op when the store could not take it
        at the start (*outage* says why); it is written before anything else."""
        self.store = store
        self.run_id = run_id
        self.interval = interval
        self.max_pending = max_pending
        self._take_rows = take_rows
        self._buffered = buffered
        self._spill_folder = spill_folder
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._ops: list[Op] = [create] if create is not None else []
        self._chunks: list[list[MetricRow]] = []
        self._pending = 0
        self._end: Op | None = None
        self._closing = False
        self._abandoned = False
        self._requested = 0  # flush requests made
        self._served = 0  # flush requests a finished tick has covered
        self._last_ok = True
        self._outage_since: float | None = None
        self._refusal = False  # the store answered but refused points (not an outage)
        self._set_aside: list[tuple[int, int, Path]] = []  # spilled since the trouble began
        self.spilled: list[Path] = []
        self._thread = threading.Thread(
            target=self._main, name=f"nbtrack-flush-{run_id[:8]}", daemon=True
        )
        if create is not None:
            self._outage_since = time.monotonic()
            _notify(
                f"nbtrack: run {run_id[:8]} started while its store cannot be reached"
                f" ({(outage or 'unknown reason').rstrip('.')}); it is kept in memory and"
                " created in the store once the store answers (retrying)."
            )

    # -- called from user threads -------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def submit(self, op: Op) -> None:
        """Queue a write; it reaches the store with the next flush."""
        with self._lock:
            self._ops.append(op)

    def add_rows(self, rows: list[MetricRow]) -> None:
        """Hand over points taken from the run's buffer outside a tick."""
        if rows:
            with self._lock:
                self._chunks.append(rows)
                self._pending += len(rows)

    def flush(self, timeout: float = 30.0) -> bool:
        """Ask for a flush now and wait for it; True when the store took everything."""
        if not self._thread.is_alive():
            return self._last_ok and not self._ops and not self._pending
        with self._lock:
            self._requested += 1
            ticket = self._requested
        self._wake.set()
        deadline = time.monotonic() + timeout
        with self._done:
            while self._served < ticket and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._done.wait(min(left, 0.1))
            return self._last_ok

    def close(self, status: RunStatus, ended_at: float, timeout: float) -> Path | None:
        """Write everything left and end the run; spill if the store stays away.

        Waits at most about *timeout* seconds for a store that fails (plus
        the time one successful write of a large buffer takes). Returns the
        spill file, if one had to be written at the end.
        """
        with self._lock:
            self._end = Op("end_run", {"status": status.value, "ended_at": ended_at})
            self._closing = True
            self._final_deadline = time.monotonic() + timeout
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout + 30.0)
        else:  # never started, or forked away from: do the final flush here
            self._final()
        if self._thread.is_alive():
            # a store call hangs: whatever it holds may or may not land
            with self._lock:
                self._abandoned = True
                ops = [*self._ops, self._end]
                rows = [row for chunk in self._chunks for row in chunk]
                self._ops, self._chunks, self._pending = [], [], 0
            path = self._spill(ops, rows, "the store did not answer in time")
            return path
        return self._final_spill

    # -- the writer thread ----------------------------------------------------------
    _final_deadline = 0.0
    _final_spill: Path | None = None
    _row_strikes = 0  # refusals in a row of the pending points, store reachable
    _op_strikes = 0  # the same, for the first queued op

    def _main(self) -> None:
        delay = self.interval
        due = time.monotonic() + delay
        while True:
            # Poll often, write on schedule, or early once a big batch waits
            # (a tight loop then overlaps with its own writing).
            woke = self._wake.wait(max(0.0, min(POLL, due - time.monotonic())))
            self._wake.clear()
            if self._closing:
                break
            early = self._last_ok and self._buffered() >= EARLY_BATCH
            if not woke and not early and time.monotonic() < due:
                continue
            ok = self._tick()
            delay = self.interval if ok else min(MAX_BACKOFF, max(delay * 2, self.interval))
            due = time.monotonic() + delay
        self._final()

    def _final(self) -> None:
        while not self._tick(final=True):
            left = self._final_deadline - time.monotonic()
            if left <= 0:
                with self._lock:
                    ops = [*self._ops, *([self._end] if self._end else [])]
                    rows = [row for chunk in self._chunks for row in chunk]
                    self._ops, self._chunks, self._pending, self._end = [], [], 0, None
                self._final_spill = self._spill(
                    ops, rows, "the store stayed unreachable until the run ended"
                )
                return
            time.sleep(min(0.5, left))

    def _tick(self, final: bool = False) -> bool:
        """One flush: queued ops, then new points with a heartbeat; True on success."""
        with self._lock:
            ticket = self._requested
        self.add_rows(self._take_rows())
        ok = True
        try:
            self._write(final)
        except Exception as exc:  # any failure means "keep and retry"
            ok = False
            self._failed(exc)
        else:
            if self._outage_since is not None:
                self._recovered()
        with self._done:
            self._last_ok = ok
            self._served = max(self._served, ticket)
            self._done.notify_all()
        return ok

    def _write(self, final: bool) -> None:
        # Points first: a heartbeat that goes through proves the store is up,
        # so an op failing right after is refused for what it holds.
        with self._lock:
            chunks = list(self._chunks)
        rows: Sequence[MetricRow] = (
            chunks[0] if len(chunks) == 1 else [row for chunk in chunks for row in chunk]
        )
        if self._abandoned:
            return
        self._create_run()
        try:
            self.store.heartbeat(self.run_id, time.time(), rows)
        except Exception as exc:
            if not rows or not self._reachable():
                raise
            self._refused_rows(len(chunks), rows, exc)
        else:
            self._row_strikes = 0 if rows else self._row_strikes
            with self._lock:
                del self._chunks[: len(chunks)]
                self._pending -= len(rows)
        while True:
            with self._lock:
                if self._abandoned or not self._ops:
                    break
                op = self._ops[0]
            try:
                apply_op(self.store, self.run_id, op)
            except Exception as exc:
                if not self._reachable():
                    raise
                self._op_strikes += 1
                if self._op_strikes < STRIKES:
                    raise
                self._spill(
                    [op],
                    [],
                    f"the store refused a {op.kind} record {STRIKES} times ({one_line(exc)})",
                )
            self._op_strikes = 0
            with self._lock:
                if self._ops and self._ops[0] is op:
                    self._ops.pop(0)
        with self._lock:
            end = self._end if final else None
        if end is not None and not self._abandoned:
            apply_op(self.store, self.run_id, end)
            with self._lock:
                self._end = None

    def _refused_rows(self, taken: int, rows: Sequence[MetricRow], exc: Exception) -> None:
        """The store is up but refused *rows* (the first *taken* chunks): write
        the rest of them, keep the refused ones, and set those aside on the
        last strike. Raises while anything is kept, so the tick retries."""
        done = isolate(self._beat, rows, exc, self._reachable)
        with self._lock:
            del self._chunks[:taken]
            if done.left:
                self._chunks.insert(0, done.left)
            self._pending -= len(rows) - len(done.left)
        if done.outage is not None:
            raise done.outage
        self._row_strikes += 1
        why = describe(done.refused) or one_line(exc)
        if self._row_strikes < STRIKES:
            raise _Refused(len(done.left), done.written, why)
        with self._lock:
            if self._chunks and self._chunks[0] is done.left:
                del self._chunks[0]
                self._pending -= len(done.left)
        self._spill(
            [], done.left, f"the store refused {len(done.left)} points {STRIKES} times ({why})"
        )

    def _beat(self, rows: Sequence[MetricRow]) -> None:
        self.store.heartbeat(self.run_id, time.time(), rows)

    def _create_run(self) -> None:
        """Write the pending ``create_run`` op, if any; raises while the store is away."""
        with self._lock:
            op = self._ops[0] if self._ops and self._ops[0].kind == "create_run" else None
        if op is None:
            return
        try:
            apply_op(self.store, self.run_id, op)
        except Exception:
            if not self._created():
                raise
            # an earlier try landed but its answer was lost, or a spill was replayed
        with self._lock:
            if self._ops and self._ops[0] is op:
                self._ops.pop(0)

    def _created(self) -> bool:
        """Whether the run is in the store (False also when the store cannot say)."""
        try:
            self.store.resolve_run_id(self.run_id)
        except Exception:
            return False
        return True

    def _reachable(self) -> bool:
        """Whether a bare heartbeat goes through: a failed write was then refused."""
        try:
            self.store.heartbeat(self.run_id, time.time())
        except Exception:
            return False  # an outage, not a refusal
        return True

    def _failed(self, exc: Exception) -> None:
        first = self._outage_since is None
        if first:
            self._outage_since = time.monotonic()
            self._set_aside = []
            self._refusal = isinstance(exc, _Refused)
            if isinstance(exc, _Refused):
                _notify(
                    f"nbtrack: run {self.run_id[:8]}: the store refused {exc.kept} points"
                    f" ({exc.why}); the other {exc.written} points of their batch were"
                    f" written. The refused ones are kept and retried, and set aside to a"
                    f" spill file if the store refuses them {STRIKES} times."
                )
            else:
                _notify(
                    f"nbtrack: cannot write run {self.run_id[:8]} to its store"
                    f" ({one_line(exc)}); keeping {self._pending} points in memory and"
                    " retrying."
                )
        if self._pending > self.max_pending:
            with self._lock:
                rows = [row for chunk in self._chunks for row in chunk]
                self._chunks, self._pending = [], 0
                # a file that replays on its own: it creates the run if still needed
                create = [op for op in self._ops[:1] if op.kind == "create_run"]
            self._spill(
                create, rows, f"more than {self.max_pending} points were waiting for the store"
            )

    def _recovered(self) -> None:
        """Say the store takes writes again, and what did not reach it meanwhile."""
        again = "reaches its store again" if not self._refusal else "writes to its store again"
        if not self._set_aside:
            told = "everything held back has been written."
        else:
            points = sum(n for n, _, _ in self._set_aside)
            records = sum(k for _, k, _ in self._set_aside)
            files = ", ".join(str(path) for _, _, path in self._set_aside)
            told = (
                f"what was held back has been written, except {points} points and"
                f" {records} other records set aside in {files} (see the warning above)."
            )
        _notify(f"nbtrack: run {self.run_id[:8]} {again}; {told}")
        self._outage_since = None

    def _spill(self, ops: list[Op], rows: list[MetricRow], why: str) -> Path | None:
        if not ops and not rows:
            return None
        try:
            path = write_spill(self._spill_folder(), self.run_id, self.store.url, ops, rows)
        except OSError as exc:
            _notify(
                f"nbtrack: run {self.run_id[:8]}: {why} and the spill file could not be"
                f" written ({exc}); {len(rows)} points are lost."
            )
            return None
        self.spilled.append(path)
        if self._outage_since is not None:
            self._set_aside.append((len(rows), len(ops), path))
        _notify(
            f"nbtrack: run {self.run_id[:8]}: {why}; wrote {len(rows)} points and"
            f" {len(ops)} other records to {path}. Replay them once the store can take"
            f" them: nbtrack.replay_spill({str(path)!r})"
        )
        return path


class _Refused(Exception):
    """The store is up but refused *kept* points of a batch; *written* others landed."""

    def __init__(self, kept: int, written: int, why: str) -> None:
        super().__init__(f"the store refused {kept} points ({why})")
        self.kept = kept
        self.written = written
        self.why = why
