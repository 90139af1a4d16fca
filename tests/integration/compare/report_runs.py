"""Runs made straight through the store's write path, for the report tests."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from nbtrack.model import Artifact, Param, RunStatus, Source

if TYPE_CHECKING:
    from nbtrack.store.base import Store

T0 = 1_767_000_000.0  # 2025-12-29 09:20 UTC


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour (what a logged figure's file is)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def add_run(
    store: Store,
    name: str,
    *,
    started: float = T0,
    params: Mapping[str, object] | None = None,
    metrics: Mapping[str, Sequence[float]] | None = None,
    tags: dict[str, str] | None = None,
    notebook: str | None = "notebooks/train.ipynb",
    snapshot: str | None = None,
    artifacts: Sequence[tuple[str, bytes, str]] = (),
    status: RunStatus = RunStatus.FINISHED,
) -> str:
    """A finished run; each metric's values are logged at steps 0, 1, ...; its full id."""
    run_id = uuid.uuid4().hex
    source = Source(path=notebook, snapshot=snapshot) if notebook else None
    store.create_run(run_id=run_id, name=name, started_at=started, tags=tags, source=source)
    store.log_params(run_id, [Param(k, v) for k, v in (params or {}).items()])
    for key, values in (metrics or {}).items():
        rows = [(key, float(v), step, started + step) for step, v in enumerate(values)]
        store.log_metrics(run_id, rows)
    for artifact_name, data, media_type in artifacts:
        digest, size, uri = store.put_artifact_bytes(data)
        store.add_artifact(run_id, Artifact(artifact_name, digest, size, media_type, uri, started))
    store.end_run(run_id, status, started + 95.5)
    return run_id
