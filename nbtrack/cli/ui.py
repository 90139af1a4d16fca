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
    help="Let the pages rename, tag, note, delete and restore runs (each POST checked "
    "against cross-site requests). Default: read-only.",
)
@click.option(
    "--experiment",
    "experiments",
    metavar="NAME",
    multiple=True,
    help="The experiment the runs page lists (repeatable; '*' every experiment; the page's "
    "?experiment= overrides it). Default: the one the project sets, else all.",
)
@click.option(
    "--access-log",
    is_flag=True,
    help="Print a line per request (a token in a URL shows as ***). Default: off.",
)
def ui(
    host: str,
    port: int,
    store_url: str | None,
    allow_edit: bool,
    experiments: tuple[str, ...],
    access_log: bool,
) -> None:
    """Serve a web app over the run store: runs, one run, comparisons, links to share.

    \b
    Examples:
      nbtrack ui                        http://127.0.0.1:5757 on the project's store
      nbtrack ui --port 0               any free port (the URL printed says which)
      nbtrack ui --allow-edit           the run page can rename, tag, note, delete
      nbtrack ui --host 0.0.0.0 --store postgresql://ana@db/experiments
                                        on the team network; prints a link with a token
      NBTRACK_UI_TOKEN=... nbtrack ui --host 0.0.0.0
                                        a token you chose (16+ letters, digits, -_.~)

    Opens nothing: it prints the store and the URL, then serves until Ctrl-C.
    Off loopback every browser needs the token once (the printed link carries
    it; it is then kept in a cookie, so links you share need not carry it).
    """
    from nbtrack.config import listed_experiments, load_settings
    from nbtrack.ui.server import serve

    scope = listed_experiments(experiments, load_settings())
    serve(host=host, port=port, store_url=store_url, allow_edit=allow_edit,
          access_log=access_log, experiments=scope)  # fmt: skip
