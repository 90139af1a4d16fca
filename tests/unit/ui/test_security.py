"""The app's gates and headers through Starlette's TestClient over ``create_app``.

The token gate, the Host gate (DNS rebinding), the security headers on every
kind of response, the cookie a query token becomes. The real server and a
real browser check the same in tests/integration/ui/test_security.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.store import open_store
from nbtrack.ui.app import create_app
from nbtrack.ui.config import UiConfig
from nbtrack.ui.security import CSP
from nbtrack.ui.server import LOOPBACK_NAMES
from tests.helpers.comparison import add_run

TOKEN = "s3cret-token-0123456789abcdef"
BASE = "http://127.0.0.1:5757"
COOKIE = "nbtrack_ui_token_5757"


@pytest.fixture
def seeded(sqlite_url: str) -> str:
    store = open_store(sqlite_url)
    add_run(store, "first", params={"lr": 0.1}, metrics={"loss": [1.0, 0.5]})
    store.close()
    return sqlite_url


def client(url: str, **config: Any) -> Any:
    """A TestClient over ``create_app`` (Host 127.0.0.1:5757) of the store *url*."""
    from starlette.testclient import TestClient

    app = create_app(UiConfig(store_url=url, **config), Reader(open_store(url, create=False)))
    return TestClient(app, base_url=BASE, follow_redirects=False)


@pytest.fixture
def gated(seeded: str) -> Iterator[Any]:
    with client(seeded, token=TOKEN, allow_edit=True) as opened:
        yield opened


@pytest.fixture
def loopback(seeded: str) -> Iterator[Any]:
    with client(seeded, allowed_hosts=LOOPBACK_NAMES) as opened:
        yield opened


def assert_secure_headers(response: Any) -> None:
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_the_csp_allows_nothing_inline_and_no_other_origin() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no host
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    for remote in ("unsafe", "http", "*"):
        assert remote not in CSP


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),  # HTML
        ("GET", "/static/app.js", 200),  # a static file
        ("GET", "/static/vendor/uplot/uPlot.iife.min.js", 200),
        ("GET", "/static/nothing.js", 404),
        ("GET", "/no/such/page", 404),
        ("POST", "/api/runs/000000/rename", 403),  # JSON (CSRF refusal)
    ],
)
def test_every_response_carries_the_security_headers(
    gated: Any, method: str, path: str, status: int
) -> None:
    response = gated.request(method, path, headers={"authorization": f"token {TOKEN}"})
    assert response.status_code == status
    assert_secure_headers(response)


def test_a_refusal_of_the_token_gate_carries_them_too(gated: Any) -> None:
    response = gated.get("/")
    assert response.status_code == 403
    assert_secure_headers(response)


@pytest.mark.parametrize(
    "path", ["/", "/runs/000000", "/compare", "/static/app.js", "/api/series?run=x", "/favicon.ico"]
)
def test_without_the_token_everything_is_403_and_one_line(gated: Any, path: str) -> None:
    response = gated.get(path)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Forbidden: this server needs its token; open the link it printed.\n"


def test_a_post_without_the_token_is_refused_before_any_route(gated: Any) -> None:
    response = gated.post("/api/runs/000000/rename", data={"name": "x"})
    assert response.status_code == 403
    assert "token" in response.text


@pytest.mark.parametrize("token", ["wrong", TOKEN[:-1], TOKEN + "x", "", TOKEN.upper()])
def test_a_wrong_token_in_the_url_is_403(gated: Any, token: str) -> None:
    response = gated.get("/", params={"token": token})
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_the_right_token_becomes_an_httponly_samesite_cookie_and_leaves_the_url(
    gated: Any,
) -> None:
    response = gated.get("/?sort=name&token=" + TOKEN + "&sort=-started&where=params.lr+%3E+0")
    assert response.status_code == 303
    assert response.headers["location"] == "/?sort=name&sort=-started&where=params.lr+%3E+0"
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == f"{COOKIE}={TOKEN}"
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(parts)
    assert "Secure" not in parts  # plain http: a Secure cookie would never come back
    # the browser follows the redirect with the cookie: the page, no token in sight
    page = gated.get(response.headers["location"])
    assert page.status_code == 200
    assert TOKEN not in page.text


def test_the_cookie_alone_lets_every_kind_of_request_through(gated: Any) -> None:
    gated.cookies.set(COOKIE, TOKEN)
    assert gated.get("/").status_code == 200
    assert gated.get("/static/app.css").status_code == 200


def test_a_cookie_of_another_port_is_not_this_servers(gated: Any) -> None:
    gated.cookies.set("nbtrack_ui_token_5758", TOKEN)
    assert gated.get("/").status_code == 403


def test_a_wrong_cookie_is_403(gated: Any) -> None:
    gated.cookies.set(COOKIE, "wrong")
    assert gated.get("/").status_code == 403


def test_a_wrong_token_in_the_url_is_refused_even_with_a_good_cookie(gated: Any) -> None:
    gated.cookies.set(COOKIE, TOKEN)
    assert gated.get("/", params={"token": "wrong"}).status_code == 403
    # and two tokens, one of them wrong
    assert gated.get(f"/?token={TOKEN}&token=wrong").status_code == 403


def test_the_authorization_header_carries_the_token_for_scripts(gated: Any) -> None:
    assert gated.get("/", headers={"authorization": f"token {TOKEN}"}).status_code == 200
    assert gated.get("/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert gated.get("/", headers={"authorization": "token nope"}).status_code == 403


def test_the_redirect_never_leaves_this_server() -> None:
    # a raw path "//evil.example/x" (what `curl --path-as-is` sends) would be a link to
    # another site in a Location header; HTTP clients rewrite it, so drive the gate in ASGI
    import asyncio

    from nbtrack.ui.security import TokenGate

    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the gate let the request through")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "path": "//evil.example/x",
        "query_string": f"token={TOKEN}&a=1".encode(),
        "headers": [],
        "server": ("127.0.0.1", 5757),
        "scheme": "http",
    }
    asyncio.run(TokenGate(app, token=TOKEN)(scope, receive, send))
    assert sent[0]["status"] == 303
    headers = dict(sent[0]["headers"])
    assert headers[b"location"] == b"/evil.example/x?a=1"


def test_loopback_answers_its_own_names_only(loopback: Any) -> None:
    for host in ("127.0.0.1:5757", "localhost:5757", "localhost", "[::1]:5757"):
        assert loopback.get("/", headers={"host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:5757", "127.0.0.1.evil.example:5757", ""):
        response = loopback.get("/", headers={"host": host})
        assert response.status_code == 403, host
        assert response.text == "Forbidden: this server does not answer to that host name.\n"
        assert_secure_headers(response)


def test_loopback_without_a_token_needs_none(loopback: Any) -> None:
    response = loopback.get("/")
    assert response.status_code == 200
    assert "set-cookie" not in response.headers


def test_the_opener_policy_is_sent_only_where_a_browser_heeds_it(gated: Any) -> None:
    auth = {"authorization": f"token {TOKEN}"}
    assert gated.get("/", headers=auth).headers["cross-origin-opener-policy"] == "same-origin"
    # plain http to a machine name: Chromium ignores COOP there and logs an error per page
    remote = gated.get("/", headers={**auth, "host": "vm:5757"})
    assert remote.status_code == 200
    assert "cross-origin-opener-policy" not in remote.headers
    assert_secure_headers(remote)


def test_a_websocket_without_the_token_is_closed_before_any_route(gated: Any) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed, gated.websocket_connect("/"):
        pass
    assert closed.value.code == 1008  # policy violation


@pytest.mark.parametrize(
    "path",
    [
        "/static/..%2fsecurity.py",
        "/static/%2e%2e/security.py",
        "/static/..%2f..%2fui%2fsecurity.py",
        "/static/%2fetc%2fpasswd",
        "/static/vendor/..%2f..%2f__init__.py",
    ],
)
def test_no_static_path_reaches_a_file_outside_static(loopback: Any, path: str) -> None:
    response = loopback.get(path)
    assert response.status_code == 404, path
    assert "import" not in response.text
    assert "root:" not in response.text
