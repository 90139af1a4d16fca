"""LateStore: a store that could not be reached when a run started.

For: letting ``Tracker.start_run`` begin a run while its store (a PostgreSQL
server that is down, say) cannot be reached. :class:`LateStore` is a
:class:`~nbtrack.store.base.Store` that opens the real store on first use and
tries again at every call until it answers; until then every call raises the
``StoreUnreachableError`` of the failed attempt, which the run's flusher
treats like any outage (keep, retry, warn, spill at the end).

Every ``Store`` method is the same method of the real store, opened first:
the forwarders are made from ``Store``'s own methods when this module is
imported, so a new store method needs no edit here. Written out below are
only the methods that do something else:

* ``put_artifact`` and ``put_artifact_bytes`` need the opened store (they
  write under its artifact root), so logging a file while the store has
  never been reached raises a ``StoreError`` saying the file was not stored;
  log it again once the store answers.
* ``close`` closes the real store if it was opened; afterwards every call
  raises ``StoreError`` ("is closed") instead of opening it again.

Not for: bad configuration. A malformed URL, a schema mismatch or a
read-only SQLite path fail at ``start_run`` as before; only a
``StoreUnreachableError`` starts a run late.
"""

from __future__ import annotations

import abc
import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.config import mask_url
from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.store.base import Store

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["FORWARDED", "LateStore"]


class LateStore(Store):
    """The store at *url*, opened on the first call that finds it reachable.

    The ``Store`` methods not defined here are set below the class (see
    :data:`FORWARDED`); mypy cannot see them, hence the
    ``type: ignore[abstract]`` where a ``LateStore`` is made.
    """

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.heartbeat_timeout = settings.heartbeat_timeout
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def opened(self) -> Store | None:
        """The real store once it has been reached, else None."""
        return self._store

    def _real(self) -> Store:
        """The real store, opened now if it was not yet; raises what opening raises."""
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                if self._closed:
                    raise StoreError(f"The store {self._masked()} is closed.", uri=self._masked())
                from nbtrack.store import open_store

                self._store = open_store(self.url, settings=self.settings)
            return self._store

    def _masked(self) -> str:
        return mask_url(self.url)

    # -- the methods that do not simply forward --------------------------------------
    def put_artifact(self, path: Path) -> tuple[str, int, str]:
        return self._artifact_store(path.name).put_artifact(path)

    def put_artifact_bytes(self, data: bytes) -> tuple[str, int, str]:
        return self._artifact_store("the figure").put_artifact_bytes(data)

    def _artifact_store(self, what: str) -> Store:
        try:
            return self._real()
        except StoreError as error:
            kind = StoreUnreachableError if isinstance(error, StoreUnreachableError) else StoreError
            raise kind(
                f"{what} was not stored: the store {self._masked()} has not been reachable"
                f" since the run started ({error}); log it again once the store answers.",
                uri=self._masked(),
            ) from error

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None:
            store.close()


def _forwarder(name: str) -> Callable[..., Any]:
    """A ``LateStore`` method that calls the method *name* of the real store."""

    def forward(self: LateStore, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._real(), name)(*args, **kwargs)

    # name, docstring and (through __wrapped__) signature of the Store method;
    # not its __dict__, which marks it abstract
    functools.update_wrapper(forward, getattr(Store, name), updated=())
    forward.__qualname__ = f"LateStore.{name}"
    forward.__module__ = __name__
    return forward


#: the public ``Store`` methods ``LateStore`` serves by forwarding (all it does not define)
FORWARDED = tuple(
    sorted(
        name
        for name, value in vars(Store).items()
        if callable(value) and not name.startswith("_") and name not in vars(LateStore)
    )
)
for _name in FORWARDED:
    setattr(LateStore, _name, _forwarder(_name))
del _name
# concrete from here on; mypy, which cannot see the forwarders, thinks otherwise
abc.update_abstractmethods(LateStore)  # type: ignore[type-abstract]
