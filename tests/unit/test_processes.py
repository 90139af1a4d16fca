"""Finding and ending a notebook's processes: by its mark, by the tree, and no one else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from nbtrack.processes import end_processes, marked, new_mark, tree
from tests.helpers.processes import process_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

#: forks, lets the middle process exit and leaves a grandchild in a session of its own;
#: prints the grandchild's pid
DAEMON = (
    "import os, sys, time\n"
    "r, w = os.pipe()\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        os.write(w, str(os.getpid()).encode())\n"
    "        os.close(w)\n"
    "        time.sleep(600)\n"
    "    os._exit(0)\n"
    "os.close(w)\n"
    "print(os.read(r, 32).decode(), flush=True)\n"
)


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Pids a test started; whatever still runs is killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if not process_gone(pid):
            os.kill(pid, 9)


def _daemon(env: dict[str, str], started: list[int]) -> int:
    # the pid is read as a line: the daemon holds the pipe, so there is no EOF to wait for
    with subprocess.Popen([sys.executable, "-c", DAEMON], env=env, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline())
    started.append(pid)
    return pid


def test_a_daemon_is_found_by_its_mark_and_ended_and_another_notebooks_is_not(
    started: list[int],
) -> None:
    ours, theirs = new_mark(), new_mark()
    our_daemon = _daemon({**os.environ, **ours}, started)
    their_daemon = _daemon({**os.environ, **theirs}, started)

    assert {pid for pid, _ in marked(ours)} == {our_daemon}
    ended = end_processes(ours)

    assert {pid for pid, _ in ended} == {our_daemon}
    assert process_gone(our_daemon)
    assert not process_gone(their_daemon)


def test_no_mark_finds_nothing_rather_than_everything() -> None:
    assert marked(None) == set()
    assert marked({}) == set()


def test_a_process_with_an_environment_of_its_own_is_found_below_its_parent(
    started: list[int],
) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, time\n"
         "subprocess.Popen(['sleep', '600'], env={}, start_new_session=True)\n"
         "time.sleep(600)"],
    )  # fmt: skip
    started.append(parent.pid)
    deadline = time.monotonic() + 30
    while not tree(parent.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    ((child, _),) = tree(parent.pid)
    started.append(child)

    end_processes(new_mark(), roots=[parent.pid])

    assert process_gone(child)
    assert parent.poll() is None  # a root itself is left to its owner
    parent.kill()
    parent.wait()


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace(started: list[int]) -> None:
    mark = new_mark()
    stubborn = subprocess.Popen(
        [sys.executable, "-c", "import signal, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint(1, flush=True)\ntime.sleep(600)"],
        env={**os.environ, **mark}, stdout=subprocess.PIPE,
    )  # fmt: skip
    started.append(stubborn.pid)
    assert stubborn.stdout is not None
    stubborn.stdout.readline()  # its handler is in place

    began = time.monotonic()
    end_processes(mark, grace=0.3)

    assert stubborn.wait(timeout=5) == -9
    stubborn.stdout.close()
    assert time.monotonic() - began < 3
