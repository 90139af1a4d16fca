"""``create_app``: the Starlette application of ``nbtrack ui``.

For: putting the pages' routes, the static files and the middleware together,
and opening the run store once for the app's life (``request.app.state.reader``,
shared by every request; SQLAlchemy's pool gives each thread its connection).
Endpoints are plain functions: Starlette runs them in its thread pool, so a
slow query never blocks the event loop.
Not for: what a page shows (each ``*_page`` module) or how it is served (``server``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from nbtrack.ui.config import UiConfig

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response

    from nbtrack.compare.reader import Reader

__all__ = ["create_app"]


def create_app(config: UiConfig, reader: Reader | None = None) -> Starlette:
    """The app over *reader* (default: :meth:`Reader.open` of ``config.store_url``)."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    from nbtrack.errors import NbtrackError
    from nbtrack.ui import (
        artifacts,
        compare_page,
        diff_page,
        edit,
        run_page,
        runs_page,
        security,
        series,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from nbtrack.compare.reader import Reader

        opened = reader or Reader.open(config.store_url)
        app.state.reader = opened
        # the one writer, and only with --allow-edit: a read-only app holds none
        app.state.editor = edit.open_editor(config) if config.allow_edit else None
        try:
            yield
        finally:
            if app.state.editor is not None:
                app.state.editor.close()
            opened.close()

    routes = [
        *runs_page.routes(),
        *run_page.routes(),
        *compare_page.routes(),
        *diff_page.routes(),
        *series.routes(),
        *artifacts.routes(),
        *(edit.routes() if config.allow_edit else ()),
        Mount("/static", StaticFiles(packages=[("nbtrack.ui", "static")]), name="static"),
    ]
    middleware = [
        Middleware(security.SecurityHeaders),
        Middleware(security.HostGate, allowed_hosts=config.allowed_hosts),
        Middleware(security.TokenGate, token=config.token),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={NbtrackError: _error_page},
    )
    app.state.config = config
    return app


def _error_page(request: Request, exc: Exception) -> Response:
    """An ``NbtrackError`` as a page: its one sentence, 404 for an unknown run, 400 else."""
    from nbtrack.errors import RunNotFoundError
    from nbtrack.ui.templating import page

    status = 404 if isinstance(exc, RunNotFoundError) else 400
    if request.url.path.startswith("/api/"):
        from starlette.responses import JSONResponse

        return JSONResponse({"error": str(exc)}, status_code=status)
    context = {"title": "Error", "nav": "", "message": str(exc)}
    return page(request, "error.html.j2", context, status=status)
