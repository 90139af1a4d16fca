"""The POST routes of ``nbtrack ui --allow-edit``: rename, tag, note, delete, restore.

For: changing a recorded run from the pages through
:class:`nbtrack.tracking.edit.RunEditor` (each change an event of the run),
every POST checked by :func:`nbtrack.ui.security.check_csrf`. The routes do
not exist unless the app was started with ``--allow-edit``.
Not for: reading (the pages do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return []
