"""Child processes for smoke runs: started early, given a plan, watched under timeouts.

A child (:mod:`nbtrack.smoke._child`, or ``_kernel_child``) is *spawned*
before its notebook is planned: importing IPython takes about as long as the
parent's own start-up, reading and linting, so the two overlap and a smoke
run costs roughly one interpreter start instead of two. The child then reads
its plan (cells, working directory, environment) from a pipe; what the two
sides say is :mod:`nbtrack.smoke.protocol`.

While it runs, cell starts and ends arrive as JSON lines on a second pipe,
read with ``select``, so the parent always knows which cell is running and
since when. On expiry it asks the child for its stack (SIGUSR1, to name the
stuck line) and kills the whole process group -- the child runs in its own
session, so ``!sleep 600`` and other grandchildren die with it. Output goes
to a log file, never a pipe, so a chatty notebook cannot deadlock the parent.
The events are read until the child exits, not until EOF: a process the
notebook forked holds the pipe as long as it lives.

Nothing the notebook started outlives it, not even a process that left the
child's session (``setsid``, ``start_new_session=True``): the child ends the
processes below it as it exits (:func:`nbtrack.processes.end_descendants`;
it adopts the orphans of a double fork), and the parent then ends whatever
still carries the child's mark (:attr:`Child.mark`, in the environment of
every process the notebook starts) or ran below the child when it finished.

The doors start a run with :func:`started_children`: the first children
spawned before anything is planned, and SIGTERM turned into an unwind (as
Ctrl-C is) so that a cancelled CI job does not leave notebooks running in
their own sessions, out of the signal's reach.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from nbtrack import processes
from nbtrack.envvars import SMOKE_ENV

if TYPE_CHECKING:
    from nbtrack.smoke.protocol import ChildPlan, Event

# The doors import this module to start the first children, so all it imports
# delays them: the protocol is imported where a child's plan and events are
# handled, once the children are on their way.

__all__ = ["Child", "ChildOutcome", "spawn_child", "started_children", "unwind_on_sigterm"]

_HERE = Path(__file__).resolve().parent
_SCRIPTS = {"script": _HERE / "_child.py", "kernel": _HERE / "_kernel_child.py"}
_OUTPUT_TAIL = 20_000
#: how often a child is polled for its exit where its exit cannot be selected on
_POLL = 0.2
#: reads of the events pipe after the child exited (a grandchild may write on)
_DRAIN = 64


@dataclass
class ChildOutcome:
    """What happened to one child: its events, exit, and any timeout."""

    events: list[Event] = field(default_factory=list)
    returncode: int | None = None
    timed_out: Literal["notebook", "cell"] | None = None
    #: the ``start`` event of the cell running when the child was stopped
    running: Event | None = None
    #: faulthandler's dump of the child's stacks at the timeout, if it answered
    stack: str = ""
    output: str = ""
    seconds: float = 0.0

    def stuck_line(self) -> int | None:
        """Line of the running cell the child was stuck on (script engine only)."""
        from nbtrack.smoke.protocol import stack_line

        return stack_line(self.stack, self.running.execution_count) if self.running else None


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class _EventPipe:
    """The events pipe, read until the child exits.

    Not until EOF: a grandchild that inherited the pipe's write end (a cell
    that forked) would put that off for ever. Once the child is gone, what it
    wrote is in the pipe already: that much is read, and no more is waited for.
    """

    def __init__(self, fd: int, proc: subprocess.Popen[bytes]) -> None:
        self._reader = os.fdopen(fd, "rb", 0)
        self._proc = proc
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._reader, selectors.EVENT_READ, "events")
        # the child's exit as a readable file (Linux 5.3), else the child is polled
        self._exit = -1
        with contextlib.suppress(AttributeError, OSError):
            self._exit = os.pidfd_open(proc.pid)
            self._selector.register(self._exit, selectors.EVENT_READ, "exit")
        #: EOF, or the child exited
        self.ended = False

    def lines(self, timeout: float | None) -> list[bytes]:
        """The complete lines that arrived within *timeout* (seconds; None: until one does)."""
        if self._exit < 0:
            timeout = _POLL if timeout is None else min(timeout, _POLL)
        ready = {key.data for key, _ in self._selector.select(timeout)}
        if "exit" in ready or (self._exit < 0 and self._proc.poll() is not None):
            self.ended = True
            os.set_blocking(self._reader.fileno(), False)
            for _ in range(_DRAIN):
                chunk = self._reader.read(65536)
                if not chunk:  # EOF, or nothing more (None) for now
                    break
                self._buffer += chunk
        elif "events" in ready:
            chunk = self._reader.read(65536)
            self.ended = not chunk
            self._buffer += chunk or b""
        *lines, self._buffer = self._buffer.split(b"\n")
        return lines

    def __enter__(self) -> _EventPipe:
        return self

    def __exit__(self, *exc: object) -> None:
        self._selector.close()
        self._reader.close()
        if self._exit >= 0:
            os.close(self._exit)


class Child:
    """One started child process, waiting for its plan; owns a temporary folder."""

    def __init__(self, engine: Literal["script", "kernel"], env: Mapping[str, str]) -> None:
        self.engine = engine
        self.tmp = Path(tempfile.mkdtemp(prefix="nbtrack-smoke-"))
        self.stack_file = self.tmp / "stack.txt"
        self.log_path = self.tmp / "output.log"
        #: in the environment of every process of this notebook, so that all are ended
        self.mark = processes.new_mark()
        self._seen: set[processes.Seen] = set()
        self._ended = False
        events_read, events_write = os.pipe()
        plan_read, plan_write = os.pipe()
        child_env = {
            **env,
            **self.mark,
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
            "IPYTHONDIR": str(self.tmp / "ipython"),
            SMOKE_ENV: "1",
        }
        try:
            with self.log_path.open("wb") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, str(_SCRIPTS[engine]), str(events_write), str(plan_read)],
                    cwd=self.tmp,
                    env=child_env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(events_write, plan_read),
                    start_new_session=True,
                )
        except BaseException:
            for fd in (events_read, plan_write):
                os.close(fd)
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        finally:
            os.close(events_write)
            os.close(plan_read)
        self._events = events_read
        self._plan = plan_write

    def run(
        self, plan: ChildPlan, *, timeout: float | None, cell_timeout: float | None
    ) -> ChildOutcome:
        """Send *plan* and collect the child's events under both timeouts."""
        from nbtrack.smoke.protocol import START, Event

        plan = plan._replace(stack_file=str(self.stack_file))
        outcome = ChildOutcome()
        started = time.monotonic()
        plan_fd, self._plan = self._plan, -1
        events_fd, self._events = self._events, -1
        with os.fdopen(plan_fd, "wb") as pipe, contextlib.suppress(BrokenPipeError):
            pipe.write(plan.to_json().encode("utf-8"))
        notebook_deadline = started + timeout if timeout else None
        cell_deadline: float | None = None
        with _EventPipe(events_fd, self.proc) as pipe:
            while not pipe.ended:
                now = time.monotonic()
                limits = [d for d in (notebook_deadline, cell_deadline) if d is not None]
                if limits and min(limits) <= now:
                    expired_nb = notebook_deadline is not None and notebook_deadline <= now
                    outcome.timed_out = "notebook" if expired_nb else "cell"
                    self._stop(outcome)
                    break
                events = [
                    Event.from_json(line)
                    for line in pipe.lines(min(limits) - now if limits else None)
                ]
                for event in events:
                    outcome.events.append(event)
                    if event.kind == START:
                        outcome.running = event
                        cell_deadline = time.monotonic() + cell_timeout if cell_timeout else None
                    else:
                        outcome.running = None
                        cell_deadline = None
                if any(event.final for event in events):
                    # finished: no need to wait for EOF, which a stray grandchild could hold off;
                    # what runs below the child now is the notebook's, even with an environment
                    # of its own
                    self._seen |= processes.tree(self.proc.pid)
                    break
        if outcome.timed_out is None:
            # the child is finishing (atexit handlers may still run)
            remaining = notebook_deadline - time.monotonic() if notebook_deadline else 60.0
            try:
                self.proc.wait(timeout=max(remaining, 1.0))
            except subprocess.TimeoutExpired:
                self._seen |= processes.tree(self.proc.pid)
                _signal_group(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        # grandchildren left behind (``!server &``, ``setsid``) do not outlive a smoke run
        self._end_the_rest()
        outcome.returncode = self.proc.returncode
        outcome.seconds = time.monotonic() - started
        outcome.output = self._output_tail()
        return outcome

    def _end_the_rest(self) -> None:
        """End what the notebook started: its process group, then whatever left it."""
        _signal_group(self.proc.pid, signal.SIGKILL)
        processes.end_processes(self.mark, seen=self._seen)
        self._seen = set()
        self._ended = True

    def _stop(self, outcome: ChildOutcome) -> None:
        proc = self.proc
        if self.engine == "script" and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGUSR1)
            deadline = time.monotonic() + 0.5
            while time.monotonic() < deadline:
                time.sleep(0.02)
                if "ipython-input" in self._read(self.stack_file):
                    break
            outcome.stack = self._read(self.stack_file)
        if self.engine == "kernel" and proc.poll() is None:
            # SIGTERM first: the kernel engine shuts its kernel down on it
            try:
                os.kill(proc.pid, signal.SIGTERM)
                proc.wait(timeout=3)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self._seen |= processes.tree(proc.pid)
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(errors="replace")
        except OSError:
            return ""

    def _output_tail(self) -> str:
        try:
            with self.log_path.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - _OUTPUT_TAIL))
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        """Stop the child if it still runs (or still waits for a plan) and remove its folder."""
        for fd in (self._plan, self._events):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._plan = self._events = -1
        if self.proc.poll() is None:
            self._seen |= processes.tree(self.proc.pid)
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if not self._ended:
            self._end_the_rest()
        shutil.rmtree(self.tmp, ignore_errors=True)


def spawn_child(engine: Literal["script", "kernel"] = "script") -> Child:
    """Start a child now; it imports IPython while the caller plans its notebook."""
    return Child(engine, os.environ)


@contextlib.contextmanager
def unwind_on_sigterm() -> Iterator[None]:
    """Inside the block, SIGTERM raises ``SystemExit(143)`` as Ctrl-C raises KeyboardInterrupt.

    A cancelled CI job gets SIGTERM; the children run in sessions of their own,
    which the signal does not reach, so the caller must unwind and stop them on
    the way out. Outside the main thread (where no handler can be set) a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def started_children(
    engine: Literal["script", "kernel"], paths: Sequence[Path], jobs: int = 1
) -> Iterator[list[Child]]:
    """Start the children a smoke run of *paths* wants first; SIGTERM unwinds the block.

    One child per notebook named, up to *jobs* (a folder may hold many, so it
    counts as *jobs*): they import IPython while the block reads and plans the
    notebooks. Whoever runs a notebook takes a child from the list; any left
    when the block ends are stopped. Both doors (the CLI and the pytest plugin)
    start their runs this way, so both stop their notebooks on SIGTERM.
    """
    with unwind_on_sigterm():
        wanted = min(jobs, sum(jobs if path.is_dir() else 1 for path in paths))
        children = [spawn_child(engine) for _ in range(wanted)]
        try:
            yield children
        finally:
            for child in children:
                child.close()
