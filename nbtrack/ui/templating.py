"""The pages' Jinja2 environment and ``page``, a template as an HTML response.

For: every page of ``nbtrack ui``. Autoescape is on and every string a
template shows passes through :func:`nbtrack.printable.printable` first, so a
run name, param, tag or notebook source is text (an ESC shows as ``\\x1b``),
never markup; markup nbtrack built itself (``markupsafe.Markup``) passes as
is. Templates live in ``templates/`` and extend ``base.html.j2``.
Globals every template has: ``static(path)`` (a cache-busted URL under
``/static``), ``config`` (the ``UiConfig``), ``csrf`` (the CSRF token for
forms), ``version``.
Not for: building what a page shows (the page modules and the compare layer do).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2
    from starlette.requests import Request
    from starlette.responses import HTMLResponse

__all__ = ["UPLOT_VERSION", "environment", "page"]

#: the uPlot version vendored under static/vendor/uplot (see VENDORED.md there)
UPLOT_VERSION = "1.6.32"


@functools.cache
def environment() -> jinja2.Environment:
    """The one environment of the app's templates."""
    from markupsafe import Markup

    from nbtrack._version import __version__
    from nbtrack.compare.report import html_environment
    from nbtrack.printable import printable

    env = html_environment("nbtrack.ui")
    env.globals["version"] = __version__
    # text whose newlines matter (a note in a textarea): each line made printable
    env.filters["multiline"] = lambda text: Markup.escape(printable(str(text), lines=True))
    env.globals["static"] = lambda path: f"/static/{path}?v={__version__}"
    return env


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """*template* rendered with *context* (plus ``request``, ``config``, ``csrf``)."""
    from starlette.responses import HTMLResponse

    from nbtrack.ui.security import csrf_token

    config = request.app.state.config
    full = {"request": request, "config": config, "csrf": csrf_token(config.token), **context}
    html = environment().get_template(template).render(full)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
