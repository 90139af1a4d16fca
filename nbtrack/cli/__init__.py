"""The ``nbtrack`` command: one group, one module per command family.

Subcommands are imported only when invoked (``nbtrack --help`` must answer in
well under 0.2 s), so the registry below carries each command's one-line help.
Every ``NbtrackError`` a command raises becomes ``Error: <sentence>`` on stderr
and its exit code (2 for usage or unreadable input); nothing else is caught.
"""

from __future__ import annotations

import errno
import importlib
import sys
from typing import Any

import click

from nbtrack._version import __version__

__all__ = ["cli", "main"]

#: name -> (module:attribute, one-line help), in the order ``--help`` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("nbtrack.cli.run:run", "Execute a notebook in a kernel with parameters and track it."),
    "runs": ("nbtrack.cli.runs:runs", "List runs, newest first, with filters and sorting."),
    "show": ("nbtrack.cli.runs:show", "Show one run: params, metrics, data, artifacts, git, env."),
    "compare": ("nbtrack.cli.compare:compare", "Compare runs side by side against a baseline run."),
    "rename": ("nbtrack.cli.manage:rename", "Give a run a new name."),
    "tag": ("nbtrack.cli.manage:tag", "Set or remove tags on a run (key=value, --remove key)."),
    "note": ("nbtrack.cli.manage:note", "Set a run's free-text note (- reads it from stdin)."),
    "rm": ("nbtrack.cli.manage:rm", "Delete runs (soft; `nbtrack restore` brings them back)."),
    "restore": ("nbtrack.cli.manage:restore", "Bring back runs deleted with `nbtrack rm`."),
    "gc": ("nbtrack.cli.manage:gc", "Purge deleted runs and the artifact files only they use."),
    "smoke": ("nbtrack.cli.smoke:smoke", "Run notebooks as clean scripts and explain failures."),
    "lint": ("nbtrack.cli.smoke:lint", "Static hidden-state checks on notebooks, no execution."),
    "init": ("nbtrack.cli.vcs:init", "Set up jupytext pairing, nbdime git drivers and hooks."),
    "sync": ("nbtrack.cli.vcs:sync", "Bring paired .ipynb and text files in step."),
    "diff": ("nbtrack.cli.diff:diff", "Cell-aware diff of notebooks, files or git revisions."),
    "plot": ("nbtrack.cli.plot:plot", "Plot metric curves of runs to a PNG, SVG or PDF file."),
    "report": ("nbtrack.cli.report:report", "Write one self-contained HTML report of runs."),
    "ui": ("nbtrack.cli.ui:ui", "Serve a web app over the run store, with links to share."),
    "import": (
        "nbtrack.cli.imports:import_",
        "Import runs from other tools (TensorBoard event files).",
    ),
    "export": (
        "nbtrack.cli.exports:export",
        "Export runs to other tools (TensorBoard event files, ML-Metadata).",
    ),
    "why": ("nbtrack.cli.lineage:why", "Find the run that made a file (by its content hash)."),
    "lineage": (
        "nbtrack.cli.lineage:lineage",
        "A run's upstream runs and data, and the runs downstream of it.",
    ),
    "db": ("nbtrack.cli.db:db", "Inspect and upgrade the run store's schema."),
    "artifacts": ("nbtrack.cli.artifacts:artifacts", "List a run's artifacts; copy one out."),
}


class CommandError(click.ClickException):
    """An ``NbtrackError`` as click shows it: ``Error: <sentence>``, exit code 2."""

    exit_code = 2


class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (target, _) in COMMANDS.items() if _module_exists(target)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        target, _ = COMMANDS[cmd_name]
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from nbtrack.errors import NbtrackError

        try:
            return super().invoke(ctx)
        except NbtrackError as exc:
            from nbtrack.printable import printable

            # the sentence names the user's file, key or value: it must not act on the terminal
            raise CommandError(printable(str(exc), lines=True)) from exc


def _module_exists(target: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="nbtrack")
def cli() -> None:
    """nbtrack: trustworthy notebook experiments.

    Track runs from notebooks, smoke-test notebooks in CI, diff them as text,
    and compare results. The run store is .nbtrack/runs.db at the project root
    unless NBTRACK_STORE or [tool.nbtrack] store says otherwise.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    try:
        cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="nbtrack")
    except OSError as exc:
        # a full disk or a dead terminal under stdout; file errors carry a filename
        # and nbtrack's own I/O problems arrive as NbtrackError, so re-raise those
        if exc.filename is not None or exc.errno not in _OUTPUT_ERRNOS:
            raise
        _silence_stdout()
        print(f"nbtrack: cannot write the output: {exc.strerror}.", file=sys.stderr)
        sys.exit(1)


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG}


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's exit flush cannot fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
