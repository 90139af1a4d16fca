"""``nbtrack rm``, ``restore``, ``gc``, ``rename``, ``tag`` and ``note``: managing recorded runs.

For: reading the arguments (``key=value`` tags, a note from stdin with
``-``), calling :class:`nbtrack.tracking.edit.RunEditor`, and saying what
changed and how to undo it. Every name, tag and note a run carries is
printed through :func:`nbtrack.printable.printable`.
Not for: the rules (which runs may be deleted, what ``gc`` may remove), which
live in ``nbtrack.tracking.edit``.

``rm`` asks nothing (it only hides runs; ``restore`` undoes it). ``gc`` loses
data, so it shows what goes and asks first; ``--yes`` skips the question and
is required where there is no terminal to ask on.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from nbtrack.errors import UsageError
from nbtrack.printable import printable

if TYPE_CHECKING:
    from nbtrack.model import GcPlan
    from nbtrack.tracking.edit import Edit, RunEditor

__all__ = ["gc", "note", "rename", "restore", "rm", "tag"]

_LISTED = 20  # runs and files a gc plan names one by one


def _editor() -> RunEditor:
    from nbtrack.tracking.edit import RunEditor

    return RunEditor.open()


def _who(edit: Edit) -> str:
    """``3f9c2a1b (name)``: a run as the messages name it."""
    name = f" ({printable(edit.name)})" if edit.name else ""
    return f"run {edit.run_id[:8]}{name}"


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{count} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


# -- rm / restore ----------------------------------------------------------------


@click.command()
@click.argument("runs", metavar="RUN...", nargs=-1, required=True)
@click.option(
    "--force",
    is_flag=True,
    help="Delete a run that is still RUNNING too (its process keeps logging into it).",
)
def rm(runs: tuple[str, ...], force: bool) -> None:
    """Delete runs (soft): hidden from `nbtrack runs`, kept until `nbtrack gc`.

    RUN is a run id or a unique prefix. `nbtrack restore RUN` brings a run back;
    `nbtrack runs --deleted` lists deleted runs.
    """
    with _editor() as editor:
        edits = editor.delete(runs, force=force)
    for edit in edits:
        if edit.changed:
            print(f"Deleted {_who(edit)}.")
        else:
            print(f"The {_who(edit)} was already deleted.")
    done = [e.run_id[:8] for e in edits if e.changed]
    if done:
        print(f"Undo with: nbtrack restore {' '.join(done)}")
        print("`nbtrack gc` removes deleted runs and their artifacts for good.")


@click.command()
@click.argument("runs", metavar="RUN...", nargs=-1, required=True)
def restore(runs: tuple[str, ...]) -> None:
    """Bring back runs deleted with `nbtrack rm` (before `nbtrack gc` purged them)."""
    with _editor() as editor:
        edits = editor.restore(runs)
    for edit in edits:
        if edit.changed:
            print(f"Restored {_who(edit)}.")
        else:
            print(f"The {_who(edit)} is not deleted; nothing to restore.")


# -- gc --------------------------------------------------------------------------


def _print_plan(plan: GcPlan, *, done: bool) -> None:
    from nbtrack.cli.runs import fmt_time

    verb = "Purged" if done else "Would purge"
    count = len(plan.runs)
    if count:
        print(f"{verb} {count} deleted run{'s' if count != 1 else ''}:")
    for run in plan.runs[:_LISTED]:
        name = printable(run.name or "")
        print(f"  {run.id[:8]}  deleted {fmt_time(run.deleted_at)}  {name}".rstrip())
    if count > _LISTED:
        print(f"  ... and {count - _LISTED} more")
    files = len(plan.files)
    verb = "Removed" if done else "Would remove"
    print(
        f"{verb} {files} artifact file{'s' if files != 1 else ''} ({_size(plan.bytes)})"
        " that no other run uses" + (":" if files else ".")
    )
    for artifact in plan.files[:_LISTED]:
        print(f"  {artifact.digest[:19]}  {_size(artifact.size):>10}  {printable(artifact.name)}")
    if files > _LISTED:
        print(f"  ... and {files - _LISTED} more")
    if plan.recent:
        recent = len(plan.recent)
        print(
            f"Kept {recent} file{'s' if recent != 1 else ''} written in the last hour"
            " (a run may be about to record it); run `nbtrack gc` again later."
        )
    if plan.running:
        ids = " ".join(r.id[:8] for r in plan.running)
        print(f"Kept deleted runs that are still RUNNING: {ids} (--force purges them too).")


@click.command()
@click.option("--dry-run", "-n", is_flag=True, help="Show what would go; change nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before removing (needed in scripts).")
@click.option("--force", is_flag=True, help="Purge deleted runs that are still RUNNING too.")
def gc(dry_run: bool, yes: bool, force: bool) -> None:
    """Purge deleted runs for good, with the artifact files only they use.

    Files a run that stays also uses are kept (artifacts are stored once per
    content), and so are files written in the last hour.
    """
    with _editor() as editor:
        plan = editor.plan_gc(force=force)
        if not plan.runs:
            print("Nothing to collect: no deleted runs (`nbtrack rm RUN` deletes one).")
            if plan.running:
                _print_plan(plan, done=False)
            return
        if dry_run:
            _print_plan(plan, done=False)
            print("Dry run: nothing was removed.")
            return
        if not yes:
            _print_plan(plan, done=False)
            if not sys.stdin.isatty():
                raise UsageError(
                    "nbtrack gc removes these runs for good and there is no terminal to ask"
                    " on; pass --yes to remove them (nothing was removed)."
                )
            click.confirm("Remove them for good?", abort=True)
        done = editor.gc(plan)
    _print_plan(done, done=True)


# -- rename / tag / note ---------------------------------------------------------


@click.command()
@click.argument("run", metavar="RUN")
@click.argument("name", metavar="NEW_NAME")
def rename(run: str, name: str) -> None:
    """Give a run a new name (RUN is an id or a unique prefix)."""
    with _editor() as editor:
        edit = editor.rename(run, name)
    if not edit.changed:
        print(f"The {_who(edit)} already has that name; nothing to do.")
        return
    before = printable(edit.before) if edit.before else "(no name)"
    print(f"Renamed run {edit.run_id[:8]} from {before} to {printable(name)}.")


def _pairs(pairs: Sequence[str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq:
            raise UsageError(
                f"Cannot read the tag {pair!r}: write it as key=value (e.g. team=vision);"
                " --remove KEY removes one."
            )
        tags[key] = value
    return tags


@click.command()
@click.argument("run", metavar="RUN")
@click.argument("pairs", metavar="KEY=VALUE...", nargs=-1)
@click.option(
    "--remove", "-r", "removed", metavar="KEY", multiple=True, help="Remove this tag; repeatable."
)
def tag(run: str, pairs: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Set tags on a run (KEY=VALUE, replacing a value) or remove them (--remove KEY).

    Tags named like secrets (token, password, ...) are stored as ***.
    """
    tags = _pairs(pairs)
    with _editor() as editor:
        edit = editor.tag(run, tags, removed)
    if not edit.changed:
        print(f"The {_who(edit)} already has those tags; nothing to do.")
        return
    after = dict(edit.after)
    shown = ", ".join(f"{k}={after[k]}" for k in tags)
    parts = [f"set {printable(shown)}"] if tags else []
    parts += [f"removed {printable(', '.join(removed))}"] if removed else []
    print(f"Tagged {_who(edit)}: {'; '.join(parts)}.")


@click.command()
@click.argument("run", metavar="RUN")
@click.argument("text", metavar="TEXT", required=False)
@click.option("--append", "-a", is_flag=True, help="Add TEXT below the note instead of replacing.")
@click.option("--clear", is_flag=True, help="Remove the run's note.")
def note(run: str, text: str | None, append: bool, clear: bool) -> None:
    """Set a run's free-text note (TEXT; - reads it from stdin). `nbtrack show` prints it."""
    if clear == (text is not None):
        raise UsageError("Give the note's TEXT (or - to read it from stdin), or --clear.")
    if clear and append:
        raise UsageError("--append adds text and --clear removes the note; use one of them.")
    if text == "-":
        text = sys.stdin.read()
    with _editor() as editor:
        edit = editor.note(run, None if clear else text, append=append)
    if not edit.changed:
        print(f"The note of {_who(edit)} is already that; nothing to do.")
    elif clear:
        print(f"Cleared the note of {_who(edit)}.")
    else:
        verb = "Added to" if append and edit.before else "Set"
        print(f"{verb} the note of {_who(edit)} ({len(edit.after)} characters).")
