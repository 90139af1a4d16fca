"""A real Dask cluster for tests: ``dask scheduler`` and two ``dask worker`` processes.

The CLIs come with ``distributed`` (the ``dask`` extra, in the dev extra).
The scheduler listens on a free loopback port without a dashboard; each
worker has one thread, its own working directory (not the test's, so a
relative path that reached a worker would show) and a name. The helper
waits until both workers registered (their logs say so), and stops every
process it started, with their process groups.

Use :func:`dask_cluster` as a context manager, or the ``dask_cluster``
fixture of a conftest that wraps it for a session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DaskCluster:
    address: str
    folder: Path
    scheduler: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def logs(self) -> str:
        """Every process's log, for a failing test's message."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )


def _dask() -> Path:
    found = Path(sys.executable).parent / "dask"
    if not found.exists():
        raise RuntimeError("the dask CLI is missing: pip install 'nbtrack[dask]'")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    args: list[str], log: Path, cwd: Path, extra: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False", **(extra or {})}
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{log.name} exited: {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"{log.name} did not say {text!r} in {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process's group, SIGKILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def dask_cluster(
    workers: int = 2, *, start_workers: bool = True, worker_env: Mapping[str, str] | None = None
) -> Iterator[DaskCluster]:
    """A scheduler on loopback and *workers* one-thread workers, stopped afterwards.

    *worker_env* is added to the workers' environment (not the scheduler's).
    """
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-dask-test-"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(_dask())
    scheduler_log = folder / "scheduler.log"
    scheduler = _start(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        scheduler_log,
        folder,
    )
    cluster = DaskCluster(address, folder, scheduler)
    try:
        _wait_for(scheduler_log, "Scheduler at:", scheduler, 60)
        for number in range(workers if start_workers else 0):
            home = folder / f"worker-{number}"
            home.mkdir()
            log = folder / f"worker-{number}.log"
            args = [dask, "worker", address, "--nthreads", "1", "--nworkers", "1"]
            args += ["--no-dashboard", "--host", "127.0.0.1", "--name", f"w{number}"]
            args += ["--local-directory", str(home)]
            cluster.workers.append(_start(args, log, home, worker_env))
        for number, proc in enumerate(cluster.workers):
            _wait_for(folder / f"worker-{number}.log", "Registered to:", proc, 60)
        yield cluster
    finally:
        for proc in [*cluster.workers, scheduler]:
            stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
