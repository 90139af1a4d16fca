"""A run's artifacts read back: find one by name, load it as a Python object, copy it out.

For: ``nbtrack.load_artifact`` / ``nbtrack.artifact_path``, the ``nbtrack
artifacts`` command, and the series of one name that ``nbtrack show``, the
report and the UI page through. Everything reads through a ``Reader``.
Not for: storing artifacts (``nbtrack.tracking`` and the store do that).

A name logged more than once is one series (:func:`series`): a figure logged
every epoch with ``step=epoch`` keeps one artifact a step. A lookup by name
(:func:`find`) takes the series' last artifact: the highest step, or the last
one logged without a step when there is one (a final figure logged after the
epochs), which for a name never logged with a step is simply the last one
logged. With ``step=N`` it takes that step's (the last logged at N), and a step
the series does not have is one sentence naming the steps it has.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nbtrack.errors import StoreError, UsageError
from nbtrack.model import Artifact, Run
from nbtrack.tracking.checks import step_value

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader

__all__ = [
    "PICKLED",
    "TEXT",
    "ArtifactSeries",
    "copy_to",
    "find",
    "load",
    "local_path",
    "series",
    "steps_text",
    "verify",
    "write_to",
]

#: suffixes whose loading unpickles (and so runs code from the file)
PICKLED = frozenset({".pkl", ".pickle", ".joblib"})
#: suffixes read back as ``str``, beside every ``text/*`` media type
TEXT = frozenset(
    {".txt", ".md", ".log", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".py", ".sql", ".tsv",
     ".html", ".xml", ".svg", ".rst", ".tex"}
)  # fmt: skip


@dataclass(frozen=True)
class ArtifactSeries:
    """The artifacts of one run logged under one name, in series order.

    One artifact a step (the last logged at it), in step order, then the last
    one logged without a step, if any. A name logged once is a series of one.
    """

    name: str
    artifacts: tuple[Artifact, ...]

    @property
    def steps(self) -> tuple[int, ...]:
        """The steps the series has, in order (none for a name logged without a step)."""
        return tuple(a.step for a in self.artifacts if a.step is not None)

    @property
    def last(self) -> Artifact:
        """What a lookup by name alone finds."""
        return self.artifacts[-1]

    def at(self, step: int) -> Artifact | None:
        """The artifact of *step*, or None when the series has no such step."""
        return next((a for a in self.artifacts if a.step == step), None)

    def summary(self) -> str:
        """How many steps, from which to which: ``100 steps, 0..99`` ("" without steps)."""
        steps = self.steps
        if not steps:
            return ""
        span = str(steps[0]) if len(steps) == 1 else f"{steps[0]}..{steps[-1]}"
        text = f"{len(steps)} step{'' if len(steps) == 1 else 's'}, {span}"
        return text + (" and one without a step" if self.last.step is None else "")


def series(artifacts: Iterable[Artifact]) -> list[ArtifactSeries]:
    """A run's *artifacts* grouped by name, in the order each name was first logged."""
    logged: dict[str, list[Artifact]] = {}
    for artifact in artifacts:
        logged.setdefault(artifact.name, []).append(artifact)
    return [_series(name, records) for name, records in logged.items()]


def _series(name: str, records: list[Artifact]) -> ArtifactSeries:
    by_step = {a.step: a for a in records if a.step is not None}  # the last logged at each
    ordered = [by_step[step] for step in sorted(by_step)]
    unstepped = [a for a in records if a.step is None]
    return ArtifactSeries(name, tuple(ordered + unstepped[-1:]))


def steps_text(steps: Sequence[int], *, limit: int = 8) -> str:
    """*steps* (sorted) as runs of consecutive steps: ``0..9, 12, 15..20``.

    More than *limit* runs end with how many steps there are in all.

    >>> steps_text([0, 1, 2, 3, 7, 9, 10])
    '0..3, 7, 9..10'
    """
    runs: list[list[int]] = []
    for step in steps:
        if runs and step == runs[-1][1] + 1:
            runs[-1][1] = step
        else:
            runs.append([step, step])
    parts = [str(a) if a == b else f"{a}..{b}" for a, b in runs]
    if len(parts) > limit:
        return ", ".join(parts[: limit - 1]) + f", ... {parts[-1]} ({len(steps)} steps)"
    return ", ".join(parts)


def find(run: Run, name: str, step: int | None = None) -> Artifact:
    """The artifact called *name* (at *step*, else the series' last); one sentence if none is."""
    found = [a for a in run.artifacts if a.name == name]
    if not found:
        names = sorted({a.name for a in run.artifacts})
        have = "it has " + ", ".join(repr(n) for n in names) if names else "it has no artifacts"
        raise UsageError(f"Run {run.id[:12]} has no artifact {name!r}; {have}.")
    chosen = _series(name, found)
    if step is None:
        return chosen.last
    number = step_value(step)
    if isinstance(number, str):
        raise UsageError(f"Artifact {name!r} of run {run.id[:12]}: {number}")
    artifact = chosen.at(number)
    if artifact is not None:
        return artifact
    if not chosen.steps:
        raise UsageError(
            f"Artifact {name!r} of run {run.id[:12]} was logged without a step, so it has no"
            f" step {number}; leave the step out."
        )
    raise UsageError(
        f"Artifact {name!r} of run {run.id[:12]} has no step {number}; its steps are"
        f" {steps_text(chosen.steps)}."
    )


def local_path(reader: Reader, run: Run, name: str, step: int | None = None) -> Path:
    """Where the bytes of *run*'s artifact *name* are on this machine (checked to exist)."""
    return _local(reader, run, find(run, name, step))


def _local(reader: Reader, run: Run, artifact: Artifact) -> Path:
    name = artifact.name
    path = reader.artifact_path(artifact)
    if not path.is_file():
        raise StoreError(
            f"The bytes of artifact {name!r} of run {run.id[:12]} are missing from the "
            f"artifact store (expected at {path}).",
            uri=str(path),
        )
    return path


def load(
    reader: Reader, run: Run, name: str, *, step: int | None = None, allow_pickle: bool = False
) -> Any:
    """*run*'s artifact *name* (at *step*) as a Python object, by this module's docstring."""
    artifact = find(run, name, step)
    suffix = Path(name).suffix.lower()
    if suffix in PICKLED and not allow_pickle:
        raise UsageError(
            f"Artifact {name!r} of run {run.id[:12]} is a pickle, and unpickling runs code "
            "from the file; pass allow_pickle=True if you trust it, or use "
            "nbtrack.artifact_path() to get the file."
        )
    path = _local(reader, run, artifact)
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
    reader: Reader,
    run: Run,
    name: str,
    target: Path,
    *,
    step: int | None = None,
    force: bool = False,
) -> tuple[Artifact, Path]:
    """Copy artifact *name* of *run* to *target* (a file, or a folder to put it in).

    Refuses to overwrite an existing file unless *force*; the copy is written
    to a temporary file beside *target*, its digest checked, then renamed into
    place, so a failed copy leaves nothing half-written.
    """
    artifact = find(run, name, step)
    source = _local(reader, run, artifact)
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


def write_to(
    reader: Reader, run: Run, name: str, out: IO[bytes], *, step: int | None = None
) -> Artifact:
    """Write artifact *name*'s bytes to *out* (stdout), checking the digest as it goes.

    The digest is checked before a byte is written, so damaged bytes never reach *out*.
    """
    artifact = find(run, name, step)
    source = _local(reader, run, artifact)
    with open(source, "rb") as handle:
        verify(artifact, _chunks(handle))
        handle.seek(0)
        shutil.copyfileobj(handle, out, 1 << 20)
    return artifact
