"""``/diff``: the side-by-side notebook diff of two runs' code or commits.

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

    return [Route("/diff", diff, name="diff")]


def diff(request: Request) -> Response:
    from nbtrack.ui.templating import page

    return page(request, "diff.html.j2", {"title": "Diff", "nav": "compare"})
