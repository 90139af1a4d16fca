"""Reach a Dask scheduler and check its workers before anything is sent.

For: :func:`connect` (a ``distributed.Client`` on the scheduler at
``--dask ADDRESS``, every failure one sentence naming the address) and
:func:`check_workers` (at least one worker, each with nbtrack installed at
this very version, so a task never meets another nbtrack's values).
Not for: sending work (:mod:`nbtrack.cluster.tasks`).
"""

from __future__ import annotations

import os
from typing import Any

from nbtrack._version import __version__
from nbtrack.envvars import DASK_TIMEOUT_ENV
from nbtrack.errors import ClusterError, ConfigError

__all__ = ["DEFAULT_TIMEOUT", "check_workers", "connect", "dask_timeout", "distributed"]

#: seconds to wait for the scheduler to answer, and again for a first worker
DEFAULT_TIMEOUT = 10.0

_INSTALL = "pip install 'nbtrack[dask]'"


def dask_timeout() -> float:
    """``NBTRACK_DASK_TIMEOUT`` in seconds, or :data:`DEFAULT_TIMEOUT`."""
    raw = os.environ.get(DASK_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise ConfigError(
            f"{DASK_TIMEOUT_ENV}={raw!r} must be a positive number of seconds.",
            key=DASK_TIMEOUT_ENV,
        )
    return value


def distributed(address: str = "") -> Any:
    """The ``distributed`` module (untyped, hence Any); ClusterError naming the extra if missing."""
    try:
        import distributed as module
    except ImportError:
        where = f"--dask {address} needs" if address else "--dask needs"
        raise ClusterError(
            f"{where} Dask distributed, which is not installed: {_INSTALL}.", address=address
        ) from None
    return module


def connect(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` of the scheduler at *address*; else one sentence (ClusterError)."""
    if not address.strip():
        raise ClusterError("--dask needs a scheduler address, e.g. tcp://host:8786.")
    dd = distributed(address)
    _check_scheme(address)
    wait = dask_timeout() if timeout is None else timeout

    base: type[Any] = dd.Client

    class _Client(base):  # type: ignore[misc]
        def __del__(self) -> None:
            # one that failed to connect would wait 20 s at exit to close a loop already gone
            if self.status == "running":
                super().__del__()

    try:
        # our own event loop thread; not the default client of this process
        client = _Client(address, timeout=wait, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"No Dask scheduler answered at {address} within {wait:g} s ({_reason(exc)}).",
            address=address,
        ) from None
    except (ValueError, TypeError) as exc:
        raise ClusterError(
            f"--dask {address!r} is not a scheduler address like tcp://host:8786 ({_reason(exc)}).",
            address=address,
        ) from None
    return client


def _check_scheme(address: str) -> None:
    comm: Any = distributed(address).comm
    try:
        scheme, _ = comm.parse_address(address)
        comm.registry.get_backend(scheme)
    except (ValueError, TypeError):
        raise ClusterError(
            f"--dask {address!r} is not a scheduler address like tcp://host:8786.",
            address=address,
        ) from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()).rstrip(".")
    return text[:200] or type(exc).__name__


def check_workers(client: Any, address: str, timeout: float | None = None) -> list[str]:
    """The workers' addresses; ClusterError when there are none or one runs another nbtrack."""
    wait = dask_timeout() if timeout is None else timeout
    try:
        client.wait_for_workers(1, timeout=wait)
    except (OSError, TimeoutError):
        raise ClusterError(
            f"The Dask scheduler at {address} has no workers (waited {wait:g} s);"
            f" start some with `dask worker {address}`.",
            address=address,
        ) from None
    versions = client.get_versions(check=False, packages=["nbtrack"])
    workers: dict[str, dict[str, object]] = versions.get("workers") or {}
    for worker, info in sorted(workers.items()):
        packages = info.get("packages") if isinstance(info, dict) else None
        found = packages.get("nbtrack") if isinstance(packages, dict) else None
        if found is None:
            raise ClusterError(
                f"The Dask worker {worker} of {address} cannot import nbtrack;"
                f" install nbtrack {__version__} there ({_INSTALL}).",
                address=address,
            )
        if found != __version__:
            raise ClusterError(
                f"The Dask worker {worker} of {address} runs nbtrack {found}, this client"
                f" {__version__}; install the same version on both.",
                address=address,
            )
    if not workers:
        raise ClusterError(f"The Dask scheduler at {address} has no workers.", address=address)
    return sorted(workers)
