"""``UiConfig``: what ``nbtrack ui`` was started with.

For: passing the door's options to the app and its pages as one frozen value.
Not for: reading ``[tool.nbtrack]`` (``nbtrack.config`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "UiConfig"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5757


@dataclass(frozen=True)
class UiConfig:
    """The app's settings."""

    #: the run store's URL; None: the project's store
    store_url: str | None = None
    #: the token every request must carry (query, cookie or header); None: no token
    #: (only ever on loopback)
    token: str | None = None
    #: rename, tag, note and delete runs from the pages (POST with a CSRF check)
    allow_edit: bool = False
    #: the host names a request's Host header may carry (defence against DNS
    #: rebinding on loopback); empty: any
    allowed_hosts: tuple[str, ...] = ()
    #: the experiments the runs page lists when its URL names none (``?experiment=``);
    #: empty: every experiment
    experiments: tuple[str, ...] = ()
