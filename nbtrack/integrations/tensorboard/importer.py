"""``import_logdir``: each run folder of a TensorBoard log directory becomes one run.

For: ``nbtrack import tensorboard LOGDIR`` and Python callers::

    from nbtrack.integrations.tensorboard.importer import import_logdir
    result = import_logdir("runs/")        # ImportResult: runs created/updated, points

A run folder is a directory holding event files (names containing
``tfevents``, TensorBoard's own test), the log directory itself included. Its
run is named by the folder's path relative to LOGDIR and tagged ``source =
tensorboard``, ``tensorboard.run`` (that path) and ``tensorboard.logdir``.
Scalars become metric points (step and wall time kept), hparams params
(source ``file``), images artifacts at their step, text summaries the run's
note (``textnote``); the run starts and ends at its events' wall times and is
FINISHED.

Re-importing changes nothing, and a grown folder adds only its new events:
each file a run took is a data ref (``resume``) that says how far it was
read and what those bytes hash to. A folder is the same run again when the
run's refs name one of its files (a logdir moved or copied elsewhere still
matches: file names carry the writer's time, host and process). While a run
is being written it carries the tag ``tensorboard.pending``; an import that
finds it there (the last one was interrupted) drops every point, image and
text entry the run already holds instead of adding it twice.

A file that is cut short or damaged keeps its readable events and is named
in one warning (``TensorBoardImportWarning``, or one line of the CLI).
Not for: decoding events (``events``), the framing (``records``), writing
event files (``export``).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.events import Decoded, Image, Text, media_type
from nbtrack.integrations.tensorboard.reading import FileRead
from nbtrack.integrations.tensorboard.resume import latest_refs, new_ref, start_of
from nbtrack.integrations.tensorboard.textnote import merge_texts
from nbtrack.model import Artifact, DataRef, Param, ParamSource, Run, RunStatus
from nbtrack.redact import redact_mapping, redact_text

if TYPE_CHECKING:
    from nbtrack.store.base import MetricRow, Store

__all__ = [
    "FileProblem",
    "ImportResult",
    "RunImport",
    "TensorBoardImportWarning",
    "import_logdir",
    "run_folders",
]

SOURCE = "tensorboard"
TAG_RUN, TAG_LOGDIR, TAG_PENDING = "tensorboard.run", "tensorboard.logdir", "tensorboard.pending"
#: points per store transaction
BATCH = 100_000


class TensorBoardImportWarning(UserWarning):
    """An event file was cut short or damaged; its readable events were imported."""


@dataclass(frozen=True)
class FileProblem:
    """One event file that could not be read whole, and what was wrong with it."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class RunImport:
    """What the import did to the run of one folder (would do, in a dry run)."""

    folder: str  # relative to LOGDIR, "." for LOGDIR itself
    name: str
    run_id: str | None  # None for a run a dry run would create
    created: bool
    points: int = 0
    params: int = 0
    images: int = 0
    texts: int = 0

    @property
    def changed(self) -> bool:
        return self.created or bool(self.points or self.params or self.images or self.texts)


@dataclass(frozen=True)
class ImportResult:
    logdir: Path
    runs: tuple[RunImport, ...]
    problems: tuple[FileProblem, ...] = ()
    #: summary values of kinds the import leaves out (histograms, audio, ...), by kind
    skipped: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def created(self) -> int:
        return sum(r.created for r in self.runs)

    @property
    def updated(self) -> int:
        return sum(r.changed and not r.created for r in self.runs)

    @property
    def unchanged(self) -> int:
        return sum(not r.changed for r in self.runs)

    @property
    def points(self) -> int:
        return sum(r.points for r in self.runs)


def _is_event_file(name: str) -> bool:
    return "tfevents" in name


def run_folders(logdir: Path) -> list[tuple[Path, list[Path]]]:
    """Every folder under *logdir* (itself too) holding event files, with them, by name."""
    found = []
    for folder, dirs, files in os.walk(logdir):
        dirs.sort()
        events = sorted(f for f in files if _is_event_file(f))
        if events:
            found.append((Path(folder), [Path(folder) / f for f in events]))
    return found


def _check_logdir(path: str | os.PathLike[str]) -> Path:
    logdir = Path(path)
    if not logdir.exists():
        raise UsageError(f"The log folder {logdir} does not exist.")
    if not logdir.is_dir():
        raise UsageError(
            f"{logdir} is a file, not a log folder; give the folder that holds the event files."
        )
    return logdir.resolve()


def import_logdir(
    path: str | os.PathLike[str],
    *,
    store: Store | None = None,
    name_prefix: str = "",
    dry_run: bool = False,
    warn: bool = True,
    redact: bool | None = None,
) -> ImportResult:
    """Import every run folder of the TensorBoard log directory *path* into the run store.

    *store* defaults to the project's (``open_store()``); *name_prefix* goes
    before each run's name; *dry_run* reads everything and writes nothing.
    Each file that could not be read whole is one ``TensorBoardImportWarning``
    (``warn=False``: only in ``ImportResult.problems``). *redact* (default: the
    ``redact_secrets`` setting) stores hparams named like secrets as ``***``.
    """
    logdir = _check_logdir(path)
    folders = run_folders(logdir)
    if not folders:
        raise UsageError(
            f"No TensorBoard event files (names containing 'tfevents') under {logdir}."
        )
    if redact is None:
        from nbtrack.config import load_settings

        redact = load_settings().redact_secrets
    owned = store is None
    if store is None:
        from nbtrack.store import open_store

        store = open_store()
    try:
        known = _imported_runs(store)
        runs, problems, skipped = [], [], Counter[str]()
        for folder, files in folders:
            rel = folder.relative_to(logdir).as_posix()
            name = name_prefix + (rel if rel != "." else logdir.name)
            match = _match(store, known.get(rel, []), files, logdir)
            job = _FolderImport(store, rel, name, logdir, match, redact=redact, dry_run=dry_run)
            runs.append(job.run(files))
            problems.extend(job.problems)
            skipped.update(job.skipped)
    finally:
        if owned:
            store.close()
    if warn:
        for problem in problems:
            warnings.warn(str(problem), TensorBoardImportWarning, stacklevel=2)
    return ImportResult(logdir, tuple(runs), tuple(problems), dict(skipped), dry_run)


def _imported_runs(store: Store) -> dict[str, list[str]]:
    """Ids of the runs imported from TensorBoard, by their folder tag, newest first."""
    by_folder: dict[str, list[str]] = {}
    for run in store.list_runs(where=f"tags.source = {SOURCE}"):
        folder = run.tags.get(TAG_RUN)
        if folder is not None:
            by_folder.setdefault(folder, []).append(run.id)
    return by_folder


def _match(store: Store, candidates: list[str], files: list[Path], logdir: Path) -> Run | None:
    """The run an earlier import made of this folder: it took one of the folder's files
    (or it was left pending by an interrupted import of this logdir)."""
    names = {f.name for f in files}
    for run_id in candidates:
        run = store.get_run(run_id)
        if names & set(latest_refs(run.data)):
            return run
        if TAG_PENDING in run.tags and run.tags.get(TAG_LOGDIR) == str(logdir):
            return run
    return None


def _artifact_name(tag: str, extension: str) -> str:
    """A tag as an artifact name: a relative path of plain parts, with the image's extension."""
    parts = [p for p in tag.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    cleaned = "/".join("".join(c if c.isprintable() else "_" for c in p) for p in parts)
    return (cleaned or "image") + extension


class _FolderImport:
    """The import of one run folder into its run (created on the first write)."""

    def __init__(
        self, store: Store, rel: str, name: str, logdir: Path, match: Run | None,
        *, redact: bool, dry_run: bool,
    ) -> None:  # fmt: skip
        self.store, self.rel, self.name, self.logdir = store, rel, name, logdir
        self.run_before = match
        self.run_id = match.id if match is not None else None
        self.redact, self.dry_run = redact, dry_run
        self.refs = latest_refs(match.data) if match is not None else {}
        #: an earlier import of this run was interrupted: drop what the run already holds
        self.pending = match is not None and TAG_PENDING in match.tags
        self.marked = False  # the pending tag is set by this import
        self.problems: list[FileProblem] = []
        self.skipped: Counter[str] = Counter()
        self.params: dict[str, object] = {}
        self.texts: list[Text] = []
        self.new_refs: list[DataRef] = []
        self.points = self.images = 0
        self.first: float | None = None
        self.last: float | None = None
        self._seen_points: dict[str, set[tuple[int | None, float]]] = {}
        self._seen_images: set[tuple[str, int | None, str]] | None = None

    def run(self, files: Sequence[Path]) -> RunImport:
        for path in files:
            self._file(path)
        return self._finish()

    # -- reading ---------------------------------------------------------------
    def _file(self, path: Path) -> None:
        try:
            start = start_of(path, self.refs.get(path.name))
        except OSError as error:
            self.problems.append(FileProblem(path, f"cannot be read ({error.strerror})."))
            return
        if start.unchanged:
            return
        dedupe = start.dedupe or self.pending
        read = FileRead(path, start.offset, start.plugins, start.hasher)
        unreadable = 0
        try:
            for chunk in read.chunks():
                self._flush(chunk, dedupe)
                self.params.update(chunk.params)
                self.texts.extend(chunk.texts)
                self.skipped.update(chunk.skipped)
                unreadable += chunk.unreadable
        except OSError as error:
            self.problems.append(FileProblem(path, f"cannot be read ({error.strerror})."))
            return
        self._problem(read, unreadable)
        if read.end > start.offset or start.dedupe:
            self.new_refs.append(new_ref(start, read.end, read.plugins, time.time()))

    def _problem(self, reader: FileRead, unreadable: int) -> None:
        parts = []
        if reader.truncated:
            parts.append(
                f"ends in {reader.problem} (cut short, or still being written); the whole "
                "records before it were imported and a later import resumes there"
            )
        elif reader.problem is not None:
            parts.append(
                f"has {reader.problem}; the records before it were imported, the rest of "
                "the file was not read"
            )
        if unreadable:
            parts.append(f"{unreadable} record(s) are not TensorBoard events and were skipped")
        if parts:
            self.problems.append(FileProblem(reader.path, "; ".join(parts) + "."))

    # -- writing ---------------------------------------------------------------
    def _times(self, decoded: Decoded) -> None:
        if decoded.first_time is not None and (
            self.first is None or decoded.first_time < self.first
        ):
            self.first = decoded.first_time
        if decoded.last_time is not None and (self.last is None or decoded.last_time > self.last):
            self.last = decoded.last_time

    def _ensure_run(self) -> str | None:
        """The run's id, creating the run (marked pending) or marking it pending first."""
        if self.dry_run:
            return self.run_id
        if self.run_id is None:
            self.run_id = uuid.uuid4().hex
            tags = {"source": SOURCE, TAG_RUN: self.rel, TAG_LOGDIR: str(self.logdir)}
            self.store.create_run(
                run_id=self.run_id,
                name=self.name,
                started_at=self.first if self.first is not None else time.time(),
                tags={**tags, TAG_PENDING: "1"},
            )
            self.marked = True
        elif not self.marked:
            self.store.set_tags(self.run_id, {TAG_PENDING: "1"})
            self.marked = True
        return self.run_id

    def _flush(self, decoded: Decoded, dedupe: bool) -> None:
        self._times(decoded)
        rows, images = decoded.rows, decoded.images
        if dedupe and self.run_before is not None:
            rows = self._new_points(rows)
        if rows:
            run_id = self._ensure_run()
            if run_id is not None:
                for at in range(0, len(rows), BATCH):
                    self.store.log_metrics(run_id, rows[at : at + BATCH])
            self.points += len(rows)
        for image in images:
            self._image(image, dedupe)

    def _new_points(self, rows: list[MetricRow]) -> list[MetricRow]:
        """*rows* without the points (key, step, wall time) the run already holds."""
        assert self.run_before is not None
        fresh = []
        for row in rows:
            seen = self._seen_points.get(row[0])
            if seen is None:
                arrays = self.store.metric_arrays(self.run_before.id, row[0])
                steps, has = arrays.steps.tolist(), arrays.has_step.tolist()
                seen = self._seen_points[row[0]] = {
                    (s if h else None, t)
                    for s, h, t in zip(steps, has, arrays.timestamps.tolist(), strict=True)
                }
            if (row[2], row[3]) not in seen:
                seen.add((row[2], row[3]))
                fresh.append(row)
        return fresh

    def _image(self, image: Image, dedupe: bool) -> None:
        media, extension = media_type(image.data)
        name = _artifact_name(image.tag, extension)
        digest = f"sha256:{hashlib.sha256(image.data).hexdigest()}"
        if dedupe and self.run_before is not None:
            if self._seen_images is None:
                self._seen_images = {(a.name, a.step, a.digest) for a in self.run_before.artifacts}
            if (name, image.step, digest) in self._seen_images:
                return
            self._seen_images.add((name, image.step, digest))
        self.images += 1
        run_id = self._ensure_run()
        if run_id is None:
            return
        stored, size, uri = self.store.put_artifact_bytes(image.data)
        # a store keeps steps from 0 (TensorBoard's global steps); an image below is the run's
        step = image.step if image.step >= 0 else None
        artifact = Artifact(name, stored, size, media, uri, logged_at=image.wall_time, step=step)
        self.store.add_artifact(run_id, artifact)

    def _finish(self) -> RunImport:
        """Params, the note, the file refs, the end time; then the run is no longer pending."""
        before = self.run_before
        params = redact_mapping(self.params) if self.redact else dict(self.params)
        if before is not None:
            held = {p.key: p.value for p in before.params}
            params = {k: v for k, v in params.items() if k not in held or held[k] != v}
        texts = self.texts
        if self.redact:
            texts = [t._replace(text=redact_text(t.text)) for t in texts]
        note, text_count = merge_texts(before.note if before is not None else None, texts)
        created = before is None
        changed = created or params or note is not None or self.new_refs
        if not self.dry_run and (changed or self.marked or self.pending):
            run_id = self._ensure_run()
            assert run_id is not None
            if params:
                self.store.log_params(
                    run_id, [Param(k, v, ParamSource.FILE) for k, v in params.items()]
                )
            if note is not None:
                self.store.set_note(run_id, note)
            for ref in self.new_refs:
                self.store.add_data_ref(run_id, ref)
            ended = max(self.last or 0.0, (before.ended_at or 0.0) if before else 0.0)
            self.store.end_run(run_id, RunStatus.FINISHED, ended or time.time())
            self.store.remove_tags(run_id, [TAG_PENDING])
        return RunImport(
            folder=self.rel,
            name=self.name if before is None else (before.name or self.name),
            run_id=self.run_id,
            created=created,
            points=self.points,
            params=len(params),
            images=self.images,
            texts=text_count,
        )
