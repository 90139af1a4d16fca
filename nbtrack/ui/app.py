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

__all__ = ["REQUEST_THREADS", "create_app", "limit_request_threads"]

#: endpoints run at once in the thread pool (see ``limit_request_threads``)
REQUEST_THREADS = 4


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

        limit_request_threads()
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


def limit_request_threads(threads: int = REQUEST_THREADS) -> None:
    """Run at most *threads* endpoints at once (anyio's default is 40).

    The endpoints are Python holding the GIL between short SQL calls: with 40
    threads each call's return waits behind the others' Python (a convoy), and
    under load the server answered fewer requests a second. Measured by
    ``benchmarks/bench_ui.py``, 50 clients without a pause, 2-core machine:
    40 threads 10 requests/s, p99 19.5 s; 8: 14/s, 5.6 s; 4: 15/s, 4.3 s; 2:
    21/s, 3.1 s. Four, not two: one slow page (a first code diff imports
    jupytext, seconds) should not stop every other page. Requests beyond the
    limit wait their turn in order.
    """
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


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
