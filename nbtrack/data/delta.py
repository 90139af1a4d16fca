"""Delta Lake tables as data refs: the table version a run read, and that commit's time.

For: :func:`is_table` (a local directory holding ``_delta_log/``) and
:func:`resolve` (a table's version now, or a pinned one, as a ``DataRef`` of
kind ``delta`` and digest ``delta:<version>``), through the ``deltalake``
package (delta-rs; the ``nbtrack[delta]`` extra).

Not for: tables on object stores (``s3://`` goes to ``nbtrack.data.s3``),
reading a table's rows, or pinning by timestamp.

Why these calls: loading ``DeltaTable(path)`` is the one honest way to learn
a version (deltalake replays the log from its last checkpoint and checks it),
and since deltalake 1.0 a load always carries the active files' list
(``without_files`` is ignored), so their count and bytes come with it. The
commit's time and operation are read from that version's own commit file
(``_delta_log/<version>.json``, its ``commitInfo`` action, as the Delta
protocol defines it), not from ``DeltaTable.history()``: deltalake 1.6 counts
history from the latest commit even on a table loaded at an older version,
so it would give a pinned version another commit's time.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

if TYPE_CHECKING:
    from deltalake import DeltaTable

__all__ = ["INSTALL_HINT", "is_table", "resolve"]

#: what an unresolved ref's reason tells the user to run
INSTALL_HINT = "pip install 'nbtrack[delta]'"

_LOG = "_delta_log"
# a commit file, or a checkpoint (single-part, multi-part or v2 UUID-named)
_COMMIT = re.compile(r"^(\d{20})\.json$")
_CHECKPOINT = re.compile(r"^(\d{20})\.checkpoint(?:\.[^/]+)?\.(?:parquet|json)$")


def is_table(path: Path) -> bool:
    """Whether *path* is the root of a Delta Lake table (it holds ``_delta_log/``)."""
    return (path / _LOG).is_dir()


def _pinned(version: str | int | None, shown: str) -> int | None:
    """*version* as a table version number, or a UsageError naming the table."""
    if version is None:
        return None
    text = str(version).strip()
    if isinstance(version, bool) or not text.isdigit():
        raise UsageError(
            f"cannot pin Delta table {shown!r} at version={version!r}: a table version is a"
            " whole number (0, 1, 2, ...)."
        )
    return int(text)


def _reason(exc: BaseException) -> str:
    """deltalake's message in one line: the first, without the Rust backtrace that follows."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text.removeprefix("Kernel error: ").removeprefix("Generic delta kernel error: ")


def _client() -> tuple[type[DeltaTable], type[Exception]]:
    """deltalake's table class and error root; Unreachable when the package is not installed."""
    from nbtrack.data.faults import Unreachable

    try:
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError
    except ImportError:
        raise Unreachable(f"the deltalake package is not installed ({INSTALL_HINT})") from None
    return DeltaTable, DeltaError


def _versions_kept(path: Path, latest: int) -> str:
    """The versions the log can still give, as ``first..latest``.

    Version 0 is readable while its commit file is kept; after a log cleanup
    the oldest checkpoint is the first version that can be rebuilt.
    """
    commits: list[int] = []
    checkpoints: list[int] = []
    try:
        names = [entry.name for entry in (path / _LOG).iterdir()]
    except OSError:
        names = []
    for name in names:
        if found := _COMMIT.match(name):
            commits.append(int(found.group(1)))
        elif found := _CHECKPOINT.match(name):
            checkpoints.append(int(found.group(1)))
    first = 0 if 0 in commits or not checkpoints else min(checkpoints)
    return f"{first}..{latest}"


def _open(path: Path, version: int | None, shown: str) -> DeltaTable:
    """The table at *version* (the latest when None), or one sentence on why it never loads."""
    table_class, delta_error = _client()
    location = str(path.absolute())
    try:
        return table_class(location, version=version)
    except (delta_error, OSError) as exc:
        failure = exc
    try:
        latest = table_class(location).version()
    except (delta_error, OSError) as exc:
        raise UsageError(
            f"cannot read Delta table {shown!r}: deltalake says {_reason(exc)}."
        ) from None
    kept = _versions_kept(path, latest)
    first = int(kept.partition("..")[0])
    if version is not None and version > latest:
        raise UsageError(f"Delta table {shown!r} has no version {version}: it has {kept}.")
    if version is not None and version < first:
        raise UsageError(
            f"Delta table {shown!r} no longer keeps version {version} (its log was cleaned up):"
            f" it has {kept}."
        )
    raise UsageError(
        f"cannot read version {version} of Delta table {shown!r}: deltalake says"
        f" {_reason(failure)}."
    )


def _commit_info(path: Path, version: int) -> dict[str, Any]:
    """The ``commitInfo`` action of *version*'s commit file; empty if it is gone or has none.

    Each line of a commit file is one action, a one-key object, so only the
    line naming ``commitInfo`` is parsed (``add`` lines carry statistics and
    can be long).
    """
    try:
        with (path / _LOG / f"{version:020d}.json").open(encoding="utf-8") as fh:
            for line in fh:
                if line.lstrip().startswith('{"commitInfo"'):
                    info = json.loads(line).get("commitInfo")
                    return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        pass
    return {}


def _commit_time(info: dict[str, Any]) -> str | None:
    """The commit's time, ISO 8601 in UTC (milliseconds), as the commit itself recorded it.

    A table with in-commit timestamps names its time in ``inCommitTimestamp``;
    otherwise ``timestamp`` is the writer's clock at the commit (epoch ms).
    """
    stamp = info.get("inCommitTimestamp", info.get("timestamp"))
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        return None
    moment = datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _file_sizes(table: DeltaTable) -> list[int]:
    """Bytes of each file of the loaded version (from the add actions deltalake already holds)."""
    column = table.get_add_actions().column("size_bytes")
    return [int(size) for size in column.to_pylist() if size is not None]


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    """The ref of the Delta table at *target*: its version now, or *version* pinned.

    ``digest`` is ``delta:<version>``; ``size`` the bytes of the version's
    files; ``detail`` the table id, the version, the commit's time
    (``committed_at``, ISO 8601 UTC) and operation, the file count, and
    ``pinned`` when a version was asked for.
    """
    from nbtrack.data.files import project_relative_path

    path = Path(target.removeprefix("file://")).expanduser()
    shown = project_relative_path(path, root)
    pinned = _pinned(version, shown)
    table = _open(path, pinned, shown)
    number = table.version()
    metadata = table.metadata()
    sizes = _file_sizes(table)
    detail: dict[str, JSONValue] = {"table_id": str(metadata.id), "version": number}
    if metadata.name:
        detail["name"] = metadata.name
    info = _commit_info(path, number)
    committed_at = _commit_time(info)
    if committed_at is not None:
        detail["committed_at"] = committed_at
    if isinstance(info.get("operation"), str):
        detail["operation"] = info["operation"]
    detail["files"] = len(sizes)
    if pinned is not None:
        detail["pinned"] = True
    return DataRef(
        path=shown,
        kind="delta",
        digest=f"delta:{number}",
        size=sum(sizes),
        detail=detail,
    )
