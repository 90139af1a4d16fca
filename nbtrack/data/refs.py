"""A path or URI to a ``DataRef``: which kind it is, and its version now.

For: :func:`resolve`, the one entry point (``track_data`` calls it),
:func:`kind_of` (the kind a target would get, without resolving it),
:class:`Unreachable` (raised by a kind's resolver when its system cannot
answer now) and :class:`DataUnresolvedWarning`.

Not for: a kind's own API calls (its module) or the store.

Each kind's module has ``resolve(target, *, version, root) -> DataRef``: it
raises ``UsageError`` for a target that can never resolve (malformed, no such
table) and ``Unreachable`` for one that cannot resolve now; this module turns
the second into an unresolved ref and one warning, so a run never loses its
work for a server that is down.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from nbtrack.config import mask_url
from nbtrack.data.faults import Unreachable
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

__all__ = ["SCHEMES", "DataUnresolvedWarning", "Unreachable", "kind_of", "resolve"]

#: URI scheme -> the kind of ref it makes
SCHEMES: dict[str, str] = {
    "s3": "s3",
    "lakefs": "lakefs",
    "dolt": "dolt",
    "pfs": "pachyderm",
}

Resolver = Callable[..., DataRef]


class DataUnresolvedWarning(UserWarning):
    """A data ref was recorded as given: its system could not resolve it now."""


def _scheme(target: str) -> str | None:
    head, sep, _ = target.partition("://")
    if not sep or not head or not head.replace("+", "").replace("-", "").isalnum():
        return None
    return head.lower()


def kind_of(target: str | os.PathLike[str]) -> str:
    """The kind a target is tracked as (``file`` stands for any local path)."""
    text = os.fspath(target)
    scheme = _scheme(text)
    if scheme is None or scheme == "file":
        return "file"
    if scheme not in SCHEMES:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise UsageError(
            f"cannot track data {mask_url(text)!r}: nbtrack reads local paths and {known} URIs,"
            f" not {scheme}://."
        )
    return SCHEMES[scheme]


def _resolver(kind: str) -> Resolver:
    """The module of a kind, imported only when a ref of that kind is tracked."""
    if kind == "s3":
        from nbtrack.data import s3

        return s3.resolve
    if kind == "lakefs":
        from nbtrack.data import lakefs

        return lakefs.resolve
    if kind == "dolt":
        from nbtrack.data import dolt

        return dolt.resolve
    if kind == "pachyderm":
        from nbtrack.data import pachyderm

        return pachyderm.resolve
    if kind == "delta":
        from nbtrack.data import delta

        return delta.resolve
    raise AssertionError(f"no resolver for kind {kind!r}")


def _local(target: str, version: str | int | None, root: Path) -> DataRef:
    from nbtrack.data import files

    path = Path(target.removeprefix("file://")).expanduser()
    if version is not None:
        raise UsageError(
            f"cannot pin version={version!r} of {target!r}: a version is chosen for a Delta Lake"
            " table or a versioned system's URI; a file is tracked by its content."
        )
    return files.hash_data(path, root=root)


def resolve(
    target: str | os.PathLike[str],
    *,
    version: str | int | None = None,
    root: Path | None = None,
    stacklevel: int = 2,
) -> DataRef:
    """The ref of *target* (a path or URI) at its version now, or pinned at *version*.

    A target whose system cannot answer now comes back unresolved
    (``resolved=False``, empty digest, ``detail["reason"]``) after one
    :class:`DataUnresolvedWarning` (*stacklevel* as for ``warnings.warn``,
    counted from the caller of this function); so does one whose system
    answered with something that is not pinned (a kind's resolver returns
    it unresolved with the reason, e.g. a lakeFS branch with uncommitted
    changes at the path).
    """
    text = os.fspath(target)
    root = root or Path.cwd()
    kind = kind_of(text)
    if kind == "file":
        from nbtrack.data import delta

        local = Path(text.removeprefix("file://")).expanduser()
        if not delta.is_table(local):
            return _local(text, version, root)
        # a Delta table: its resolver may find deltalake missing, so it goes through the
        # same Unreachable handling as a URI's
        kind, text = "delta", os.fspath(local)
    try:
        ref = _resolver(kind)(text, version=version, root=root)
    except Unreachable as exc:
        if kind == "delta":  # a local table: shown as any local path is
            from nbtrack.data.files import project_relative_path

            shown = project_relative_path(Path(text), root)
        else:
            shown = mask_url(text)
        reason = str(exc).rstrip(".")
        detail: dict[str, JSONValue] = {"reason": reason}
        if version is not None:
            detail["version"] = str(version)
        ref = DataRef(
            path=shown,
            kind=kind,
            digest="",
            size=None,
            detail=detail,
            logged_at=time.time(),
            resolved=False,
        )
    if not ref.resolved:
        # a kind may also answer "not pinned" itself (a lakeFS branch with
        # uncommitted changes to the path): the user hears it the same way
        reason = str(ref.detail.get("reason", "")).rstrip(".") or "not pinned to a version"
        warnings.warn(
            f"nbtrack: data {ref.path!r} recorded unresolved (as given, not pinned to a version):"
            f" {reason}.",
            DataUnresolvedWarning,
            stacklevel=stacklevel + 1,
        )
    return ref
