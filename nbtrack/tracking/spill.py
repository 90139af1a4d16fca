"""Writes a run could not hand to its store: as values, as a spill file, replayed.

For: the small set of deferred store writes (:class:`Op`) the background
flusher applies, their JSON-lines form when the store stays unreachable
(:func:`write_spill`) and :func:`replay_spill`, which applies a spill file to
a store once it is back::

    python -c "import nbtrack; nbtrack.replay_spill('.nbtrack/spill/<file>.jsonl')"

A spill file is one JSON object a line: a header naming the run, then ops
(``create_run`` when the store was never reached while the run lived,
``log_params``, ``set_tags``, ..., ``metrics`` with rows
``[key, value, step, timestamp]``, ``end_run``). NaN and infinities are
written as the JSON extensions ``NaN``/``Infinity``, which Python reads back.
A replayed file is renamed ``*.replayed`` so it is not applied twice.

Not for: deciding when to spill (``flusher.py``) or talking SQL.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.config import mask_url
from nbtrack.errors import RunNotFoundError, UsageError
from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Param,
    ParamSource,
    RunEvent,
    RunStatus,
    Source,
)
from nbtrack.store.base import MetricRow, Store
from nbtrack.tracking.isolate import describe, isolate, one_line

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["Op", "StoreOutageWarning", "apply_op", "replay_spill", "spill_dir", "write_spill"]

SPILL_FORMAT = "nbtrack-spill"
SPILL_VERSION = 1
_ROWS_PER_LINE = 10_000
#: the parts of a ``create_run`` op that are dataclasses
_RUN_PARTS: dict[str, type[Any]] = {"git": GitState, "environment": Environment, "source": Source}


class StoreOutageWarning(RuntimeWarning):
    """The run store could not be written; data is kept, retried or spilled."""


@dataclass(frozen=True)
class Op:
    """One deferred store write for a run (everything but metric points)."""

    kind: str  # create_run, log_params, set_tags, set_name, set_source, add_data_ref, ...
    payload: dict[str, Any] = field(default_factory=dict)


def apply_op(store: Store, run_id: str, op: Op) -> None:
    """Perform *op* against *store*."""
    p = op.payload
    if op.kind == "create_run":
        store.create_run(run_id=run_id, **p)
    elif op.kind == "log_params":
        store.log_params(run_id, p["params"])
    elif op.kind == "set_tags":
        store.set_tags(run_id, p["tags"])
    elif op.kind == "set_name":
        store.set_name(run_id, p["name"])
    elif op.kind == "set_note":
        store.set_note(run_id, p["note"])
    elif op.kind == "set_source":
        store.set_source(run_id, p["source"])
    elif op.kind == "add_data_ref":
        store.add_data_ref(run_id, p["ref"])
    elif op.kind == "add_artifact":
        store.add_artifact(run_id, p["artifact"])
    elif op.kind == "add_event":
        store.add_event(run_id, p["event"])
    elif op.kind == "end_run":
        store.end_run(run_id, RunStatus(p["status"]), p["ended_at"])
    else:  # pragma: no cover - a programming error, not a user's
        raise ValueError(f"unknown op {op.kind!r}")


# -- JSON form -------------------------------------------------------------------


def _encode(op: Op) -> dict[str, Any]:
    p = op.payload
    if op.kind == "log_params":
        body: Any = [
            {"key": x.key, "value": x.value, "source": x.source.value} for x in p["params"]
        ]
        return {"op": op.kind, "params": body}
    if op.kind == "create_run":
        parts = {k: asdict(v) if k in _RUN_PARTS and v is not None else v for k, v in p.items()}
        return {"op": op.kind, **parts}
    if op.kind in {"set_source", "add_data_ref", "add_artifact", "add_event"}:
        (name,) = p
        return {"op": op.kind, name: asdict(p[name])}
    return {"op": op.kind, **p}


def _decode(line: dict[str, Any]) -> Op:
    kind = line.pop("op")
    if kind == "log_params":
        params = [Param(x["key"], x["value"], ParamSource(x["source"])) for x in line["params"]]
        return Op(kind, {"params": params})
    if kind == "create_run":
        parts = {name: cls(**line[name]) for name, cls in _RUN_PARTS.items() if line.get(name)}
        if "environment" in parts:
            env = parts["environment"]
            parts["environment"] = replace(env, argv=tuple(env.argv))
        return Op(kind, {**line, **parts})
    types: dict[str, tuple[str, type[Any]]] = {
        "set_source": ("source", Source),
        "add_data_ref": ("ref", DataRef),
        "add_artifact": ("artifact", Artifact),
        "add_event": ("event", RunEvent),
    }
    if kind in types:
        name, cls = types[kind]
        return Op(kind, {name: cls(**line[name])})
    return Op(kind, line)


def spill_dir(settings: Settings | None) -> Path:
    """Where spill files go: ``.nbtrack/spill`` at the project root, else a temp dir."""
    if settings is not None:
        candidate = settings.root / ".nbtrack" / "spill"
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK):
                return candidate
        except OSError:
            pass
    import tempfile

    fallback = Path(tempfile.gettempdir()) / "nbtrack-spill"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def write_spill(
    folder: Path,
    run_id: str,
    store_url: str,
    ops: Iterable[Op],
    rows: Sequence[MetricRow],
) -> Path:
    """Append *ops* then *rows* to a new spill file for *run_id*; return its path."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{run_id[:8]}-{stamp}-{time.time_ns() % 10**9:09d}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        header = {
            "format": SPILL_FORMAT,
            "version": SPILL_VERSION,
            "run_id": run_id,
            "store": mask_url(store_url, drop=True),
            "written_at": time.time(),
        }
        fh.write(json.dumps(header) + "\n")
        metrics_written = False
        for op in ops:
            if op.kind == "end_run" and not metrics_written:
                _write_rows(fh, rows)
                metrics_written = True
            fh.write(json.dumps(_encode(op)) + "\n")
        if not metrics_written:
            _write_rows(fh, rows)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def _write_rows(fh: Any, rows: Sequence[MetricRow]) -> None:
    for start in range(0, len(rows), _ROWS_PER_LINE):
        chunk = [list(r) for r in rows[start : start + _ROWS_PER_LINE]]
        fh.write(json.dumps({"op": "metrics", "rows": chunk}) + "\n")


def _exists(store: Store, run_id: str) -> bool:
    try:
        store.resolve_run_id(run_id)
    except RunNotFoundError:
        return False
    return True


def replay_spill(path: str | os.PathLike[str], store: Store | None = None) -> int:
    """Apply a spill file to *store* (default: the project's store); return points written.

    A file from a run that never reached its store starts by creating the
    run; that step is skipped when the run is in the store already (its
    create reached the store later, or another spill file of the same run was
    replayed first). The file is renamed ``<name>.replayed`` afterwards.
    """
    spill = Path(path)
    try:
        lines = spill.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"cannot read spill file {spill}: {exc.strerror or exc}.") from None
    try:
        header = json.loads(lines[0]) if lines else {}
    except json.JSONDecodeError:
        header = {}
    if header.get("format") != SPILL_FORMAT:
        raise UsageError(f"{spill} is not an nbtrack spill file.")
    run_id = str(header["run_id"])
    owned = store is None
    if store is None:
        from nbtrack.store import open_store

        store = open_store()
    points = 0
    refused: list[str] = []
    try:
        for number, text in enumerate(lines[1:], start=2):
            try:
                line = json.loads(text)
            except json.JSONDecodeError:
                raise UsageError(f"{spill}, line {number}: not JSON.") from None
            if line.get("op") == "metrics":
                rows = [(k, float(v), s, float(t)) for k, v, s, t in line["rows"]]
                written, why = _replay_rows(store, run_id, rows)
                points += written
                refused += [f"line {number}: {why}"] if why else []
            elif line.get("op") != "create_run" or not _exists(store, run_id):
                apply_op(store, run_id, _decode(line))
    finally:
        if owned:
            store.close()
    done = spill.with_name(spill.name + ".replayed")
    spill.rename(done)
    if refused:
        warnings.warn(
            f"nbtrack: {spill}: the store refused some points, which stay in {done.name}"
            f" ({'; '.join(refused)}); the other {points} points were written.",
            StoreOutageWarning,
            stacklevel=2,
        )
    return points


def _replay_rows(store: Store, run_id: str, rows: list[MetricRow]) -> tuple[int, str]:
    """Write one line's points; a row the store refuses costs only itself.

    Returns the points written and, when some were refused, which and why.
    """
    try:
        store.log_metrics(run_id, rows)
    except Exception as exc:
        done = isolate(partial(store.log_metrics, run_id), rows, exc, partial(_up, store, run_id))
        if done.outage is not None:
            raise
        kept = len(done.left)
        return len(rows) - kept, f"{kept} points, {describe(done.refused) or one_line(exc)}"
    return len(rows), ""


def _up(store: Store, run_id: str) -> bool:
    """Whether the store answers and holds the run: a failed write was then refused."""
    try:
        return _exists(store, run_id)
    except Exception:
        return False
