"""What an endpoint reads from the app it runs in.

For: every page and API module: ``reader_of(request)``, the app's one
:class:`~nbtrack.compare.reader.Reader` (opened by ``app.create_app``'s
lifespan). Its own module because ``app`` imports the page modules: a page
importing ``app`` back would be an import loop.
Not for: opening or closing the reader (``app`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request

    from nbtrack.compare.reader import Reader

__all__ = ["reader_of"]


def reader_of(request: Request) -> Reader:
    """The app's reader."""
    reader: Reader = request.app.state.reader
    return reader
