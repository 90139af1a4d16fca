"""Artifacts keep the step they were logged at, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid

from nbtrack.model import Artifact, RunStatus
from nbtrack.store.base import Store


def test_an_artifact_step_goes_in_and_comes_back_with_steps_of_one_name_apart(
    store: Store,
) -> None:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="figures", started_at=time.time())
    logged: list[Artifact] = []
    for step in (0, 1, 2**62):  # the last one needs 64 bits
        digest, size, uri = store.put_artifact_bytes(f"image at {step}".encode())
        logged.append(Artifact("cm.png", digest, size, "image/png", uri, 1.0 + step % 7, step))
    digest, size, uri = store.put_artifact_bytes(b"weights")
    logged.append(Artifact("model.pkl", digest, size, "application/octet-stream", uri, 9.0))
    for artifact in logged:
        store.add_artifact(run_id, artifact)
    store.end_run(run_id, RunStatus.FINISHED, time.time())

    run = store.get_run(run_id)

    assert run.artifacts == tuple(logged)
    assert [a.step for a in run.artifacts] == [0, 1, 2**62, None]


def test_the_files_only_a_deleted_run_used_keep_their_steps(store: Store) -> None:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="doomed", started_at=time.time())
    digest, size, uri = store.put_artifact_bytes(b"epoch 4")
    store.add_artifact(run_id, Artifact("cm.png", digest, size, "image/png", uri, 1.0, 4))
    store.delete_run(run_id, at=2.0)

    (only,) = store.artifacts_only_in([run_id])

    assert (only.name, only.step) == ("cm.png", 4)
