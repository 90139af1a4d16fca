"""A run's artifacts read back: find one by name, load it as a Python object, copy it out.

For: ``nbtrack.load_artifact`` / ``nbtrack.artifact_path`` and the
``nbtrack artifacts`` command. Everything reads through a ``Reader``.
Not for: storing artifacts (``nbtrack.tracking`` and the store do that).

What :func:`load` returns, by the artifact's name (its suffix, any case):

* ``.json`` -> the parsed value; ``.csv`` / ``.parquet`` -> a pandas DataFrame;
  ``.npy`` -> a numpy array (object arrays refused: they unpickle);
* ``.pkl`` / ``.pickle`` / ``.joblib`` -> the unpickled object, only with
  ``allow_pickle=True``: unpickling runs code from the file, so it must be
  asked for by name;
* text (``.txt``, ``.md``, ``.log``, ``.yaml``, ``.toml``, ``.py``, ... or a
  ``text/*`` media type) -> ``str``;
* anything else (images, archives, models) -> the local ``Path`` of the bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nbtrack.errors import StoreError, UsageError
from nbtrack.model import Artifact, Run

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader

__all__ = ["PICKLED", "TEXT", "copy_to", "find", "load", "local_path", "verify", "write_to"]

#: suffixes whose loading unpickles (and so runs code from the file)
PICKLED = frozenset({".pkl", ".pickle", ".joblib"})
#: suffixes read back as ``str``, beside every ``text/*`` media type
TEXT = frozenset(
    {".txt", ".md", ".log", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".py", ".sql", ".tsv",
     ".html", ".xml", ".svg", ".rst", ".tex"}
)  # fmt: skip


def find(run: Run, name: str) -> Artifact:
    """The artifact called *name* (the last one logged under it); one sentence if none is."""
    found = [a for a in run.artifacts if a.name == name]
    if found:
        return found[-1]
    names = sorted({a.name for a in run.artifacts})
    have = "it has " + ", ".join(repr(n) for n in names) if names else "it has no artifacts"
    raise UsageError(f"Run {run.id[:12]} has no artifact {name!r}; {have}.")


def local_path(reader: Reader, run: Run, name: str) -> Path:
    """Where the bytes of *run*'s artifact *name* are on this machine (checked to exist)."""
    artifact = find(run, name)
    path = reader.artifact_path(artifact)
    if not path.is_file():
        raise StoreError(
            f"The bytes of artifact {name!r} of run {run.id[:12]} are missing from the "
            f"artifact store (expected at {path}).",
            uri=str(path),
        )
    return path


def load(reader: Reader, run: Run, name: str, *, allow_pickle: bool = False) -> Any:
    """*run*'s artifact *name* as a Python object, by the rules of this module's docstring."""
    artifact = find(run, name)
    suffix = Path(name).suffix.lower()
    if suffix in PICKLED and not allow_pickle:
        raise UsageError(
            f"Artifact {name!r} of run {run.id[:12]} is a pickle, and unpickling runs code "
            "from the file; pass allow_pickle=True if you trust it, or use "
            "nbtrack.artifact_path() to get the file."
        )
    path = local_path(reader, run, name)
    if suffix == ".json":
        import json

        return json.loads(path.read_text(encoding="utf-8"))
    if suffix in (".csv", ".parquet"):
        import pandas as pd

        return pd.read_csv(path) if suffix == ".csv" else _parquet(path, name)
    if suffix == ".npy":
        import numpy as np

        try:
            return np.load(path, allow_pickle=False)
        except ValueError as error:  # an object array: loading it would unpickle
            raise UsageError(
                f"Artifact {name!r} of run {run.id[:12]} cannot be loaded without "
                f"unpickling ({error}); use nbtrack.artifact_path() and numpy.load."
            ) from None
    if suffix in PICKLED:
        return _unpickle(path, suffix)
    if suffix in TEXT or artifact.media_type.startswith("text/"):
        return path.read_text(encoding="utf-8", errors="replace")
    return path


def _parquet(path: Path, name: str) -> Any:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError as error:
        raise UsageError(
            f"Reading the parquet artifact {name!r} needs pyarrow (pip install pyarrow): {error}"
        ) from None


def _unpickle(path: Path, suffix: str) -> Any:
    if suffix == ".joblib":
        try:
            import joblib  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError:
            raise UsageError(f"Loading {path.name} needs joblib (pip install joblib).") from None
        return joblib.load(path)
    import pickle

    with open(path, "rb") as handle:
        return pickle.load(handle)


def verify(artifact: Artifact, chunks: Iterable[bytes]) -> None:
    """Check *chunks* hash to the artifact's recorded digest; ``StoreError`` otherwise."""
    algorithm, _, expected = artifact.digest.partition(":")
    if algorithm != "sha256":
        return
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    if digest.hexdigest() != expected:
        raise StoreError(
            f"The stored bytes of artifact {artifact.name!r} do not match its digest "
            f"{artifact.digest} (got sha256:{digest.hexdigest()}); the artifact store is damaged."
        )


def _chunks(handle: IO[bytes]) -> Iterable[bytes]:
    while chunk := handle.read(1 << 20):
        yield chunk


def copy_to(
    reader: Reader, run: Run, name: str, target: Path, *, force: bool = False
) -> tuple[Artifact, Path]:
    """Copy artifact *name* of *run* to *target* (a file, or a folder to put it in).

    Refuses to overwrite an existing file unless *force*; the copy is written
    to a temporary file beside *target*, its digest checked, then renamed into
    place, so a failed copy leaves nothing half-written.
    """
    artifact = find(run, name)
    source = local_path(reader, run, name)
    if target.is_dir():
        target = target / Path(artifact.name).name
    if target.exists() and not force:
        raise UsageError(f"{target} exists; pass --force to overwrite it.")
    if not target.parent.is_dir():
        raise UsageError(f"Cannot write {target}: the folder {target.parent} does not exist.")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as handle:
            shutil.copyfileobj(handle, out, 1 << 20)
        with open(tmp, "rb") as written:
            verify(artifact, _chunks(written))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return artifact, target


def write_to(reader: Reader, run: Run, name: str, out: IO[bytes]) -> Artifact:
    """Write artifact *name*'s bytes to *out* (stdout), checking the digest as it goes.

    The digest is checked before a byte is written, so damaged bytes never reach *out*.
    """
    artifact = find(run, name)
    source = local_path(reader, run, name)
    with open(source, "rb") as handle:
        verify(artifact, _chunks(handle))
        handle.seek(0)
        shutil.copyfileobj(handle, out, 1 << 20)
    return artifact
