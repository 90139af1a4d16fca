"""Reading an ML-Metadata store back with MLMD's own API, for the export's tests and docs.

``open_mlmd(path)`` opens the SQLite file read-only through
``ml_metadata.MetadataStore``; ``dump(store)`` is every node, event,
attribution and association as text, so a test can say "nothing changed"
about the whole store, MLMD's own update times included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_mlmd(path: Path, *, create: bool = False) -> Any:
    """The MLMD store in *path* (``READONLY`` unless *create*)."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as pb

    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = (
        pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        if create
        else pb.SqliteMetadataSourceConfig.READONLY
    )
    return metadata_store.MetadataStore(config)


def dump(store: Any) -> str:
    """Every type, node and link of *store* as text, in id order."""
    parts: list[str] = []
    for getter in (
        store.get_artifact_types,
        store.get_execution_types,
        store.get_context_types,
        store.get_artifacts,
        store.get_executions,
        store.get_contexts,
    ):
        parts.extend(str(node) for node in sorted(getter(), key=lambda n: n.id))
    executions = [e.id for e in store.get_executions()]
    parts.extend(str(e) for e in store.get_events_by_execution_ids(executions))
    for context in store.get_contexts():
        parts.append(f"context {context.id}: artifacts")
        parts.extend(str(a.id) for a in store.get_artifacts_by_context(context.id))
        parts.append(f"context {context.id}: executions")
        parts.extend(str(e.id) for e in store.get_executions_by_context(context.id))
    return "\n".join(parts)


def value(node: Any, key: str, *, custom: bool = False) -> Any:
    """The Python value of property (or custom property) *key* of an MLMD node."""
    mapping = node.custom_properties if custom else node.properties
    held = mapping[key]
    return getattr(held, held.WhichOneof("value"))
