"""``/``: the runs table (filter, sort, columns, selection -> Compare).

Not for: SQL or comparisons (the compare layer's ``Reader`` and builders do them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/", runs, name="runs")]


def runs(request: Request) -> Response:
    from nbtrack.ui.templating import page

    return page(request, "runs.html.j2", {"title": "Runs", "nav": "runs"})
