"""Asking whether a process a test started (or a notebook forked) still runs; cells that escape."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def process_gone(pid: int) -> bool:
    """True when *pid* no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


#: a cell that starts a ``sleep 600`` out of the notebook's session and its pid in
#: ``{name}.pid``; each keeps the notebook's standard streams, as such code does
ESCAPES = {
    # the classic daemon: fork, setsid, fork again, the middle one exits; the
    # grandchild also inherits the smoke child's pipes
    "double_fork_setsid": (
        "import os, time\n"
        "middle = os.fork()\n"
        "if middle == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        open('{name}.tmp', 'w').write(str(os.getpid()))\n"
        "        os.rename('{name}.tmp', '{name}.pid')\n"
        "        time.sleep(600)\n"
        "    os._exit(0)\n"
        "os.waitpid(middle, 0)\n"
        "while not os.path.exists('{name}.pid'):\n"
        "    time.sleep(0.01)"
    ),
    "popen_new_session": (
        "import subprocess\n"
        "server = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "open('{name}.pid', 'w').write(str(server.pid))"
    ),
    # an environment of its own: the notebook's mark is not inherited
    "popen_new_session_own_environment": (
        "import shutil, subprocess\n"
        "server = subprocess.Popen([shutil.which('sleep'), '600'], start_new_session=True,"
        " env={{'LANG': 'C'}})\n"
        "open('{name}.pid', 'w').write(str(server.pid))"
    ),
}


def survivors(pid_files: list[Path]) -> list[int]:
    """Pids still running; they are killed, so a failing test leaves nothing behind."""
    left = [pid for pid in (int(p.read_text()) for p in pid_files) if not process_gone(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


@contextmanager
def logging_script(script: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """Start ``python -c script`` in *cwd*; once it printed ``logged``, yield it and its lines.

    The script prints ``run <id>`` and then ``logged <step> <time>`` lines as it
    logs; the lines keep arriving in the list while the caller signals the
    process. On leaving, the process gets a minute to end (then it is killed)
    and its stdout is read to the end.
    """
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        reader = threading.Thread(target=lambda: lines.extend(child.stdout or ()), daemon=True)
        reader.start()
        deadline = time.monotonic() + 60
        while not any(x.startswith("logged") for x in lines) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        try:
            yield child, lines
        finally:
            try:
                child.wait(timeout=60)  # the caller signalled it; it has a minute to die of it
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            reader.join(timeout=30)


def smoke_started(project: Path, *args: str, pid_files: list[Path]) -> subprocess.Popen[str]:
    """``nbtrack smoke *args`` in *project*, once every notebook wrote its pid file.

    SIGINT reaches it as from a terminal (the default handler, even under a
    test runner that ignores it); its output is one text pipe, stderr folded in.
    """
    main = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    main += "from nbtrack.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", main, "smoke", *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not all(p.exists() and p.read_text() for p in pid_files) and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc
