"""``nbtrack init`` and ``nbtrack sync``: CLI doors to ``nbtrack.vcs.init`` / ``.sync``.

They parse options, call the core and print its report; exit 1 when a
``--check`` finds something missing or out of step. No logic lives here.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["init", "sync"]


@click.command()
@click.option("--formats", default=None, metavar="FORMATS",
              help="jupytext pairing to configure (default 'ipynb,py:percent').")  # fmt: skip
@click.option(
    "--check",
    is_flag=True,
    help="Change nothing; list what is missing (exit 1: committed files lack it).",
)
@click.pass_context
def init(ctx: click.Context, formats: str | None, check: bool) -> None:
    """Set this git repository up for notebooks: pairing, nbdime drivers, hooks.

    Writes or merges (never overwrites) a jupytext config, nbdime's git diff
    and merge drivers in .git/config, the .gitattributes line, .nbtrack/ in
    .gitignore and nbtrack's pre-commit hooks. Running it again changes nothing.
    """
    from nbtrack.cli._output import echo_err
    from nbtrack.vcs.init import init_repository

    report = init_repository(Path.cwd(), formats=formats, check=check)
    for warning in report.warnings:
        echo_err(f"warning: {warning}")
    if check:
        if report.clone_missing:
            # .git/config is not committed: a fresh clone (CI) lacks it, which is no failure
            click.echo("not set in this clone (run 'nbtrack init' once per clone):")
            for item in report.clone_missing:
                click.echo(f"  - {item}")
        if report.up_to_date:
            click.echo(f"nbtrack is set up in {report.root}")
            return
        click.echo(f"missing in {report.root}:")
        for item in report.missing:
            click.echo(f"  - {item}")
        click.echo("run 'nbtrack init' to set them up")
        ctx.exit(1)
    if not report.changes:
        click.echo(f"already set up: nothing to change in {report.root}")
        return
    click.echo(f"set up {report.root}:")
    for change in report.changes:
        click.echo(f"  - {change}")


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 naming each pair that is out of step.")  # fmt: skip
@click.option("--prefer", type=click.Choice(["ipynb", "text"]), default=None,
              help="Side that wins when a pair differs (default: as git tells).")  # fmt: skip
@click.pass_context
def sync(ctx: click.Context, paths: tuple[Path, ...], check: bool, prefer: str | None) -> None:
    """Bring paired .ipynb and text files (jupytext) in step.

    PATHS are notebooks, their text files, or directories (default: the
    current directory). In step means same cells, compared by content, not
    by file times. Outputs, cell ids and metadata in the .ipynb are kept.
    """
    from nbtrack.cli._output import echo_err
    from nbtrack.vcs.sync import sync_paths

    report = sync_paths(list(paths) or [Path.cwd()], check=check, prefer=prefer)  # type: ignore[arg-type]
    for pair in report.pairs:
        if pair.lossy:
            echo_err(
                f"warning: {_shown(pair.notebook)}: {pair.lossy} (the text format reads it "
                "differently; edit that cell or pair with another format)"
            )
    out_of_step = report.out_of_step
    if not report.pairs:
        click.echo("no paired notebooks found (run 'nbtrack init' to configure pairing)")
        return
    if check:
        for pair in out_of_step:
            names = ", ".join(p.name for p in pair.texts)
            click.echo(f"out of step: {_shown(pair.notebook)} <-> {names} ({pair.reason})")
        if out_of_step:
            ctx.exit(1)
        click.echo(f"{len(report.pairs)} paired notebook(s) in step")
        return
    for pair in out_of_step:
        for path in pair.written:
            click.echo(f"wrote {_shown(path)} ({pair.reason})")
    if not out_of_step:
        click.echo(f"{len(report.pairs)} paired notebook(s) already in step")


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (as git prints paths).

    A file name can hold control characters: they are shown, never sent to the terminal.
    """
    from nbtrack.printable import printable

    try:
        return printable(str(path.absolute().relative_to(Path.cwd())))
    except ValueError:
        return printable(str(path))
