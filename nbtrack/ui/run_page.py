"""``/runs/{run_id}``: one run (params, curves, figures, artifacts, code, git, env, events).

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

    return [Route("/runs/{run_id}", run, name="run")]


def run(request: Request) -> Response:
    from nbtrack.ui.templating import page

    return page(request, "run.html.j2", {"title": "Run", "nav": "runs"})
