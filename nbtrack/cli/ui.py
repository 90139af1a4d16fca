"""``nbtrack ui``: serve the web app over the run store.

For: the options (host, port, store, ``--allow-edit``) and starting
:func:`nbtrack.ui.server.serve`. Not for: anything the app does.
"""

from __future__ import annotations

import click

from nbtrack.ui.config import DEFAULT_HOST, DEFAULT_PORT

__all__ = ["ui"]


@click.command()
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to listen on. Anything but loopback requires a token "
    "(NBTRACK_UI_TOKEN, or a new one printed once).",
)
@click.option(
    "--port",
    "-p",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="The run store to show. Default: the project's ([tool.nbtrack] store, NBTRACK_STORE).",
)
@click.option(
    "--allow-edit",
    is_flag=True,
    help="Let the pages rename, tag, note and delete runs. Default: read-only.",
)
def ui(host: str, port: int, store_url: str | None, allow_edit: bool) -> None:
    """Serve a web app over the run store: runs, one run, comparisons, links to share.

    \b
      nbtrack ui                                   http://127.0.0.1:5757 on the project's store
      nbtrack ui --host 0.0.0.0 --store postgresql://ana@db/experiments

    Opens nothing: it prints the URL. Off loopback every browser needs the
    token once (the printed link carries it; it is then kept in a cookie).
    """
    from nbtrack.ui.server import serve

    serve(host=host, port=port, store_url=store_url, allow_edit=allow_edit)
