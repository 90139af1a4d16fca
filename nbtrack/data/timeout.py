"""How long a kind's resolver waits for its system: :func:`network_timeout`.

For: the seconds one network request of a resolver (lakeFS, S3, ...) may
take, ``NBTRACK_DATA_TIMEOUT`` or :data:`DEFAULT_TIMEOUT`. A server that is
down or hung must cost a notebook cell seconds, not a client library's
default minute, before the ref is recorded unresolved.

Not for: retries (each client keeps its own, kept few) or the store's timeouts.
"""

from __future__ import annotations

import os

from nbtrack.envvars import DATA_TIMEOUT_ENV
from nbtrack.errors import UsageError

__all__ = ["DEFAULT_TIMEOUT", "network_timeout"]

#: seconds one request may take when the variable is not set
DEFAULT_TIMEOUT = 5.0


def network_timeout() -> float:
    """Seconds a resolver gives one network request (``NBTRACK_DATA_TIMEOUT``, else the default)."""
    raw = os.environ.get(DATA_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise UsageError(f"{DATA_TIMEOUT_ENV}={raw!r} is not a number of seconds above 0.")
    return seconds
