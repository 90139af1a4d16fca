"""The real ``nbtrack ui`` server in a child process, and a real browser to open it.

``UiServer.start(store_url)`` runs ``python -m nbtrack ui --port 0`` (the
command a user types), reads the URL it prints, and stops it with SIGINT
(Ctrl-C) at the end. ``launch_chromium`` starts Debian's Chromium through
Playwright's Python package (its ``executable_path``: Playwright's own
browser download is never used). ``Watched`` is a page whose dialogs
(``alert``/``confirm``/``prompt``: what an XSS probe would open), console
errors and requests to other origins are recorded, so a test can assert
there were none. ``screenshot`` saves a PNG under ``.pytest-artifacts/ui/``
(ignored by git; CI keeps it as a test artifact) for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.browser import require_browser

__all__ = ["ARTIFACTS", "UiServer", "Watched", "chromium_browser", "launch_chromium", "screenshot"]

#: where UI tests leave their screenshots
ARTIFACTS = Path(__file__).resolve().parents[2] / ".pytest-artifacts" / "ui"
_URL = re.compile(r"serving on (?P<url>http://\S+)")
#: seconds the server may take to print its URL on a busy 2-core machine
START_TIMEOUT = 60


@dataclass
class UiServer:
    """A running ``nbtrack ui``."""

    process: subprocess.Popen[str]
    url: str  # as printed: with ?token=... when a token is required
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The URL without a query (``http://127.0.0.1:PORT/``)."""
        return self.url.split("?", 1)[0]

    @classmethod
    def start(
        cls,
        store_url: str,
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> UiServer:
        """``nbtrack ui --port 0 --store STORE_URL ARGS...``, once it is listening."""
        command = [sys.executable, "-m", "nbtrack", "ui", "--port", "0", "--store", store_url]
        process = subprocess.Popen(
            [*command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        lines: list[str] = []
        deadline = time.monotonic() + START_TIMEOUT
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            found = _URL.search(line)
            if found:
                return cls(process, found.group("url"), lines)
        process.kill()
        with process.stdout:
            rest = process.stdout.read()
        process.wait()
        raise AssertionError("nbtrack ui printed no URL:\n" + "\n".join(lines) + rest)

    def stop(self) -> str:
        """Ctrl-C, then what the server printed after its URL."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.stdout is not None
        with self.process.stdout:
            return self.process.stdout.read()

    def __enter__(self) -> UiServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, driven by Playwright (skip or fail as ``require_browser``)."""
    browser = require_browser()
    return playwright.chromium.launch(
        executable_path=browser.binary,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    )


@contextlib.contextmanager
def chromium_browser() -> Iterator[Any]:
    """A Playwright Chromium (``launch_chromium``) open for the ``with`` block, then closed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A Playwright page whose dialogs, console errors and foreign requests are recorded."""

    page: Any
    origin: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, context: Any, origin: str) -> Watched:
        page = context.new_page()
        watched = cls(page, origin.rstrip("/"))

        def on_dialog(dialog: Any) -> None:
            watched.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        def on_console(message: Any) -> None:
            if message.type == "error":
                watched.errors.append(message.text)

        def on_request(request: Any) -> None:
            url = request.url
            if not (url.startswith(watched.origin) or url.startswith(("data:", "blob:"))):
                watched.foreign.append(url)

        page.on("dialog", on_dialog)
        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.errors.append(str(error)))
        page.on("request", on_request)
        return watched

    def assert_clean(self, allowed_errors: Sequence[str] = ()) -> None:
        """No dialog opened, no script error, nothing asked of another origin."""
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        errors = [e for e in self.errors if not any(a in e for a in allowed_errors)]
        assert errors == [], f"console errors: {errors}"
        assert self.foreign == [], f"requests to other origins: {self.foreign}"


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG of *page* saved as ``.pytest-artifacts/ui/NAME.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000, f"screenshot {path} is empty"
    return path
