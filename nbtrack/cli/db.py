"""``nbtrack db``: inspect and upgrade the run store's schema.

For: telling a user which schema their store has, which this nbtrack speaks,
and applying migrations on request. A store is never migrated implicitly;
opening an old one elsewhere says to run ``nbtrack db upgrade``.
Not for: migration logic (``nbtrack.store.migrations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nbtrack.store.sql import SqlStore

__all__ = ["db"]


def _open(*, create: bool) -> SqlStore:
    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    settings = load_settings()
    return SqlStore(settings.store_url, settings=settings, create=create, check=False)


@click.group()
def db() -> None:
    """Inspect and upgrade the run store's schema."""


@db.command()
def status() -> None:
    """Show the store URL, its artifact root, its schema revision and this nbtrack's."""
    from nbtrack.config import mask_url
    from nbtrack.store import schema

    store = _open(create=False)
    try:
        info = store.schema_status()
        # the store_settings table is 0005's: an older store records no root
        recorded = store.recorded_artifact_root() if info["current"] == schema.HEAD else None
    finally:
        store.close()
    current, head = info["current"], info["head"]
    print(f"store:   {info['url']}")
    if recorded is not None:
        print(f"artifacts: {mask_url(recorded)} (recorded in the store)")
    if info["lost_record"]:
        _lost_record(info["detected"], head)
        return
    print(f"schema:  {current or '(no store yet)'}")
    print(f"nbtrack: {head}")
    if current is None:
        print("No run store yet; it is created on first use (or by `nbtrack db upgrade`).")
    elif current == head:
        print("Up to date.")
    elif current in schema.REVISIONS:
        print("Older than this nbtrack: run `nbtrack db upgrade`.")
    else:
        print("Made by a newer nbtrack: upgrade nbtrack to use this store.")


def _lost_record(detected: str | None, head: str) -> None:
    match = f"the tables match {detected}" if detected else "the tables match no known schema"
    print(f"schema:  none recorded (the alembic_version table is missing); {match}")
    print(f"nbtrack: {head}")
    if detected:
        print("Run `nbtrack db upgrade` to restore the record (and upgrade if needed).")
    else:
        print("Restore the store from a backup, or point nbtrack at a new store.")


@db.command()
def upgrade() -> None:
    """Apply schema migrations to the store (creating it if there is none).

    A store whose schema record (the alembic_version table) was lost gets it
    back: the revision its tables match is recorded, then upgraded as usual.
    """
    store = _open(create=False)
    try:
        info = store.schema_status()
        url = info["url"]
        before, after = store.upgrade()
    finally:
        store.close()
    if info["lost_record"]:
        upgraded = "" if after == info["detected"] else f", then upgraded it to {after}"
        print(
            f"Restored the schema record of the run store {url}: its tables match"
            f" {info['detected']}{upgraded}."
        )
    elif before == after:
        print(f"The run store {url} is already at schema {after} (current); nothing to do.")
    elif before is None:
        print(f"Created the run store {url} at schema {after}.")
    else:
        print(f"Upgraded the run store {url} from schema {before} to {after}.")
