"""``serve``: run the app with uvicorn and say where it is.

For: ``nbtrack ui``. Binds the socket first (so ``--port 0`` gets a free
port and a port in use is one clear sentence), opens the store before the
first request (so an unreachable store is an error at start, not a page),
makes the token when the host is not loopback, prints the URL to open and
serves until Ctrl-C.
Not for: what a request gets (``app`` and the pages).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from dataclasses import dataclass

from nbtrack.ui.config import UiConfig

__all__ = ["Binding", "bind", "is_loopback", "serve"]

#: Host headers a loopback server answers (anything else could be DNS rebinding)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass(frozen=True)
class Binding:
    """A listening socket and the URL a browser opens."""

    sock: socket.socket
    url: str


def is_loopback(host: str) -> bool:
    """Whether *host* only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on *host*:*port* (port 0: a free one)."""
    from nbtrack.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it a keep-alive response written in two parts waits ~40 ms (Nagle
    # against the client's delayed ACK) on every request after a connection's first
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}.") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    *, host: str, port: int, store_url: str | None, allow_edit: bool, log_level: str = "warning"
) -> None:
    """Serve the UI on *host*:*port* until interrupted."""
    import uvicorn

    from nbtrack.compare.reader import Reader
    from nbtrack.envvars import UI_TOKEN_ENV
    from nbtrack.ui.app import create_app
    from nbtrack.ui.security import new_token

    loopback = is_loopback(host)
    token = os.environ.get(UI_TOKEN_ENV) or (None if loopback else new_token())
    sock = bind(host, port)
    reader = Reader.open(store_url)
    config = UiConfig(
        store_url=store_url,
        token=token,
        allow_edit=allow_edit,
        allowed_hosts=LOOPBACK_NAMES if loopback else (),
    )
    app = create_app(config, reader)
    actual_port = sock.getsockname()[1]
    shown_host = host if loopback else socket.gethostname()
    if ":" in shown_host and not shown_host.startswith("["):
        shown_host = f"[{shown_host}]"
    url = f"http://{shown_host}:{actual_port}/"
    if token is not None:
        url += f"?token={token}"
    mode = "editing allowed" if allow_edit else "read-only"
    print(f"nbtrack ui: {reader.url} ({mode})", flush=True)
    print(f"serving on {url}", flush=True)
    if token is not None:
        print("  the token is required off loopback; Ctrl-C stops the server", flush=True)
    else:
        print("  Ctrl-C stops the server", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on")
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        sys.stdout.flush()
