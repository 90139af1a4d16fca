"""What keeps ``nbtrack ui`` safe to expose: the token, the headers, CSRF.

For: three ASGI middlewares and the CSRF check the edit routes call.

* ``TokenGate``: with a token configured, a request carries it in the
  ``token`` query parameter (a link printed by ``nbtrack ui``), the
  ``nbtrack_ui_token_<port>`` cookie, or an ``Authorization: token ...``
  header; it is compared in constant time. A query token that matches is
  moved into an HttpOnly, SameSite=Lax cookie and the browser is redirected
  to the same URL without it, so shared links never carry it. A wrong query
  token is refused even when the cookie is right (a wrong credential is
  never ignored). Anything else: 403 and one line of text, whatever the
  path (pages, static files, the API alike). The cookie's name carries the
  server's port: two servers on one machine keep their own cookies (a
  browser sends a host's cookies to every port of it). SameSite=Lax, not
  Strict: a teammate following a shared link from a chat or a mail client
  must arrive with the cookie.
* ``HostGate``: the Host header must name this server (defeats DNS
  rebinding against a loopback server that has no token).
* ``SecurityHeaders``: a strict Content-Security-Policy on every response
  (scripts, styles, images and fetches from this origin only; no inline
  script; no frames), ``nosniff``, no referrer (a token never leaks through it).
* ``check_csrf``: a POST must come from this origin (its ``Origin`` header,
  when the browser sends one) and carry the CSRF token of the page that made
  it in the ``x-csrf-token`` header (a header, which a form on another site
  cannot set; the token is never read from the body).

Not for: deciding who may edit (``--allow-edit`` decides whether the edit
routes exist at all).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlencode

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "CSP",
    "CSRF_HEADER",
    "TOKEN_COOKIE",
    "HostGate",
    "SecurityHeaders",
    "TokenGate",
    "check_csrf",
    "cookie_name",
    "csrf_token",
    "new_token",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_COOKIE = "nbtrack_ui_token"  # + "_<port>": see cookie_name
CSRF_HEADER = "x-csrf-token"

#: nothing but this origin: no inline script, no remote anything, no frames
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
#: only where the browser heeds it (https, loopback): on plain http to another host
#: Chromium ignores it and says so in the console of every page
_COOP = (b"cross-origin-opener-policy", b"same-origin")
_TRUSTWORTHY_HOSTS = ("localhost", "127.0.0.1", "[::1]")

#: the secret the CSRF tokens of this process are made from
_CSRF_KEY = secrets.token_bytes(32)


def new_token() -> str:
    """A fresh random token (48 hex digits)."""
    return secrets.token_hex(24)


class SecurityHeaders:
    """Adds the security headers to every HTTP response."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host").lower()
        name = host if host.endswith("]") else host.rsplit(":", 1)[0]
        trustworthy = scope.get("scheme") == "https" or name in _TRUSTWORTHY_HOSTS
        headers = (*_HEADERS, _COOP) if trustworthy else _HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostGate:
    """Refuses (403) a request whose Host header is not one of *allowed_hosts* (if any)."""

    def __init__(self, app: App, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.allowed:
            host = _header(scope, b"host").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if host not in self.allowed and name not in self.allowed:
                await _forbidden(send, _BAD_HOST)
                return
        await self.app(scope, receive, send)


class TokenGate:
    """Lets through only requests that carry *token* (everything, if *token* is None)."""

    def __init__(self, app: App, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or self.token is None:
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websocket route exists; refuse before any app code
            await send({"type": "websocket.close", "code": 1008})
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == "token"]
        if given:
            if not all(_same(g, self.token) for g in given):
                await _forbidden(send, _NO_TOKEN)
                return
            await _into_cookie(scope, send, [(k, v) for k, v in query if k != "token"], self.token)
            return
        if _same(_cookie(scope, cookie_name(scope)), self.token) or _same(
            _authorization(scope), self.token
        ):
            await self.app(scope, receive, send)
            return
        await _forbidden(send, _NO_TOKEN)


def cookie_name(scope: Scope) -> str:
    """The token cookie of the server that got *scope* (its port in the name)."""
    server = scope.get("server")
    port = server[1] if server and len(server) > 1 and server[1] else None
    return f"{TOKEN_COOKIE}_{port}" if port else TOKEN_COOKIE


def csrf_token(token: str | None) -> str:
    """The CSRF token pages put into their forms (tied to the app's access token)."""
    return hmac.new(_CSRF_KEY, (token or "").encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, token: str | None) -> bool:
    """Whether a POST carries this app's CSRF token (header) and comes from this origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    if request.headers.get("sec-fetch-site") not in (None, "same-origin"):
        return False
    return _same(request.headers.get(CSRF_HEADER), csrf_token(token))


def _same(given: str | None, expected: str) -> bool:
    if not given:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _cookie(scope: Scope, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _authorization(scope: Scope) -> str | None:
    scheme, _, value = _header(scope, b"authorization").partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else None


_NO_TOKEN = b"Forbidden: this server needs its token; open the link it printed.\n"
_BAD_HOST = b"Forbidden: this server does not answer to that host name.\n"


async def _forbidden(send: Send, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _into_cookie(scope: Scope, send: Send, rest: list[tuple[str, str]], token: str) -> None:
    """Redirect to the same URL without ``token``, the token now in an HttpOnly cookie."""
    # one leading slash: "//host/..." would send the browser to another site
    location = "/" + quote(scope.get("root_path", "") + scope["path"]).lstrip("/")
    if rest:
        location += "?" + urlencode(rest)
    secure = "; Secure" if scope.get("scheme") == "https" else ""
    cookie = f"{cookie_name(scope)}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1", "replace")),
                (b"set-cookie", cookie.encode()),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
