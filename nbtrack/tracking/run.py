"""ActiveRun: the run in progress in this process.

For: the calls a training loop and a notebook make on a live run. Metrics go
to a plain list (``log_metric`` validates cheaply and appends one tuple: well
under a microsecond); params, tags, data refs and artifacts are validated
here and queued; a :class:`~nbtrack.tracking.flusher.Flusher` thread writes
both to the store at least twice a second and beats the heartbeat. An
``ActiveRun`` is a context manager: leaving the block ends the run FINISHED,
FAILED when an exception escapes, KILLED on KeyboardInterrupt.

Not for: choosing which run is current (``api.Tracker`` does that), SQL, or
parsing notebook cells (the magics do that and call :meth:`ActiveRun.log_params`
with a :class:`~nbtrack.model.ParamSource`).
"""

from __future__ import annotations

import mimetypes
import numbers
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn

from nbtrack.errors import MetricError, RunError, UsageError
from nbtrack.model import Artifact, DataRef, Param, ParamSource, RunEvent, RunStatus, Source
from nbtrack.redact import redact_mapping, redact_source, redact_value
from nbtrack.store.base import MetricRow, Store
from nbtrack.tracking.checks import (
    STEP_MAX,
    STEP_MIN,
    artifact_step,
    check_artifact_name,
    check_png,
    figure_png,
    png_name,
    step_value,
)
from nbtrack.tracking.flusher import DEFAULT_INTERVAL, DEFAULT_MAX_PENDING, Flusher
from nbtrack.tracking.ledger import MAX_KEY_LENGTH, ParamLedger, bad_name
from nbtrack.tracking.spill import Op, spill_dir

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["DEFAULT_END_TIMEOUT", "ActiveRun"]

#: seconds ``end`` waits for an unreachable store before spilling to a file
DEFAULT_END_TIMEOUT = 10.0

_time = time.time


class _EndedBuffer(list[MetricRow]):
    """Stands in for the metric buffer once the run has ended."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def append(self, row: MetricRow, /) -> NoReturn:
        raise RunError(
            f"run {self.run_id[:8]} has ended; start a new one with nbtrack.start_run()"
            " (or log without one to start it implicitly)."
        )

    def extend(self, rows: Iterable[MetricRow], /) -> NoReturn:
        self.append(next(iter(rows), ("", 0.0, None, 0.0)))


def _metric_value(key: Any, value: Any) -> float:
    """The slow path of ``log_metric``: anything but an exact float."""
    kind = type(value)
    if kind is int:
        try:
            return float(value)
        except OverflowError:
            raise MetricError(
                f"metric {key!r}: the value, an int of {value.bit_length()} bits, is too large"
                " for a 64-bit float (what the store keeps).",
                key=str(key),
            ) from None
    if kind.__name__ in ("bool", "bool_") or isinstance(value, bool | str | bytes):
        pass  # True is a number to Python, never a metric to a human
    elif isinstance(value, numbers.Real) or hasattr(kind, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            pass
    raise MetricError(
        f"metric {key!r} must be a real number, not {value!r} ({kind.__name__}).",
        key=str(key),
    )


def _metric_key(key: Any) -> NoReturn:
    # the hot path let through only what fails its quick check
    problem = bad_name("metric", key) or f"metric names must be non-empty strings, not {key!r}."
    raise MetricError(problem, key=str(key))


def _metric_step(key: str, step: Any) -> int:
    number = step_value(step)
    if isinstance(number, str):
        raise MetricError(f"metric {key!r}: {number}", key=key)
    return number


class ActiveRun:
    """A run being recorded. Get one from ``nbtrack.start_run()``.

    >>> with nbtrack.start_run(name="baseline") as run:   # doctest: +SKIP
    ...     run.log_metric("loss", 0.25, step=1)
    """

    def __init__(
        self,
        *,
        run_id: str,
        name: str | None,
        store: Store,
        settings: Settings,
        started_at: float,
        on_end: Callable[[ActiveRun], None] | None = None,
        interval: float = DEFAULT_INTERVAL,
        max_pending: int = DEFAULT_MAX_PENDING,
        create: Op | None = None,
        outage: str | None = None,
    ) -> None:
        """*create*, when given, is the run's ``create_run`` the store could not
        take yet (*outage* says why): the flusher writes it first, or spills it."""
        self._buf: list[MetricRow] = []
        self.id = run_id
        self.name = name
        self.store = store
        self.settings = settings
        self.started_at = started_at
        self.status = RunStatus.RUNNING
        #: the note this run set (``set_note``); None until it sets one
        self.note: str | None = None
        #: spill files written because the store could not be reached
        self.spilled: list[Path] = []
        self._on_end = on_end
        self._lock = threading.RLock()
        self._ledger = ParamLedger(run_id, redact_secrets=settings.redact_secrets)
        self._flusher = Flusher(
            store,
            run_id,
            self._take_rows,
            buffered=lambda: len(self._buf),
            spill_folder=lambda: spill_dir(settings),
            interval=interval,
            max_pending=max_pending,
            create=create,
            outage=outage,
        )
        self._flusher.start()

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name else ""
        return f"<ActiveRun {self.id[:8]}{name} {self.status.value}>"

    # -- metrics: the hot path ---------------------------------------------------
    def log_metric(self, key: str, value: float, step: int | None = None) -> None:
        """Buffer one metric point; the flusher writes it within about a second.

        NaN and infinities are kept; bools, strings and other non-numbers raise
        ``MetricError`` naming the key and the value, and so does a step that
        is not an integer or does not fit 64 bits (signed), naming the step.
        """
        if type(value) is not float:
            value = _metric_value(key, value)
        if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH:
            _metric_key(key)
        if step is not None and (
            type(step) is not int or not -9223372036854775808 <= step <= 9223372036854775807
        ):  # literals, not STEP_MIN/MAX: a constant is cheaper than a global here
            step = _metric_step(key, step)
        # The row is built before the buffer is looked up, so that lookup and
        # append happen with no bytecode in between that could hand the GIL to
        # the flusher while it swaps the buffer for a fresh list.
        row = (key, value, step, _time())
        self._buf.append(row)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Buffer several metrics at one step and one timestamp."""
        if not isinstance(metrics, Mapping):
            raise MetricError(f"log_metrics takes a dict of name -> number, not {metrics!r}.")
        if step is not None and (type(step) is not int or not STEP_MIN <= step <= STEP_MAX):
            step = _metric_step(", ".join(map(str, metrics)), step)
        rows: list[MetricRow] = []
        now = _time()
        for key, value in metrics.items():
            if type(key) is not str or not 0 < len(key) <= MAX_KEY_LENGTH:
                _metric_key(key)
            number = value if type(value) is float else _metric_value(key, value)
            rows.append((key, number, step, now))
        self._buf.extend(rows)  # one C call: atomic with respect to the swap

    def _take_rows(self) -> list[MetricRow]:
        # Under the run's lock so that `end` cannot swap in the ended-buffer
        # between the check and the swap; appenders never take the lock.
        with self._lock:
            if type(self._buf) is not list:
                return []
            rows, self._buf = self._buf, []
        return rows

    # -- params ----------------------------------------------------------------------
    def log_param(
        self,
        key: str,
        value: Any,
        *,
        source: ParamSource = ParamSource.CODE,
        redact: bool | None = None,
    ) -> Param | None:
        """Record one param; the same value again is a no-op (returns None).

        A different value for a logged key raises ``ParamError`` naming both.
        *redact* False stores a secret-looking name in clear for this call.
        """
        done = self.log_params({key: value}, source=source, redact=redact)
        return done[0] if done else None

    def log_params(
        self,
        params: Mapping[str, Any],
        *,
        source: ParamSource = ParamSource.CODE,
        redact: bool | None = None,
    ) -> list[Param]:
        """Record several params at once: all of them, or (on a conflict) none."""
        if not isinstance(params, Mapping):
            raise UsageError(f"log_params takes a dict of name -> value, not {params!r}.")
        with self._lock:
            self._check_running()
            new = self._ledger.commit(self._ledger.prepare(params, source=source, redact=redact))
            if new:
                self._flusher.submit(Op("log_params", {"params": new}))
        return new

    def param(self, key: str) -> Param | None:
        """The param logged under *key* in this run (``"***"`` if redacted), or None."""
        return self._ledger.get(key)

    @property
    def params(self) -> dict[str, Param]:
        """Params logged so far, by key."""
        return self._ledger.as_dict()

    def param_differs(self, key: str, value: Any) -> bool:
        """True when *key* is logged with a value other than *value*.

        The magics use this to start a new run instead of raising when a
        parameters cell is re-run with new values.
        """
        return self._ledger.differs(key, value)

    # -- everything else a run records --------------------------------------------------
    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set (or replace) tags; values are stored as strings (secrets redacted)."""
        clean = normalise_tags(tags, redact=self.settings.redact_secrets)
        if clean:
            with self._lock:
                self._check_running()
                self._flusher.submit(Op("set_tags", {"tags": clean}))

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_name(self, name: str | None) -> None:
        with self._lock:
            self._check_running()
            self.name = name
            self._flusher.submit(Op("set_name", {"name": name}))

    def set_note(self, note: str | None) -> None:
        """Set the run's free-text note (None clears it): the note ``nbtrack note``
        edits; ``SummaryWriter.add_text`` adds its entries to it."""
        with self._lock:
            self._check_running()
            self.note = note
            self._flusher.submit(Op("set_note", {"note": note}))

    def set_source(self, source: Source) -> None:
        """Record the notebook (or script) path and its text snapshot (secrets redacted)."""
        if self.settings.redact_secrets:
            source = redact_source(source)
        with self._lock:
            self._check_running()
            self._flusher.submit(Op("set_source", {"source": source}))

    def add_event(self, kind: str, **detail: Any) -> None:
        """Note something that happened to the run (a cell error, a re-run...).

        Secrets in *detail* are redacted like a param's (an exception's
        message may hold a URL with its password).
        """
        if self.settings.redact_secrets:
            detail = redact_mapping(detail)
        with self._lock:
            self._check_running()
            event = RunEvent(kind=kind, timestamp=_time(), detail=detail)
            self._flusher.submit(Op("add_event", {"event": event}))

    def track_data(
        self, target: str | os.PathLike[str], *, version: str | int | None = None
    ) -> DataRef:
        """Record the version of a dataset the run read (see ``nbtrack.data.refs.resolve``).

        A system that cannot answer now gives an unresolved ref and one
        ``DataUnresolvedWarning``; the ref is recorded either way.
        """
        from nbtrack.data.refs import resolve  # subprocess, clients & co. only when used

        self._check_running()
        found = resolve(target, version=version, root=self.settings.root, stacklevel=3)
        ref = replace(found, logged_at=_time())
        with self._lock:
            self._check_running()
            self._flusher.submit(Op("add_data_ref", {"ref": ref}))
        return ref

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> Artifact:
        """Copy a file into the store's artifact root and attach it to the run."""
        self._check_running()
        file = Path(path).expanduser()
        if not file.is_file():
            what = "a directory" if file.is_dir() else "missing"
            raise UsageError(f"cannot log artifact {os.fspath(path)!r}: it is {what}; give a file.")
        name = file.name if name is None else name
        check_artifact_name(name)
        digest, size, uri = self.store.put_artifact(file)
        media = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return self._attach(Artifact(name, digest, size, media, uri, _time()))

    def log_figure(self, figure: Any, name: str, *, step: int | None = None) -> Artifact:
        """Store a matplotlib figure (anything with ``savefig``) as a PNG artifact.

        With *step* (an epoch), each step keeps its own image: the figures of one
        name are a series that ``nbtrack show``, the report and the UI page through.
        """
        self._check_running()
        check_artifact_name(name)
        step = artifact_step(name, step)
        return self._image(figure_png(figure, name), name, step)

    def log_image(self, png: bytes, name: str, *, step: int | None = None) -> Artifact:
        """Store the bytes of a PNG file as an image artifact, at *step* if given.

        For an image already encoded (TensorBoard's image summaries, a PNG a
        plotting library wrote): the bytes must start with the PNG signature.
        The name gets ``.png`` unless it ends so, like :meth:`log_figure`'s.
        """
        self._check_running()
        check_artifact_name(name)
        step = artifact_step(name, step)
        return self._image(check_png(png, name), name, step)

    def _image(self, png: bytes, name: str, step: int | None) -> Artifact:
        digest, size, uri = self.store.put_artifact_bytes(png)
        return self._attach(Artifact(png_name(name), digest, size, "image/png", uri, _time(), step))

    def _attach(self, artifact: Artifact) -> Artifact:
        with self._lock:
            self._check_running()
            self._flusher.submit(Op("add_artifact", {"artifact": artifact}))
        return artifact

    def add_data_ref(self, ref: DataRef) -> DataRef:
        """Record a data ref made elsewhere (the magics' ``config`` refs of param files)."""
        with self._lock:
            self._check_running()
            self._flusher.submit(Op("add_data_ref", {"ref": ref}))
        return ref

    # -- life ---------------------------------------------------------------------------
    def flush(self, timeout: float = 30.0) -> bool:
        """Write everything buffered now; True when the store took it all."""
        if self.status is not RunStatus.RUNNING:
            return not self._flusher.spilled
        return self._flusher.flush(timeout)

    def end(
        self, status: RunStatus | str = RunStatus.FINISHED, *, timeout: float = DEFAULT_END_TIMEOUT
    ) -> None:
        """Flush, record *status* and the end time; a second call does nothing.

        If the store stays unreachable for *timeout* seconds, what is left is
        written to a spill file named in a ``StoreOutageWarning``.
        """
        final = _terminal_status(status)
        with self._lock:
            if self.status is not RunStatus.RUNNING:
                return
            self.status = final
            rows = self._take_rows()
            self._buf = _EndedBuffer(self.id)
        try:
            self._flusher.add_rows(rows)
            self._flusher.close(final, _time(), timeout)
            self.spilled = list(self._flusher.spilled)
        finally:
            if self._on_end is not None:
                self._on_end(self)

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.status is not RunStatus.RUNNING:
            return
        status = status_for_exception(exc)
        if exc is not None and status is RunStatus.FAILED:
            self.add_event("exception", type=type(exc).__name__, message=str(exc)[:2000])
        self.end(status)

    def _check_running(self) -> None:
        if self.status is not RunStatus.RUNNING:
            raise RunError(
                f"run {self.id[:8]} has ended ({self.status.value}); start a new one with"
                " nbtrack.start_run()."
            )


def status_for_exception(exc: BaseException | None) -> RunStatus:
    """FINISHED without an exception (or on ``sys.exit(0)``), KILLED on Ctrl-C, else FAILED."""
    if exc is None:
        return RunStatus.FINISHED
    if isinstance(exc, KeyboardInterrupt):
        return RunStatus.KILLED
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return RunStatus.FINISHED
    return RunStatus.FAILED


def _terminal_status(status: RunStatus | str) -> RunStatus:
    try:
        final = RunStatus(status.upper() if isinstance(status, str) else status)
    except ValueError:
        final = RunStatus.CRASHED  # rejected just below, with the list of choices
    if final in (RunStatus.RUNNING, RunStatus.CRASHED):
        raise UsageError(
            f"a run cannot be ended as {status!r}; use FINISHED, FAILED or KILLED."
        ) from None
    return final


def normalise_tags(tags: Mapping[str, Any] | None, *, redact: bool = True) -> dict[str, str]:
    """Tags as ``{str: str}``; a non-string or empty name is a ``UsageError``.

    With *redact*, a tag named like a secret is ``"***"`` and a URL in a
    value loses its credentials (:func:`nbtrack.redact.redact_value`).
    """
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise UsageError(f"tags must be a dict of name -> value, not {tags!r}.")
    out: dict[str, str] = {}
    for key, value in tags.items():
        problem = bad_name("tag", key)
        if problem:
            raise UsageError(problem)
        text = value if isinstance(value, str) else str(value)
        out[key] = str(redact_value(key, text)) if redact else text
    return out
