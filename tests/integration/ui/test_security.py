"""The token, the headers and the CSP with the real server and Debian's Chromium.

``nbtrack ui --host 0.0.0.0`` makes a token and prints a link carrying it:
the first visit with that link works and the address bar loses the token
(it is now an HttpOnly, SameSite cookie); a fresh browser without it gets
403 for pages and static files alike; a wrong token gets 403. The headers
are on every kind of response of the real server, and an inline script put
into a page is refused by the browser (the CSP at work).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import nbtrack.ui
from nbtrack.store import open_store
from nbtrack.ui.security import CSP
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

FORBIDDEN = "Forbidden: this server needs its token; open the link it printed."
#: the run page loads lane charts' charts.js/.css: 404s (console errors) until that
#: branch is merged; once they exist nothing is excused
NOT_YET = (
    ("charts.js", "charts.css", "404 (Not Found)")
    if not (Path(nbtrack.ui.__file__).parent / "static" / "charts.js").exists()
    else ()
)


def seed(url: str) -> str:
    store = open_store(url)
    run_id = add_run(store, "first", params={"lr": 0.1}, metrics={"loss": [1.0, 0.5]})
    store.close()
    return run_id


def reachable(url: str) -> str:
    """*url* as printed, or on 127.0.0.1 when this machine's name does not resolve."""
    parts = urlsplit(url)
    try:
        socket.getaddrinfo(parts.hostname, parts.port)
    except socket.gaierror:
        return url.replace(f"//{parts.hostname}:", "//127.0.0.1:", 1)
    return url


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    """(status, headers, body) of one request, errors included."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_off_loopback_the_printed_link_opens_once_then_the_cookie_carries_the_token(
    sqlite_url: str, chromium: Any, tmp_path: Path
) -> None:
    run_id = seed(sqlite_url)
    env = {"NBTRACK_UI_TOKEN": ""}
    with UiServer.start(sqlite_url, "--host", "0.0.0.0", cwd=tmp_path, env=env) as server:
        printed = reachable(server.url)
        token = printed.split("?token=", 1)[1]
        base = printed.split("?", 1)[0]
        port = urlsplit(base).port

        first = chromium.new_context(viewport={"width": 1280, "height": 900})
        try:
            watched = Watched.open(first, base)
            response = watched.page.goto(printed)
            assert response is not None
            assert response.status == 200
            assert watched.page.url == base  # the address bar lost the token
            assert token not in watched.page.content()
            assert watched.page.title() == "Runs · nbtrack"
            (cookie,) = first.cookies()
            assert cookie["name"] == f"nbtrack_ui_token_{port}"
            assert cookie["value"] == token
            assert cookie["httpOnly"] is True
            assert cookie["sameSite"] == "Lax"
            assert cookie["path"] == "/"
            # script cannot read it
            assert token not in watched.page.evaluate("document.cookie")
            # a shared link without the token works in the same browser
            shared = f"{base}runs/{run_id}"
            assert watched.page.goto(shared).status == 200
            assert watched.page.url == shared
            screenshot(watched.page, "security-first-visit-with-token")
            watched.assert_clean(allowed_errors=NOT_YET)
        finally:
            first.close()

        fresh = chromium.new_context()
        try:
            page = fresh.new_page()
            for path in ("", f"runs/{run_id}", "static/app.js", "static/app.css", "compare"):
                response = page.goto(base + path)
                assert response.status == 403, path
                assert page.inner_text("body").strip() == FORBIDDEN
            screenshot(page, "security-no-token-403")
            wrong = page.goto(base + "?token=" + "0" * 48)
            assert wrong.status == 403
            assert fresh.cookies() == []
        finally:
            fresh.close()


def test_the_security_headers_are_on_every_response_of_the_real_server(
    sqlite_url: str, tmp_path: Path
) -> None:
    seed(sqlite_url)
    token = "team-token-0123456789"
    env = {"NBTRACK_UI_TOKEN": token}
    with UiServer.start(sqlite_url, "--allow-edit", cwd=tmp_path, env=env) as server:
        base = server.base
        auth = {"authorization": f"token {token}"}
        cases = [
            ("GET", "", auth, 200, "text/html"),
            ("GET", "static/app.js", auth, 200, "javascript"),
            ("GET", "static/vendor/uplot/uPlot.min.css", auth, 200, "text/css"),
            ("POST", "api/runs/nope/rename", auth, 403, "application/json"),
            ("GET", "no/such/page", auth, 404, ""),
            ("GET", "", {}, 403, "text/plain"),
            ("GET", "static/app.js", {}, 403, "text/plain"),
        ]
        for method, path, headers, status, kind in cases:
            got, answer, _ = fetch(base + path, method, headers)
            assert got == status, (method, path)
            assert kind in answer["content-type"], (method, path)
            assert answer["content-security-policy"] == CSP, path
            assert answer["x-content-type-options"] == "nosniff", path
            assert answer["referrer-policy"] == "no-referrer", path
            assert answer["x-frame-options"] == "DENY", path


def test_an_inline_script_injected_into_a_page_is_refused_by_the_csp(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    seed(sqlite_url)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        assert watched.page.goto(server.url).status == 200
        outcome = watched.page.evaluate(
            """async () => {
                const violations = [];
                document.addEventListener("securitypolicyviolation",
                    (e) => violations.push(e.violatedDirective));
                window.ran = [];
                const script = document.createElement("script");
                script.textContent = "window.ran.push('inline script')";
                document.body.appendChild(script);
                const holder = document.createElement("div");
                holder.innerHTML = '<img src="/static/favicon.svg" onload="window.ran.push(1)">'
                    + '<img src="x" onerror="window.ran.push(2)">';
                document.body.appendChild(holder);
                const remote = document.createElement("script");
                remote.src = "https://cdn.example/evil.js";
                document.body.appendChild(remote);
                await new Promise((done) => setTimeout(done, 500));
                return { ran: window.ran, violations };
            }"""
        )
        assert outcome["ran"] == []
        assert "script-src-elem" in outcome["violations"]  # the inline and the remote script
        assert "script-src-attr" in outcome["violations"]  # onload/onerror handlers
        assert watched.dialogs == []
