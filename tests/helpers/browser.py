"""A real browser for the tests: Debian's headless Chromium on a file:// page.

``Browser.find()`` returns the machine's ``chromium`` (``.ci/run`` installs it);
without one a test is skipped, except with ``CI=true`` where that is a
failure, as for PostgreSQL: CI must open the pages for real.

:meth:`Browser.load` opens a page the way a reader does and returns what the
page became (:class:`PageLoad`): the DOM after its scripts ran
(``--dump-dom``), the console messages, and every URL the page asked the
network for. The requests come from Chromium's own NetLog
(``--log-net-log``), so nothing has to be served to see them, and a
``--host-resolver-rules`` map answers every host name with "not found", so
no request leaves the machine while the test watches. The browser's own
background traffic (which has no page as its initiator) is left out.
:meth:`Browser.screenshot` writes a PNG of the page.

Each call starts a fresh browser with its own profile directory, so nothing
(cache, cookies) carries over between pages.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Browser", "PageLoad", "require_browser"]

#: names Debian and other distributions give the binary
_NAMES = ("chromium", "chromium-browser")
#: seconds one page may take (a cold start on a busy 2-core machine takes ~5)
TIMEOUT = 120
#: what a page's console line looks like in Chromium's log on stderr
_CONSOLE = re.compile(r':INFO:CONSOLE[^\]]*\] "(?P<text>.*)", source: ')

_FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    # every host name resolves to nothing: a request is seen in the NetLog, never sent
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


@dataclass(frozen=True)
class PageLoad:
    """What a page became in the browser."""

    dom: str  # the serialized DOM after scripts ran
    requests: tuple[str, ...]  # URLs the page asked the network for, in order
    console: tuple[str, ...]  # the page's console messages (CSP refusals among them)


class Browser:
    """Headless Chromium at *binary*."""

    def __init__(self, binary: str) -> None:
        self.binary = binary

    @classmethod
    def find(cls) -> Browser | None:
        """The machine's Chromium, or None."""
        for name in _NAMES:
            found = shutil.which(name)
            if found:
                return cls(found)
        return None

    def version(self) -> str:
        done = subprocess.run(
            [self.binary, "--version"], capture_output=True, text=True, timeout=60, check=True
        )
        return done.stdout.strip()

    def load(self, page: Path, *, width: int = 1280, height: int = 900) -> PageLoad:
        """Open *page* (a local file); its DOM after scripts, network requests and console."""
        with tempfile.TemporaryDirectory(prefix="nbtrack-chromium-") as tmp:
            netlog = Path(tmp) / "netlog.json"
            done = self._run(
                tmp,
                f"--window-size={width},{height}",
                f"--log-net-log={netlog}",
                "--enable-logging=stderr",
                "--v=0",
                "--dump-dom",
                page.resolve().as_uri(),
            )
            requests = page_requests(json.loads(netlog.read_text(encoding="utf-8")))
        console = tuple(m.group("text") for m in _CONSOLE.finditer(done.stderr))
        return PageLoad(dom=done.stdout, requests=requests, console=console)

    def screenshot(self, page: Path, png: Path, *, width: int = 1280, height: int = 2400) -> Path:
        """A PNG of *page* at *width* x *height* CSS pixels, written to *png*."""
        with tempfile.TemporaryDirectory(prefix="nbtrack-chromium-") as tmp:
            self._run(
                tmp,
                f"--window-size={width},{height}",
                f"--screenshot={png.resolve()}",
                page.resolve().as_uri(),
            )
        if not png.is_file():
            raise AssertionError(f"chromium wrote no screenshot of {page} to {png}")
        return png

    def _run(self, profile: str, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [self.binary, *_FLAGS, f"--user-data-dir={profile}/profile", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env={**os.environ, "HOME": profile},  # no ~/.config/chromium shared between tests
            cwd=profile,
        )
        if done.returncode != 0:
            tail = "\n".join(done.stderr.splitlines()[-20:])
            raise AssertionError(f"chromium exited {done.returncode}:\n{tail}")
        return done


def page_requests(netlog: dict[str, object]) -> tuple[str, ...]:
    """The URLs a page (not the browser itself) asked for, from a NetLog's events.

    A request a document started names that document as its initiator; the
    browser's own background requests have "not an origin" there.
    """
    constants = netlog["constants"]
    assert isinstance(constants, dict)
    start_job = constants["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls: list[str] = []
    events = netlog.get("events") or []
    assert isinstance(events, list)
    for event in events:
        params = event.get("params") or {}
        if event.get("type") != start_job or "url" not in params:
            continue
        if params.get("initiator", "not an origin") == "not an origin":
            continue
        urls.append(str(params["url"]))
    return tuple(urls)


def require_browser() -> Browser:
    """The machine's Chromium; skip the test without one, fail it when ``CI=true``."""
    browser = Browser.find()
    if browser is None:
        reason = f"no Chromium on PATH (looked for {', '.join(_NAMES)}; apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return browser
