"""``/runs/{run_id}/artifacts/{name}``: an artifact's bytes.

For: images shown inline (PNG, JPEG, GIF, WebP: never SVG), everything else
(HTML and SVG included) as a download with ``nosniff``, so nothing a notebook
wrote is rendered in the app's origin. The file is found by the store's
artifact record, never by a path from the URL.
Not for: listing artifacts (the run page does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return []
