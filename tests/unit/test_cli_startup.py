"""The CLI's front door stays light: `nbtrack --help` imports no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "sqlalchemy",
    "nbformat",
    "nbconvert",
    "jupytext",
    "nbdime",
    "papermill",
    "pandas",
    "matplotlib",
    "rich",
    "IPython",
]

PROBE = """
import json, sys
from nbtrack.cli import cli
try:
    cli.main(args={args!r}, prog_name="nbtrack")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_front_door_imports_no_heavy_library(args: list[str]) -> None:
    code = PROBE.format(args=args, heavy=set(HEAVY))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(proc.stderr.strip().splitlines()[-1])
    assert loaded == []


def test_import_nbtrack_imports_no_heavy_library() -> None:
    code = (
        "import json, sys, nbtrack\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == []


def test_help_lists_the_commands() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbtrack", "--help"], capture_output=True, text=True, check=True
    )
    assert "Usage: nbtrack" in proc.stdout
    listed = {line.split()[0] for line in proc.stdout.split("Commands:")[1].splitlines() if line}
    assert {"runs", "show", "db", "smoke", "lint", "diff", "init", "run"} <= listed


def test_unknown_command_is_a_usage_error_with_exit_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nbtrack", "frobnicate"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "No such command 'frobnicate'" in proc.stderr
