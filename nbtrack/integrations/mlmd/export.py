"""Runs into an ML-Metadata store: ``export_runs``.

For: writing an :class:`~nbtrack.integrations.mlmd.mapping.ExportPlan` into
an MLMD SQLite file with Google's ``ml-metadata`` package: the types created
when missing (a store another tool wrote keeps its own types; a type of the
same name with a property of another kind is refused in one sentence), the
Artifacts upserted by external id, the runs of a notebook written in batches (one
``put_lineage_subgraph`` each) with their new events and the notebook's Context.

Not for: the mapping (``mapping``) or reading nbtrack's store (the door).

Idempotent: an Artifact or Execution equal to what the store holds is not
written again, an event the store has is not added twice, and a run that
changed (it finished, logged more) is updated in place. So a second export
of the same runs writes nothing, and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.integrations.mlmd.mapping import (
    NOTEBOOK,
    PROPERTY_TYPES,
    RUN,
    ArtifactPlan,
    ExportPlan,
    MlmdRun,
    RunPlan,
    plan,
)
from nbtrack.model import JSONValue

__all__ = ["INSTALL_HINT", "ExportResult", "RunOutcome", "export_runs"]

INSTALL_HINT = (
    "pip install 'nbtrack[mlmd]' (ml-metadata pins protobuf<5, so give it an environment"
    " where protobuf 4 suits the other packages)"
)
#: how many external ids one lookup asks for (SQLite's bound-parameter limit is far above)
_CHUNK = 500
#: the table every MLMD schema has (its version)
_MLMD_TABLE = "MLMDEnv"
#: how many runs one transaction writes
_BATCH = 200


@dataclass(frozen=True)
class RunOutcome:
    """What happened to one run: its Execution id and ``new``, ``updated`` or ``unchanged``."""

    run_id: str
    execution_id: int
    change: str


@dataclass(frozen=True)
class ExportResult:
    """What ``export_runs`` wrote: a line per run, and the Artifacts and events it added."""

    runs: tuple[RunOutcome, ...]
    artifacts_new: int
    artifacts_updated: int
    events_new: int


def _mlmd() -> tuple[Any, Any, Any]:
    """``(metadata_store, metadata_store_pb2, errors)`` of ml-metadata, or one sentence."""
    try:
        from ml_metadata import errors
        from ml_metadata.metadata_store import metadata_store
        from ml_metadata.proto import metadata_store_pb2
    except ImportError:
        raise UsageError(
            f"nbtrack export mlmd needs the ml-metadata package, which is not installed:"
            f" {INSTALL_HINT}."
        ) from None
    return metadata_store, metadata_store_pb2, errors


def _open(db: Path, metadata_store: Any, pb: Any) -> Any:
    """The MLMD store in the SQLite file *db*, created when missing."""
    if db.is_dir():
        raise UsageError(f"--db {db} is a directory; give the path of an MLMD SQLite file.")
    folder = db.absolute().parent
    if not folder.is_dir():
        raise UsageError(f"--db {db}: the folder {folder} does not exist.")
    _refuse_foreign(db)
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(db)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    try:
        return metadata_store.MetadataStore(config)
    except RuntimeError as exc:
        raise UsageError(f"--db {db} cannot be opened as an MLMD store: {_first(exc)}.") from None


def _refuse_foreign(db: Path) -> None:
    """Refuse a SQLite file that holds tables but not MLMD's: MLMD would add its
    tables beside them (``--db .nbtrack/runs.db`` by mistake would fill the run store)."""
    import sqlite3

    try:
        with db.open("rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return  # missing, empty, or not SQLite: MLMD creates it or says what is wrong
        connection = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables = {row[0] for row in rows}
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return
    if tables and _MLMD_TABLE not in tables:
        raise UsageError(
            f"--db {db} is a SQLite database of something else ({len(tables)} table(s), no"
            " MLMD schema); give a new file or an MLMD store."
        )


def _first(exc: Exception) -> str:
    """The first line of an MLMD error, without the SQL it quotes."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0].split(" query:")[0].strip().rstrip(".")


def _set(value_proto: Any, value: JSONValue) -> None:
    if isinstance(value, bool):
        value_proto.bool_value = value
    elif isinstance(value, int):
        value_proto.int_value = value
    elif isinstance(value, float):
        value_proto.double_value = value
    else:
        value_proto.string_value = str(value)


def _kind_of(value: JSONValue, pb: Any) -> Any:
    if isinstance(value, bool):
        return pb.BOOLEAN
    if isinstance(value, int):
        return pb.INT
    if isinstance(value, float):
        return pb.DOUBLE
    return pb.STRING


def _fill(node: Any, values: Mapping[str, JSONValue], typed: Mapping[str, Any], pb: Any) -> None:
    """*values* as the node's properties where its type declares them, else as custom ones."""
    for key, value in values.items():
        declared = typed.get(key)
        if declared is not None and declared == _kind_of(value, pb):
            _set(node.properties[key], value)
        else:
            _set(node.custom_properties[key], value)


class _Writer:
    """One export's conversation with the MLMD store."""

    def __init__(self, store: Any, pb: Any, errors: Any, db: Path) -> None:
        self.store, self.pb, self.errors, self.db = store, pb, errors, db
        self.type_ids: dict[str, int] = {}
        self.type_properties: dict[int, dict[str, Any]] = {}

    @contextmanager
    def _type_conflict(self, name: str, stored: Callable[[str], Any]) -> Iterator[None]:
        """An incompatible type of nbtrack's name as one sentence naming its property."""
        try:
            yield
        except self.errors.AlreadyExistsError:
            kinds = self.pb.PropertyType.Name
            theirs = dict(stored(name).properties)
            clashes = [
                f"{key!r} is {kinds(theirs[key])} where nbtrack writes {kind}"
                for key, kind in PROPERTY_TYPES[name].items()
                if key in theirs and kinds(theirs[key]) != kind
            ]
            raise UsageError(
                f"--db {self.db} already has an MLMD type {name!r} of another shape"
                f" ({'; '.join(clashes) or 'its properties differ'}); export into another --db."
            ) from None

    def ensure_types(self) -> None:
        """nbtrack's types, created or extended; another tool's properties are kept."""
        for name, properties in PROPERTY_TYPES.items():
            if name == RUN:
                node = self.pb.ExecutionType(name=name)
                put, get = self.store.put_execution_type, self.store.get_execution_type
            elif name == NOTEBOOK:
                node = self.pb.ContextType(name=name)
                put, get = self.store.put_context_type, self.store.get_context_type
            else:
                node = self.pb.ArtifactType(name=name)
                put, get = self.store.put_artifact_type, self.store.get_artifact_type
            for key, kind in properties.items():
                node.properties[key] = getattr(self.pb, kind)
            with self._type_conflict(name, get):
                self.type_ids[name] = put(node, can_add_fields=True, can_omit_fields=True)
        for artifact_type in self.store.get_artifact_types():
            self.type_properties[artifact_type.id] = dict(artifact_type.properties)
        run_type = self.store.get_execution_type(RUN)
        self.type_properties[run_type.id] = dict(run_type.properties)

    def _artifact(self, plan: ArtifactPlan, stored: Any | None) -> Any:
        pb = self.pb
        type_id = stored.type_id if stored is not None else self.type_ids[plan.type_name]
        node = pb.Artifact(type_id=type_id, uri=plan.uri, external_id=plan.key)
        node.state = pb.Artifact.LIVE if plan.live else pb.Artifact.UNKNOWN
        if stored is not None:
            node.id = stored.id
        _fill(node, plan.properties, self.type_properties.get(type_id, {}), pb)
        _fill(node, plan.custom, {}, pb)
        return node

    def put_artifacts(self, plans: Mapping[str, ArtifactPlan]) -> tuple[dict[str, Any], int, int]:
        """Every planned Artifact in the store: ``(key -> stored node, new, updated)``."""
        keys = list(plans)
        stored = {a.external_id: a for a in self._by_external_ids(keys, artifacts=True)}
        changed = []
        for key in keys:
            before = stored.get(key)
            if before is not None and not plans[key].written:
                continue  # read only: the store's description (its producer's, maybe) stays
            node = self._artifact(plans[key], before)
            if before is None or not _same(node, before):
                changed.append(node)
        if changed:
            self.store.put_artifacts(changed)
        new = sum(1 for node in changed if not node.HasField("id"))
        return (
            {a.external_id: a for a in self._by_external_ids(keys, artifacts=True)},
            new,
            len(changed) - new,
        )

    def _by_external_ids(self, keys: Sequence[str], *, artifacts: bool) -> list[Any]:
        get = (
            self.store.get_artifacts_by_external_ids
            if artifacts
            else self.store.get_executions_by_external_ids
        )
        found: list[Any] = []
        for start in range(0, len(keys), _CHUNK):
            try:
                found.extend(get(keys[start : start + _CHUNK]))
            except self.errors.NotFoundError:  # MLMD's answer when none of them is there
                continue
        return found

    def notebooks(self, names: set[str]) -> dict[str, Any]:
        """The notebook Contexts by name, created when missing."""
        found = {}
        for name in sorted(names):
            context = self.store.get_context_by_type_and_name(NOTEBOOK, name)
            if context is None:
                node = self.pb.Context(type_id=self.type_ids[NOTEBOOK], name=name)
                [context_id] = self.store.put_contexts([node])
                [context] = self.store.get_contexts_by_id([context_id])
            found[name] = context
        return found

    def put_runs(
        self, runs: Sequence[RunPlan], artifacts: Mapping[str, Any], contexts: Mapping[str, Any]
    ) -> tuple[list[RunOutcome], int]:
        """Each new or changed run's Execution and its new events.

        Runs of one notebook go in one ``put_lineage_subgraph`` call (a
        transaction) per :data:`_BATCH` runs: MLMD's SQLite commits cost
        ~15 ms each, so a transaction a run would make 1,000 runs take 15 s.
        """
        stored = {
            e.external_id: e for e in self._by_external_ids([r.key for r in runs], artifacts=False)
        }
        ids = [e.id for e in stored.values()]
        known = {
            (event.execution_id, event.artifact_id, event.type)
            for start in range(0, len(ids), _CHUNK)
            for event in self.store.get_events_by_execution_ids(ids[start : start + _CHUNK])
        }
        outcomes: dict[str, RunOutcome] = {}
        groups: dict[str | None, list[tuple[RunPlan, Any, list[tuple[Any, Any]]]]] = {}
        for run in runs:
            before = stored.get(run.key)
            node, pairs = self._execution(run, before, artifacts, known)
            if before is not None and not pairs and _same(node, before):
                outcomes[run.key] = RunOutcome(run.key, before.id, "unchanged")
            else:
                groups.setdefault(run.notebook, []).append((run, node, pairs))
        added = 0
        for notebook, items in groups.items():
            context = [contexts[notebook]] if notebook else []
            for start in range(0, len(items), _BATCH):
                batch = items[start : start + _BATCH]
                for run, execution_id in self._put_batch(batch, context):
                    change = "updated" if run.key in stored else "new"
                    outcomes[run.key] = RunOutcome(run.key, execution_id, change)
                added += sum(len(pairs) for _, _, pairs in batch)
        return [outcomes[run.key] for run in runs], added

    def _execution(
        self,
        run: RunPlan,
        before: Any | None,
        artifacts: Mapping[str, Any],
        known: set[tuple[int, int, int]],
    ) -> tuple[Any, list[tuple[Any, Any]]]:
        """The run's Execution node, and its events the store does not have yet."""
        pb = self.pb
        run_type = self.type_ids[RUN]
        node = pb.Execution(type_id=run_type, external_id=run.key)
        node.last_known_state = getattr(pb.Execution, run.state)
        if before is not None:
            node.id = before.id
        _fill(node, run.properties, self.type_properties[run_type], pb)
        _fill(node, run.custom, {}, pb)
        pairs = []
        for event in run.events:
            artifact = artifacts[event.key]
            kind = getattr(pb.Event, event.kind)
            if before is not None and (before.id, artifact.id, kind) in known:
                continue
            step = pb.Event(type=kind, artifact_id=artifact.id)
            step.path.steps.add().key = event.path
            pairs.append((artifact, step))
        return node, pairs

    def _put_batch(
        self, batch: Sequence[tuple[RunPlan, Any, list[tuple[Any, Any]]]], context: list[Any]
    ) -> list[tuple[RunPlan, int]]:
        """One transaction: the batch's Executions, their new events, the notebook's links."""
        attributed: dict[int, Any] = {}
        edges = []
        for index, (_, _, pairs) in enumerate(batch):
            for artifact, event in pairs:
                attributed.setdefault(artifact.id, artifact)
                edges.append((index, None, event))
        execution_ids, _, _ = self.store.put_lineage_subgraph(
            [node for _, node, _ in batch], list(attributed.values()), context, edges
        )
        return [
            (run, execution_id)
            for (run, _, _), execution_id in zip(batch, execution_ids, strict=True)
        ]


def _same(node: Any, stored: Any) -> bool:
    """*node* as it would be stored equals *stored*: its fields and its property values.

    The plan holds doubles as MLMD gives them back (``mapping.mlmd_double``), so
    they compare equal; a hair of tolerance covers the last printed digit. The
    times MLMD stamps and the type's name are its own.
    """
    for name in ("id", "type_id", "uri", "external_id", "name", "state", "last_known_state"):
        if name in node.DESCRIPTOR.fields_by_name and getattr(node, name) != getattr(stored, name):
            return False
    return _values(node.properties, stored.properties) and _values(
        node.custom_properties, stored.custom_properties
    )


def _values(mine: Any, theirs: Any) -> bool:
    if set(mine) != set(theirs):
        return False
    for key in mine:
        kind = mine[key].WhichOneof("value")
        if kind != theirs[key].WhichOneof("value"):
            return False
        a, b = getattr(mine[key], kind), getattr(theirs[key], kind)
        if kind == "double_value":
            if not math.isclose(a, b, rel_tol=1e-14):
                return False
        elif a != b:
            return False
    return True


def export_runs(runs: Sequence[MlmdRun], db: Path) -> ExportResult:
    """Write *runs* into the MLMD SQLite file *db* (created when missing).

    Raises ``UsageError`` (one sentence) when ml-metadata is not installed,
    *db* is not a file MLMD can open, or the store has an incompatible type.
    """
    metadata_store, pb, errors = _mlmd()
    writer = _Writer(_open(db, metadata_store, pb), pb, errors, db)
    export: ExportPlan = plan(runs)
    try:
        writer.ensure_types()
        artifacts, new, updated = writer.put_artifacts(export.artifacts)
        contexts = writer.notebooks({run.notebook for run in export.runs if run.notebook})
        outcomes, events = writer.put_runs(export.runs, artifacts, contexts)
    except errors.StatusError as exc:
        raise UsageError(f"--db {db}: the MLMD store refused the export: {_first(exc)}.") from None
    return ExportResult(
        runs=tuple(outcomes), artifacts_new=new, artifacts_updated=updated, events_new=events
    )
