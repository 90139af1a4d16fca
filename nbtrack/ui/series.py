"""``/api/...``: the JSON the pages' scripts fetch.

For: downsampled metric series (at most ~2,000 points a series, the database
picking each bucket's extremes through ``Reader.extremes``) and a run's
status for live updates.
Not for: pages (the ``*_page`` modules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return []
