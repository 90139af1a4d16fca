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
    """Show the store URL, its schema revision and the one this nbtrack speaks."""
    from nbtrack.store import schema

    with _open(create=False) as store:
        info = store.schema_status()
    current, head = info["current"], info["head"]
    print(f"store:   {info['url']}")
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


@db.command()
def upgrade() -> None:
    """Apply schema migrations to the store (creating it if there is none)."""
    store = _open(create=False)
    try:
        url = store.schema_status()["url"]
        before, after = store.upgrade()
    finally:
        store.close()
    if before == after:
        print(f"The run store {url} is already at schema {after} (current); nothing to do.")
    elif before is None:
        print(f"Created the run store {url} at schema {after}.")
    else:
        print(f"Upgraded the run store {url} from schema {before} to {after}.")
