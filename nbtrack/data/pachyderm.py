"""Pachyderm refs: ``pfs://[project/]repo@branch[/path]`` resolved to a finished commit.

For: :func:`resolve`, which asks pachd (through the ``pachyderm_sdk``
package, ``pip install 'nbtrack[pachyderm]'``) for the commit a branch head,
a commit id or ``branch=commit`` names now (``InspectCommit``), and with a
path, that file's or directory's size and hash in that commit
(``InspectFile``). The digest is ``pachyderm:<commit id>``.

Not for: reading the data, or Pachyderm pipelines (a pipeline's output is a
repo like any other: track its branch).

An open commit is not pinned: its files may still change until it is
finished, so a ref to one is recorded unresolved (one warning, the commit id
in the reason) rather than pretending to a version. The address is
``PACHD_ADDRESS`` (as pachctl reads it), else the active context of
pachctl's config (``~/.pachyderm/config.json``, or ``PACH_CONFIG``); the
token is the SDK's own (``PACH_PYTHON_AUTH_TOKEN``, or the context's session
token). None of them is stored.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nbtrack.config import mask_url
from nbtrack.data.faults import Unreachable
from nbtrack.data.timeout import network_timeout
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

__all__ = ["ADDRESS_ENV", "CONFIG_ENV", "PfsTarget", "parse", "resolve"]

#: pachd's address, as pachctl reads it (``grpc://host:30650``, ``grpcs://...``)
ADDRESS_ENV = "PACHD_ADDRESS"
#: where pachctl's config is, when not ``~/.pachyderm/config.json``
CONFIG_ENV = "PACH_CONFIG"
DEFAULT_CONFIG = "~/.pachyderm/config.json"

_URI = re.compile(
    r"^pfs://(?:(?P<project>[^/@]+)/)?(?P<repo>[^/@]+)@(?P<ref>[^/@]+)(?P<path>/[^@]*)?$"
)
_FORM = "pfs://[project/]repo@branch[/path] (or @commit, @branch=commit)"


@dataclass(frozen=True)
class PfsTarget:
    """A ``pfs://`` URI taken apart; *path* is ``None`` for the whole commit."""

    project: str
    repo: str
    ref: str
    path: str | None


def parse(target: str) -> PfsTarget:
    """The parts of a ``pfs://`` URI, or ``UsageError`` naming what is wrong.

    >>> parse("pfs://images@master/train").path
    '/train'
    """
    match = _URI.match(target)
    if match is None:
        raise UsageError(f"cannot track data {mask_url(target)!r}: a Pachyderm URI reads {_FORM}.")
    path = match["path"].rstrip("/") if match["path"] else None
    return PfsTarget(
        project=match["project"] or "default",
        repo=match["repo"],
        ref=match["ref"],
        path=path or None,
    )


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    """The finished commit a Pachyderm branch or commit names now (*version*: a commit id instead).

    ``UsageError`` for a malformed URI or a project, repo, branch, commit or
    path pachd does not have; :class:`~nbtrack.data.refs.Unreachable` when
    pachd cannot be reached, refuses the token, the commit is still open, or
    the SDK is not installed.
    """
    del root  # a URI is not relative to the project
    where = parse(target)
    shown = mask_url(target)
    try:
        import grpc
        from pachyderm_sdk.api import pfs
    except ImportError:
        raise Unreachable(
            "pachyderm_sdk is not installed, so pachd cannot be asked:"
            " pip install 'nbtrack[pachyderm]'"
        ) from None
    ref = str(version) if version is not None else where.ref
    try:
        commit = pfs.Commit.from_uri(f"{where.project}/{where.repo}@{ref}")
    except ValueError as exc:
        raise UsageError(f"cannot track data {shown!r}: {exc}.") from None
    stub, address = _stub()
    try:
        info = stub.inspect_commit(commit=commit)
        detail = _commit_detail(where, ref, info)
        if not info.is_set("finished"):
            raise Unreachable(
                f"commit {info.commit.id} of {where.project}/{where.repo}@{ref} is still open"
                " (not finished), so its content may change: track it once it is finished"
            )
        size: int | None = info.details.size_bytes if info.details.is_set("size_bytes") else None
        if where.path is not None:
            pinned = pfs.Commit.from_uri(f"{where.project}/{where.repo}@{info.commit.id}")
            file = stub.inspect_file(file=pfs.File(commit=pinned, path=where.path))
            size = int(file.size_bytes)
            detail.update(
                path=where.path,
                file_type=pfs.FileType(file.file_type).name.lower(),
                file_hash=bytes(file.hash).hex(),
                committed=_iso(file.committed),
            )
    except grpc.RpcError as exc:
        raise _error(exc, shown, address) from None
    except ConnectionError:  # the SDK's own word for "failed to connect to all addresses"
        raise Unreachable(f"pachd at {address} cannot be reached") from None
    return DataRef(
        path=shown,
        kind="pachyderm",
        digest=f"pachyderm:{info.commit.id}",
        size=size,
        detail=detail,
        logged_at=time.time(),
    )


def _stub() -> tuple[Any, str]:
    """The SDK's PFS stub on a channel whose calls time out, and the address it talks to."""
    import grpc
    from pachyderm_sdk import Client
    from pachyderm_sdk.api import pfs

    address = os.environ.get(ADDRESS_ENV)
    config = Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG).expanduser()
    try:
        if address:
            client = Client.from_pachd_address(address)
        elif config.is_file():
            client = Client.from_config(config)
        else:
            raise Unreachable(
                f"no Pachyderm address: set {ADDRESS_ENV} or run pachctl connect (no {config})"
            )
    except (ValueError, KeyError, OSError) as exc:
        source = ADDRESS_ENV if address else str(config)
        raise Unreachable(f"the Pachyderm address from {source} is not usable: {exc}") from None

    class _Deadline(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
        """The SDK's stubs take no timeout; every call here gets one."""

        def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
            # NBTRACK_DATA_TIMEOUT: a slower pachd is one that cannot answer now
            return continuation(details._replace(timeout=network_timeout()), request)

    # the client's channel carries the SDK's token metadata and error mapping
    channel = grpc.intercept_channel(client._channel, _Deadline())
    return pfs.ApiStub(channel), str(client.address)


def _error(exc: Any, shown: str, address: str) -> Exception:
    """A gRPC error as ours: pachd's NOT_FOUND is the user's to fix, the rest is for now."""
    import grpc

    code, said = exc.code(), exc.details()
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
        return UsageError(f"cannot track data {shown!r}: pachd says {said}.")
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        return Unreachable(
            f"pachd at {address} refused the request ({said}): log in with pachctl auth login"
            " or set PACH_PYTHON_AUTH_TOKEN"
        )
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return Unreachable(f"pachd at {address} cannot be reached (down, or no answer in time)")
    return Unreachable(f"pachd at {address} could not answer now: {code.name} {said}")


def _commit_detail(where: PfsTarget, ref: str, info: Any) -> dict[str, JSONValue]:
    detail: dict[str, JSONValue] = {
        "project": where.project,
        "repo": where.repo,
        "ref": ref,
        "commit": info.commit.id,
    }
    if info.commit.branch is not None and info.commit.branch.name:
        detail["branch"] = info.commit.branch.name
    detail["started"] = _iso(info.started) if info.is_set("started") else None
    detail["finished"] = _iso(info.finished) if info.is_set("finished") else None
    return detail


def _iso(value: datetime) -> str:
    return value.isoformat()
