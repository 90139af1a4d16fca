"""Files and directories as data refs: their content hash, or what DVC or Git LFS recorded.

For: :func:`hash_data` (the version of a file or directory a run read,
streaming, never more than it must: a ``.dvc`` sidecar or ``dvc.lock`` output
gives DVC's md5, a Git LFS pointer its oid, anything else is hashed with
sha256) and :func:`project_relative_path` (how a path is shown and stored).

Not for: URIs of versioned systems (``nbtrack.data.refs`` sends those to
their own modules) or writing anything to the store.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.model import DataRef

__all__ = ["SKIP_DIRS", "hash_data", "project_relative_path", "sha256_file"]

#: directory names never hashed as part of a data directory
SKIP_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".dvc"})

_LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"
_LFS_MAX_POINTER = 1024  # the spec caps pointer files below 1024 bytes


def project_relative_path(path: Path, root: Path) -> str:
    """*path* relative to the project root when inside it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return absolute.as_posix()


def sha256_file(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size of the bytes read (hashlib's own loop, no GIL held)."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
        return digest.hexdigest(), fh.tell()


def _lfs_pointer(path: Path) -> tuple[str, int] | None:
    """(oid, size) if *path* is a Git LFS pointer file, else None."""
    try:
        if path.stat().st_size >= _LFS_MAX_POINTER:
            return None
        with path.open("rb") as fh:
            head = fh.read(_LFS_MAX_POINTER)
    except OSError:
        return None
    if not head.startswith(_LFS_HEADER):
        return None
    fields: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").splitlines()[1:]:
        key, _, value = line.partition(" ")
        fields[key] = value.strip()
    oid = fields.get("oid", "")
    if not oid.startswith("sha256:") or not fields.get("size", "").isdigit():
        return None
    return oid.removeprefix("sha256:"), int(fields["size"])


def _load_yaml(path: Path) -> Any:
    import yaml  # only DVC users pay for it

    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path} cannot be read as DVC YAML: {exc}.") from None


def _dvc_out(entry: Any) -> tuple[str, int | None, dict[str, Any]] | None:
    """(md5, size, detail) of one DVC ``outs`` entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("md5"), str):
        return None
    md5 = entry["md5"]
    detail: dict[str, Any] = {}
    if md5.endswith(".dir"):
        md5 = md5.removesuffix(".dir")
        detail["directory"] = True
    if isinstance(entry.get("nfiles"), int):
        detail["files"] = entry["nfiles"]
    size = entry.get("size")
    return md5, size if isinstance(size, int) else None, detail


def _dvc_version(path: Path, root: Path) -> tuple[str, int | None, dict[str, Any]] | None:
    """What DVC recorded for *path*: its ``.dvc`` sidecar, or a ``dvc.lock`` output."""
    sidecar = path.with_name(path.name + ".dvc")
    if sidecar.is_file():
        data = _load_yaml(sidecar)
        outs = data.get("outs") if isinstance(data, dict) else None
        for entry in outs if isinstance(outs, list) else []:
            found = _dvc_out(entry)
            if found:
                found[2]["source"] = project_relative_path(sidecar, root)
                return found
    target = path.absolute()
    top = root.absolute()
    for folder in target.parents:
        lock = folder / "dvc.lock"
        if lock.is_file():
            data = _load_yaml(lock)
            stages = data.get("stages") if isinstance(data, dict) else None
            for stage_name, stage in (stages or {}).items() if isinstance(stages, dict) else ():
                outs = stage.get("outs") if isinstance(stage, dict) else None
                for entry in outs if isinstance(outs, list) else []:
                    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                        continue
                    if (folder / entry["path"]).absolute() != target:
                        continue
                    found = _dvc_out(entry)
                    if found:
                        found[2].update(source=project_relative_path(lock, root), stage=stage_name)
                        return found
        if folder == top:
            break
    return None


def _hash_directory(path: Path) -> tuple[str, int, int]:
    """(digest, total size, file count) over sorted relative paths and file digests."""
    files: list[tuple[str, Path]] = []
    for folder, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        base = Path(folder)
        for name in filenames:
            full = base / name
            if full.is_file():
                files.append((full.relative_to(path).as_posix(), full))
    files.sort()
    outer = hashlib.sha256()
    total = 0
    for rel, full in files:
        digest, size = sha256_file(full)
        total += size
        outer.update(f"{rel}\0{digest}\n".encode())
    return outer.hexdigest(), total, len(files)


def hash_data(path: str | os.PathLike[str], *, root: Path | None = None) -> DataRef:
    """The version of a data file or directory, without reading more than it must.

    A ``.dvc`` sidecar or ``dvc.lock`` output gives kind ``"dvc"`` and the md5
    DVC recorded; a Git LFS pointer gives kind ``"git-lfs"`` and its oid; a file
    otherwise is hashed (sha256, 1 MiB chunks) and a directory digested over
    its sorted relative paths and file digests.
    """
    given = Path(path).expanduser()
    root = root or Path.cwd()
    shown = project_relative_path(given, root)
    if not given.exists():
        dvc = _dvc_version(given, root)
        if dvc is None:
            raise UsageError(f"cannot track data {os.fspath(path)!r}: no such file or directory.")
    else:
        dvc = _dvc_version(given, root)
    if dvc is not None:
        md5, size, detail = dvc
        return DataRef(path=shown, kind="dvc", digest=f"md5:{md5}", size=size, detail=detail)
    try:
        if given.is_dir():
            digest, size, count = _hash_directory(given)
            return DataRef(
                path=shown,
                kind="directory",
                digest=f"sha256:{digest}",
                size=size,
                detail={"files": count},
            )
        pointer = _lfs_pointer(given)
        if pointer is not None:
            oid, size = pointer
            return DataRef(path=shown, kind="git-lfs", digest=f"sha256:{oid}", size=size)
        digest, size = sha256_file(given)
    except OSError as exc:
        raise UsageError(f"cannot read data {os.fspath(path)!r}: {exc.strerror or exc}.") from None
    return DataRef(path=shown, kind="file", digest=f"sha256:{digest}", size=size)
