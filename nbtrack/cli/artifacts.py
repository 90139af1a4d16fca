"""``nbtrack artifacts ls|get|push|root``: a run's files, and the store's artifact root.

For: listing a run's stored files and copying one out of the artifact store;
uploading what an outage of object storage left on this machine (``push``);
showing or moving the root the store records (``root [--set URL]``, through
the store like ``nbtrack db``).
The core (find by name, copy with the digest checked, refuse to overwrite)
is ``nbtrack.compare.artifacts``; this door parses options and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nbtrack.cli._output import echo_err, print_table
from nbtrack.config import mask_url

if TYPE_CHECKING:
    from nbtrack.store.sql import SqlStore

__all__ = ["artifacts"]


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


@click.group()
def artifacts() -> None:
    """List a run's artifacts, copy them out; push spilled ones; show the root."""


@artifacts.command("ls")
@click.argument("run_id", metavar="RUN")
def ls(run_id: str) -> None:
    """List the artifacts of RUN (an id or unique prefix): name, step, size, type, digest.

    In the order they were logged; a figure logged every epoch is one row a step.
    """
    from nbtrack.compare.reader import Reader

    with Reader.open() as reader:
        run = reader.run(run_id)
    if not run.artifacts:
        print(f"Run {run.id[:12]} has no artifacts.")
        return
    rows = [
        [a.name, "" if a.step is None else str(a.step), _size(a.size), a.media_type, a.digest[:19]]
        for a in run.artifacts
    ]
    print_table(["name", "step", "size", "type", "digest"], rows)


@artifacts.command("get")
@click.argument("run_id", metavar="RUN")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "output",
    default=None,
    metavar="PATH",
    help="Where to write it: a file, a folder to put it in, or - for stdout. "
    "[default: NAME's file name in the current folder]",
)
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.option(
    "--step",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="The image of step N of a figure logged at every step. [default: its latest step]",
)
def get(run_id: str, name: str, output: str | None, force: bool, step: int | None) -> None:
    """Copy artifact NAME of RUN out of the artifact store, checking its digest.

    RUN is an id or unique prefix; `nbtrack artifacts ls RUN` lists the names
    and steps.
    """
    from nbtrack.compare import artifacts as core
    from nbtrack.compare.reader import Reader

    with Reader.open() as reader:
        run = reader.run(run_id)
        if output == "-":
            core.write_to(reader, run, name, sys.stdout.buffer, step=step)
            sys.stdout.buffer.flush()
            return
        target = Path(output) if output is not None else Path(Path(name).name)
        artifact, written = core.copy_to(reader, run, name, target, step=step, force=force)
    at = "" if artifact.step is None else f"step {artifact.step}, "
    echo_err(f"Wrote {written} ({at}{_size(artifact.size)}, {artifact.digest[:19]} checked).")


def _open_store() -> SqlStore:
    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    settings = load_settings()
    return SqlStore(settings.store_url, settings=settings, create=False)


@artifacts.command("push")
def push() -> None:
    """Upload the artifacts kept on this machine while their root could not be reached.

    A run that logs artifacts while object storage is down keeps them under
    .nbtrack/artifact-spill and records them as usual; the next artifact
    written to a reachable root sends them too, and this command sends them now.
    """
    store = _open_store()
    try:
        sent, kept = store.push_artifacts()
    finally:
        store.close()
    if kept:
        echo_err(f"Uploaded {sent} artifact(s); {kept} still kept here: the root did not answer.")
        sys.exit(1)
    print(f"Uploaded {sent} artifact(s)." if sent else "Nothing to upload.")


@artifacts.command("root")
@click.option(
    "--set",
    "new",
    default=None,
    metavar="URL",
    help="Record URL (s3://bucket/prefix, gs://, az://, file:///path or a folder) as the"
    " store's artifact root. Objects are not moved: copy them there first.",
)
def root(new: str | None) -> None:
    """Show the artifact root this store records (and the one this client uses)."""
    store = _open_store()
    try:
        if new is not None:
            print(f"Recorded {mask_url(store.set_artifact_root(new))} as the artifact root.")
            return
        info = store.artifact_root_status()
    finally:
        store.close()
    print(f"recorded: {info['recorded'] or '(none: each client uses its own setting or folder)'}")
    print(f"used:     {info['used']}")
