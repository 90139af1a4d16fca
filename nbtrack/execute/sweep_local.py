"""A sweep's runs on this machine: *jobs* at a time, each in a process of its own.

For: :func:`run_sweep`, which starts one child process per planned run
(forked from this one on Linux, so it starts with nbtrack already imported;
spawned elsewhere), at most *jobs* at once, in the plan's order. Each child
runs :func:`~nbtrack.execute.sweep.run_planned`, the same function a Dask
worker runs, and sends back its :class:`~nbtrack.execute.sweep.RunOutcome`. A
failing run does not stop the others.

Each child leads a session of its own, so the terminal's Ctrl-C reaches
this process only, and this process hands every running child exactly one
signal (the one it got: SIGINT or SIGTERM). A second signal to a run that
is already stopping could cut short the settling of its store record; one
signal, forwarded once, cannot. On that signal no queued run starts, the
running ones end KILLED in the store, and :class:`SweepResult` says which
never started and which signal stopped the lot. A second signal to this
process (a user who will not wait) kills the children outright; their
kernels end the runs KILLED on their own.

Not for: planning the runs (:mod:`nbtrack.execute.sweep`), a cluster
(:mod:`nbtrack.cluster`), printing (``nbtrack.cli.run``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nbtrack.execute.sweep import NOT_STARTED, PlannedRun, RunOutcome, SweepPlan, run_planned
from nbtrack.model import RunStatus

__all__ = ["SweepResult", "run_sweep"]

#: how often the parent looks for a signal while it waits for children (seconds)
_TICK = 0.2


@dataclass(frozen=True)
class SweepResult:
    """What became of every run of a plan, in the plan's order."""

    plan: SweepPlan
    outcomes: tuple[RunOutcome, ...]
    #: SIGINT or SIGTERM, when one stopped the sweep
    signal: int | None = None

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    @property
    def ok(self) -> bool:
        return all(outcome.status == RunStatus.FINISHED.value for outcome in self.outcomes)


@dataclass
class _Running:
    run: PlannedRun
    process: Any  # multiprocessing's Process (fork or spawn context)
    reader: Any  # the parent's end of the child's pipe
    started: float
    signalled: bool = False


@dataclass
class _Stop:
    #: the first signal that came
    signal: int | None = None
    #: how many came (a second one: the user will not wait for the runs to settle)
    count: int = 0
    forwarded: set[int] = field(default_factory=set)
    killed: bool = False


def _child(
    plan: SweepPlan, run: PlannedRun, writer: Any, options: dict[str, Any], scratch: str
) -> None:
    """In the child: a session of its own, the default signal handling, one run.

    Its temporary files go under *scratch*, which the parent removes when the
    sweep ends, so a child killed outright leaves nothing behind.
    """
    import tempfile

    tempfile.tempdir = scratch
    os.setsid()
    # SIGTERM unwinds like Ctrl-C (the engine tells them apart) even before the kernel starts
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        outcome = run_planned(plan, run, **options)
    except KeyboardInterrupt:
        outcome = RunOutcome(run.index, None, NOT_STARTED, 0.0, "stopped before it started")
    writer.send(outcome)
    writer.close()


def _context() -> Any:
    import multiprocessing

    # fork: the child has nbtrack (and the notebook's reader) imported already; this
    # process runs no threads while it starts them
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")


@contextlib.contextmanager
def _catch_signals(stop: _Stop) -> Iterator[None]:
    """SIGINT and SIGTERM note themselves in *stop* (the loop acts on it) instead of raising.

    A handler the caller installed (or ``SIG_IGN``) is left alone, as
    :func:`nbtrack.execute.engine.stop_on_signals` leaves it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        stop.count += 1
        if stop.signal is None:
            stop.signal = signum

    from nbtrack.execute.engine import stop_signals_to

    with stop_signals_to(handler):  # a signal ignored stays ignored, as `nbtrack run`'s does
        yield


def run_sweep(
    plan: SweepPlan,
    *,
    jobs: int = 1,
    store_url: str | None = None,
    param_file: str | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
    experiment: str | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
) -> SweepResult:
    """Run every run of *plan*, *jobs* at a time; see the module docstring.

    *on_outcome* hears of each run as it ends (in the order they end); not of
    the runs a signal kept from starting (their outcomes say so).
    """
    import nbtrack.execute.runner  # noqa: F401  (imported once here, inherited by forked children)

    options = {
        "store_url": store_url,
        "param_file": param_file,
        "cwd": cwd,
        "timeout": timeout,
        "experiment": experiment,
    }
    import shutil
    import tempfile

    ctx = _context()
    scratch = tempfile.mkdtemp(prefix="nbtrack-sweep-")
    queued = deque(plan.runs)
    running: dict[int, _Running] = {}
    outcomes: dict[int, RunOutcome] = {}
    stop = _Stop()

    def finished(outcome: RunOutcome) -> None:
        outcomes[outcome.index] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    with _catch_signals(stop):
        try:
            while running or (queued and stop.signal is None):
                while queued and stop.signal is None and len(running) < max(1, jobs):
                    run = queued.popleft()
                    running[run.index] = _start(ctx, plan, run, options, scratch)
                if stop.signal is not None:
                    _forward(stop, running)
                for index in _wait(running):
                    finished(_collect(running.pop(index), killed=stop.killed))
        except BaseException:
            _abandon(running)
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    reason = "the sweep was stopped" if stop.signal is None else _stopped_by(stop.signal)
    for run in queued:  # not told one by one: the summary counts them
        outcomes[run.index] = RunOutcome(run.index, None, NOT_STARTED, 0.0, reason)
    ordered = tuple(outcomes[run.index] for run in plan.runs)
    return SweepResult(plan, ordered, stop.signal)


def _stopped_by(signum: int) -> str:
    return f"the sweep was stopped by {signal.Signals(signum).name}"


def _start(
    ctx: Any, plan: SweepPlan, run: PlannedRun, options: dict[str, Any], scratch: str
) -> _Running:
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child,
        args=(plan, run, writer, options, scratch),
        name=f"nbtrack-sweep-{run.index}",
    )
    process.start()
    writer.close()  # the child's end; reading sees EOF once the child is gone
    return _Running(run, process, reader, time.monotonic())


def _forward(stop: _Stop, running: dict[int, _Running]) -> None:
    """Send the signal that stopped the sweep to each running child, once.

    A second signal kills the children at once: their kernels, left without
    a parent, still end the runs KILLED (:mod:`nbtrack.execute.orphan`).
    """
    assert stop.signal is not None
    if stop.count > 1 and not stop.killed:
        stop.killed = True
        for child in running.values():
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(child.process.pid, signal.SIGKILL)
        return
    for index, child in running.items():
        if index in stop.forwarded or child.process.pid is None:
            continue
        stop.forwarded.add(index)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.process.pid, stop.signal)


def _wait(running: dict[int, _Running]) -> list[int]:
    """The indexes of the children that ended (waits up to a tick for one)."""
    from multiprocessing.connection import wait

    if not running:
        return []
    by_sentinel = {child.process.sentinel: index for index, child in running.items()}
    ready = wait(list(by_sentinel), timeout=_TICK)
    return [by_sentinel[sentinel] for sentinel in ready]


def _collect(child: _Running, *, killed: bool = False) -> RunOutcome:
    """The outcome a child sent; else KILLED when *killed* (by us), else FAILED, saying how."""
    outcome: RunOutcome | None = None
    with contextlib.suppress(EOFError, OSError):
        if child.reader.poll():
            outcome = child.reader.recv()
    child.reader.close()
    child.process.join()
    seconds = time.monotonic() - child.started
    if outcome is not None:
        return outcome
    code = child.process.exitcode
    how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    status = RunStatus.KILLED if killed and code < 0 else RunStatus.FAILED
    return RunOutcome(child.run.index, None, status.value, seconds, f"its process ended with {how}")


def _abandon(running: dict[int, _Running]) -> None:
    """A bug in the loop: stop the children (their runs end KILLED) before raising on."""
    for child in running.values():
        with contextlib.suppress(ProcessLookupError, TypeError):
            os.kill(child.process.pid, signal.SIGTERM)
    for child in running.values():
        child.process.join()
