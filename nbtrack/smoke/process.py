"""Run one child process under a notebook timeout and a per-cell timeout.

The child (:mod:`nbtrack.smoke._child` or ``_kernel_child``) reports cell
starts and ends as JSON lines on a pipe; this module reads them with
``select`` so it always knows which cell is running and since when. On
expiry it asks the child for its stack (SIGUSR1, to name the stuck line),
then kills the whole process group -- the child runs in its own session, so
``!sleep 600`` and other grandchildren die with it. Output goes to a log
file, never a pipe, so a chatty notebook cannot deadlock the parent.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["ChildOutcome", "run_child"]

_OUTPUT_TAIL = 20_000


@dataclass
class ChildOutcome:
    """What happened to one child: its events, exit, and any timeout."""

    events: list[dict[str, Any]] = field(default_factory=list)
    returncode: int | None = None
    timed_out: Literal["notebook", "cell"] | None = None
    #: the ``start`` event of the cell running when the child was stopped
    running: dict[str, Any] | None = None
    #: faulthandler's dump of the child's stacks at the timeout, if it answered
    stack: str = ""
    output: str = ""
    seconds: float = 0.0

    def stuck_line(self) -> int | None:
        """Line of the running cell the child was stuck on (script engine only)."""
        if not self.running or self.running.get("count") is None:
            return None
        pattern = rf'File "<ipython-input-{self.running["count"]}-[0-9a-f]+>", line (\d+)'
        match = re.search(pattern, self.stack)
        return int(match.group(1)) if match else None


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop(proc: subprocess.Popen[bytes], outcome: ChildOutcome, stack_file: Path | None) -> None:
    if stack_file is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            time.sleep(0.02)
            if stack_file.exists() and "ipython-input" in stack_file.read_text(errors="replace"):
                break
        if stack_file.exists():
            outcome.stack = stack_file.read_text(errors="replace")
    if proc.poll() is None:
        # SIGTERM first: the kernel engine shuts its kernel down on it
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(timeout=3)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    _signal_group(proc.pid, signal.SIGKILL)
    proc.wait()


def run_child(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None,
    cell_timeout: float | None,
    stack_file: Path | None = None,
) -> ChildOutcome:
    """Run ``argv + [events_fd]`` and collect its events under both timeouts."""
    outcome = ChildOutcome()
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    with log_path.open("wb") as log:
        try:
            proc = subprocess.Popen(
                [*argv, str(write_fd)],
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        notebook_deadline = started + timeout if timeout else None
        cell_deadline: float | None = None
        buffer = b""
        with selectors.DefaultSelector() as selector, os.fdopen(read_fd, "rb", 0) as reader:
            selector.register(reader, selectors.EVENT_READ)
            while True:
                now = time.monotonic()
                limits = [d for d in (notebook_deadline, cell_deadline) if d is not None]
                if limits and min(limits) <= now:
                    expired_nb = notebook_deadline is not None and notebook_deadline <= now
                    outcome.timed_out = "notebook" if expired_nb else "cell"
                    _stop(proc, outcome, stack_file)
                    break
                if not selector.select(min(limits) - now if limits else None):
                    continue
                chunk = reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    event = json.loads(line)
                    outcome.events.append(event)
                    if event.get("e") == "start":
                        outcome.running = event
                        cell_deadline = time.monotonic() + cell_timeout if cell_timeout else None
                    elif event.get("e") in ("end", "error", "exit", "done"):
                        outcome.running = None
                        cell_deadline = None
        if outcome.timed_out is None:
            # the events pipe closed: the child is finishing (atexit handlers may still run)
            remaining = notebook_deadline - time.monotonic() if notebook_deadline else 60.0
            try:
                proc.wait(timeout=max(remaining, 1.0))
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait()
            # grandchildren left behind (``!server &``) do not outlive a smoke run
            _signal_group(proc.pid, signal.SIGKILL)
    outcome.returncode = proc.returncode
    outcome.seconds = time.monotonic() - started
    size = log_path.stat().st_size
    with log_path.open("rb") as fh:
        fh.seek(max(0, size - _OUTPUT_TAIL))
        outcome.output = fh.read().decode("utf-8", errors="replace")
    return outcome
