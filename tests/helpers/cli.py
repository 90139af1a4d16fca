"""``nbtrack ...`` as a test runs it: in-process, or as a real process.

``nbtrack("runs", "--format", "json")`` runs the command through click's
``CliRunner`` (fast; exit code, stdout and stderr apart). Use
``nbtrack_subprocess`` when the test needs what only a process has: a real
exit status and real stdio, another working directory, a kernel started by
the command, or ``python -m nbtrack`` itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple


class Outcome(NamedTuple):
    """What a command left: ``code, out, err = nbtrack(...)`` unpacks it."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        """stdout then stderr: everything the user saw."""
        return self.stdout + self.stderr

    @property
    def output(self) -> str:
        """:attr:`text` by click's name (click interleaves the two as written; tests search it)."""
        return self.text


#: the signature of :func:`nbtrack` (a fixture may hand out a variant of it)
Invoke = Callable[..., Outcome]


def nbtrack(
    *args: str,
    env: Mapping[str, str] | None = None,
    catch_exceptions: bool = True,
    input: str | None = None,
) -> Outcome:
    """Run ``nbtrack *args`` in this process; *env* is set for the command only, *input* is stdin.

    ``catch_exceptions=False`` lets an exception from inside the command fail
    the test with its traceback instead of becoming exit code 1.
    """
    from click.testing import CliRunner

    from nbtrack.cli import cli

    result = CliRunner().invoke(
        cli, list(args), env=dict(env or {}), catch_exceptions=catch_exceptions, input=input
    )
    return Outcome(result.exit_code, result.stdout, result.stderr)


def nbtrack_subprocess(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nbtrack *args`` in *cwd* as a user would; *env* adds variables."""
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        cwd=cwd,
        env={**os.environ, **env} if env else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
