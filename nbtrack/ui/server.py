"""``serve``: run the app with uvicorn and say where it is.

For: ``nbtrack ui``. Binds the socket first (so ``--port 0`` gets a free
port and a port in use is one clear sentence), opens the store before the
first request (so an unreachable store, or one whose schema needs
``nbtrack db upgrade``, is one sentence at start, not a page of 500s), makes
the token when the host is not loopback, prints the URL to open and serves
until Ctrl-C (exit 0, no traceback).
Not for: what a request gets (``app`` and the pages).

The token: ``NBTRACK_UI_TOKEN`` when set (at least :data:`MIN_TOKEN` letters,
digits or ``-_.~``, so it travels in a URL and a cookie unchanged; it is not
printed, the user has it), else on a non-loopback host a new one, printed once
in the URL. uvicorn's access log is off unless asked for (``--access-log``);
when on, a ``token=`` in a logged URL is masked.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import sys
from dataclasses import dataclass

from nbtrack.ui.config import UiConfig

__all__ = ["MIN_TOKEN", "Binding", "bind", "env_token", "is_loopback", "serve"]

#: Host headers a loopback server answers (anything else could be DNS rebinding)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")
#: seconds Ctrl-C waits for requests still being answered (a slow query, a held
#: connection) before the server stops anyway
GRACE = 3
#: the fewest characters NBTRACK_UI_TOKEN may have
MIN_TOKEN = 16
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
_TOKEN_IN_URL = re.compile(r"([?&]token=)[^&\s]*")


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
        reason = exc.strerror or str(exc)
        hint = " (another server uses it; pick one with --port, or --port 0)"
        raise UsageError(
            f"Cannot listen on {host}:{port}: {reason}{hint if exc.errno in (98, 48) else ''}."
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def env_token() -> str | None:
    """``NBTRACK_UI_TOKEN`` when set (checked: long enough, URL- and cookie-safe)."""
    from nbtrack.envvars import UI_TOKEN_ENV
    from nbtrack.errors import ConfigError

    value = os.environ.get(UI_TOKEN_ENV, "").strip()
    if not value:
        return None
    if len(value) < MIN_TOKEN or not _TOKEN_CHARS.fullmatch(value):
        raise ConfigError(
            f"{UI_TOKEN_ENV} must be at least {MIN_TOKEN} letters, digits or '-_.~' "
            f"(it has {len(value)} characters); make one with "
            "`python -c 'import secrets; print(secrets.token_hex(24))'`."
        )
    return value


class _MaskToken(logging.Filter):
    """Hides a ``token=`` value in uvicorn's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) > 2:
            args = list(record.args)
            args[2] = _TOKEN_IN_URL.sub(r"\1***", str(args[2]))
            record.args = tuple(args)
        return True


def serve(
    *,
    host: str,
    port: int,
    store_url: str | None,
    allow_edit: bool,
    access_log: bool = False,
    log_level: str = "warning",
    experiments: tuple[str, ...] = (),
) -> None:
    """Serve the UI on *host*:*port* until interrupted; the runs page lists
    *experiments* unless its URL names others (empty: every experiment)."""
    loopback = is_loopback(host)
    given = env_token()
    token = given or (None if loopback else _new_token())
    sock = bind(host, port)
    try:
        _run(sock, host, loopback, token, given is None, store_url, allow_edit, access_log,
             log_level, experiments)  # fmt: skip
    except KeyboardInterrupt:  # Ctrl-C before uvicorn took over the signal
        pass
    finally:
        sock.close()
        sys.stdout.flush()


def _new_token() -> str:
    from nbtrack.ui.security import new_token

    return new_token()


def _run(
    sock: socket.socket,
    host: str,
    loopback: bool,
    token: str | None,
    show_token: bool,
    store_url: str | None,
    allow_edit: bool,
    access_log: bool,
    log_level: str,
    experiments: tuple[str, ...] = (),
) -> None:
    import uvicorn

    from nbtrack.compare.reader import Reader
    from nbtrack.ui.app import create_app

    reader = Reader.open(store_url)
    config = UiConfig(
        store_url=store_url,
        token=token,
        allow_edit=allow_edit,
        allowed_hosts=LOOPBACK_NAMES if loopback else (),
        experiments=experiments,
    )
    app = create_app(config, reader)
    url = _url(host, sock.getsockname()[1])
    if token is not None and show_token:
        url += f"?token={token}"
    mode = "editing allowed" if allow_edit else "read-only"
    if token is not None and show_token:
        hint = ("  the token is required off loopback: open this link once (it keeps it in a "
                "cookie); Ctrl-C stops the server")  # fmt: skip
    elif token is not None:
        hint = ("  every browser needs the token of NBTRACK_UI_TOKEN once: add ?token=... "
                "to the URL; Ctrl-C stops the server")  # fmt: skip
    else:
        hint = "  Ctrl-C stops the server"
    # one write: a Ctrl-C right after the URL appears cannot cut the banner in half
    print(f"nbtrack ui: {reader.url} ({mode})\nserving on {url}\n{hint}", flush=True)
    if access_log:
        logging.getLogger("uvicorn.access").addFilter(_MaskToken())
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="info" if access_log else log_level,
            access_log=access_log,
            lifespan="on",
            # Ctrl-C: requests still being answered get this many seconds, then go
            timeout_graceful_shutdown=GRACE,
        )
    )
    server.run(sockets=[sock])


def _url(host: str, port: int) -> str:
    """The URL to print: the host as given, or this machine's name for "every address"."""
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "[::]") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"
