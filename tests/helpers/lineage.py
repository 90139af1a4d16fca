"""Runs that made and read files, written straight through the ``Store`` API.

``make_run(store, "train", reads=[b"prepared"], makes={"model.pkl": b"weights"})``
records a finished run whose data refs hold the sha256 of each read content
and whose artifacts hold each made content: the shapes ``track_data`` and
``log_artifact`` leave, without a notebook or a tracker in between.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Mapping, Sequence

from nbtrack.model import Artifact, DataRef, RunStatus
from nbtrack.store.base import Store

_clock = itertools.count(1)


def sha(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def make_run(
    store: Store,
    name: str,
    *,
    reads: Sequence[tuple[str, bytes] | DataRef] = (),
    makes: Mapping[str, bytes] = {},
) -> str:
    """A finished run named *name*: *reads* as data refs (path, content), *makes* as artifacts."""
    run_id = uuid.uuid4().hex
    at = float(next(_clock))
    store.create_run(run_id=run_id, name=name, started_at=at)
    for item in reads:
        if isinstance(item, DataRef):
            store.add_data_ref(run_id, item)
            continue
        path, content = item
        store.add_data_ref(run_id, DataRef(path, "file", sha(content), len(content), logged_at=at))
    for artifact_name, content in makes.items():
        digest, size, uri = store.put_artifact_bytes(content)
        store.add_artifact(run_id, Artifact(artifact_name, digest, size, "text/plain", uri, at))
    store.end_run(run_id, RunStatus.FINISHED, at + 0.5)
    return run_id
