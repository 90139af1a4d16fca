"""What nbtrack's runs become in ML-Metadata, as plain values: ``plan``.

For: the mapping, decided once and testable without ``ml-metadata``: the run
as an Execution (its properties, params and final metrics as custom
properties, its state), each data ref an INPUT and each artifact an OUTPUT
of an Artifact keyed by :func:`artifact_key`, the type of each Artifact
(:func:`output_type`), and the values MLMD can hold (:func:`mlmd_value`).

Not for: talking to an MLMD store (``export``) or reading nbtrack's store
(the ``nbtrack export`` door hands :class:`MlmdRun` values here).

The key of an Artifact (its MLMD ``external_id``) is what makes two runs
meet: the same content digest (``sha256:`` or ``md5:``) is the same
Artifact whatever path each run gave it, so a file run A logged and run B
tracked as data is one Artifact with an OUTPUT event from A and an INPUT
event from B. A version a system names (``delta:3``, ``lakefs:<commit>``,
an ETag) only means something for its table or object, so its key is the
URI with the version; an unresolved ref says nothing about which version a
run read, so it is an Artifact of that run alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from nbtrack.model import DataRef, JSONValue

__all__ = [
    "DATASET",
    "FILE",
    "MODEL",
    "NOTEBOOK",
    "PROPERTY_TYPES",
    "RUN",
    "ArtifactPlan",
    "EventPlan",
    "ExportPlan",
    "MlmdFile",
    "MlmdRun",
    "RunPlan",
    "artifact_key",
    "execution_state",
    "mlmd_double",
    "mlmd_value",
    "output_type",
    "plan",
]

RUN = "nbtrack.Run"
DATASET = "nbtrack.Dataset"
FILE = "nbtrack.File"
MODEL = "nbtrack.Model"
NOTEBOOK = "nbtrack.Notebook"

#: each type nbtrack writes -> its properties and their MLMD value kind
PROPERTY_TYPES: dict[str, dict[str, str]] = {
    RUN: {
        "name": "STRING",
        "status": "STRING",
        "start_time_since_epoch": "INT",
        "end_time_since_epoch": "INT",
        "git_commit": "STRING",
        "git_branch": "STRING",
        "notebook": "STRING",
    },
    DATASET: {"kind": "STRING", "digest": "STRING", "resolved": "BOOLEAN", "size": "INT"},
    FILE: {"digest": "STRING", "size": "INT", "media_type": "STRING", "step": "INT"},
    MODEL: {"digest": "STRING", "size": "INT", "media_type": "STRING", "step": "INT"},
    NOTEBOOK: {},
}

#: digests that name content: equal digests are equal bytes, wherever they are
_CONTENT_PREFIXES = ("sha256:", "md5:")
#: MLMD keeps external ids in a VARCHAR(255)
_MAX_KEY = 255
#: file suffixes only models are saved with
_MODEL_SUFFIXES = frozenset(
    {".onnx", ".pt", ".pth", ".safetensors", ".keras", ".ckpt", ".tflite", ".gguf", ".mlmodel"}
)
#: pickles hold anything: a model only when its name says so
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib"})

_STATES = {
    "RUNNING": "RUNNING",
    "FINISHED": "COMPLETE",
    "FAILED": "FAILED",
    "CRASHED": "FAILED",
    "KILLED": "CANCELED",
}


@dataclass(frozen=True)
class MlmdFile:
    """One artifact of a run: its name as logged, content digest and where its bytes are."""

    name: str
    digest: str
    size: int
    media_type: str
    uri: str
    step: int | None = None


@dataclass(frozen=True)
class MlmdRun:
    """One run as the export takes it; plain values, no store."""

    id: str
    name: str | None
    status: str
    started_at: float
    ended_at: float | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    notebook: str | None = None
    params: Mapping[str, JSONValue] = field(default_factory=dict)
    #: metric key -> its last value
    metrics: Mapping[str, float] = field(default_factory=dict)
    inputs: tuple[DataRef, ...] = ()
    outputs: tuple[MlmdFile, ...] = ()


@dataclass(frozen=True)
class ArtifactPlan:
    """One MLMD Artifact: its key (external id), type, uri, state and property values.

    *written* says some run of the export wrote it: only then does its
    description replace one the store already has (the producer's word on
    where the bytes are wins over a reader's path).
    """

    key: str
    type_name: str
    uri: str
    live: bool
    properties: dict[str, JSONValue]
    custom: dict[str, JSONValue]
    written: bool = False


@dataclass(frozen=True)
class EventPlan:
    """A run read (``INPUT``) or wrote (``OUTPUT``) the Artifact *key*, under *path*."""

    key: str
    kind: str
    path: str


@dataclass(frozen=True)
class RunPlan:
    """One Execution: the run's key, its state, properties, events and notebook Context."""

    key: str
    state: str
    properties: dict[str, JSONValue]
    custom: dict[str, JSONValue]
    events: tuple[EventPlan, ...]
    notebook: str | None


@dataclass(frozen=True)
class ExportPlan:
    """Everything an export writes: the Artifacts (by key) and the runs, oldest first."""

    artifacts: dict[str, ArtifactPlan]
    runs: tuple[RunPlan, ...]


def _bounded(key: str) -> str:
    if len(key) <= _MAX_KEY:
        return key
    return "nbtrack:" + hashlib.sha256(key.encode()).hexdigest()


def artifact_key(digest: str, uri: str, *, run_id: str) -> str:
    """The external id of the Artifact a digest at *uri* is (see the module notes)."""
    if not digest:
        return _bounded(f"{uri}@unresolved:{run_id}")
    if digest.startswith(_CONTENT_PREFIXES):
        return digest
    return _bounded(f"{uri}@{digest}")


def output_type(name: str) -> str:
    """``nbtrack.Model`` for a file saved in a model format, else ``nbtrack.File``.

    A suffix only models use (``.onnx``, ``.pt``, ``.safetensors``, ...)
    makes a model; a pickle or joblib file does when its name says
    ``model``, since pickles hold anything.
    """
    path = PurePosixPath(name.lower())
    if path.suffix in _MODEL_SUFFIXES:
        return MODEL
    if path.suffix in _PICKLE_SUFFIXES and "model" in path.stem:
        return MODEL
    return FILE


def execution_state(status: str) -> str:
    """The ``Execution.State`` name of a run status (CRASHED reads as FAILED)."""
    return _STATES.get(status, "UNKNOWN")


def mlmd_double(value: float) -> float:
    """The double MLMD's SQLite backend gives back for *value*.

    ml-metadata 1.17 writes a double into its SQL with six decimals (``%f``)
    and reads it back to 15 significant digits: ``1/3`` comes back
    ``0.333333`` and ``3e-7`` comes back ``0.0``.
    """
    return float(format(float(format(value, ".6f")), ".15g"))


def mlmd_value(value: JSONValue) -> JSONValue:
    """*value* as MLMD keeps it: a bool, int64, string or the double it gives back.

    MLMD's SQLite backend cannot store NaN or infinity, so those become
    ``"nan"``, ``"inf"``, ``"-inf"``; a finite float is what
    :func:`mlmd_double` says MLMD keeps of it; lists, mappings and None
    become JSON text.
    """
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, float):
        return mlmd_double(value) if math.isfinite(value) else str(value)
    return json.dumps(value, sort_keys=True, default=str)


def _present(values: Mapping[str, JSONValue]) -> dict[str, JSONValue]:
    """The values that are there, as MLMD keeps them; a float MLMD would round
    keeps its exact text beside it as ``<key>:exact`` (``repr``, read back with ``float``)."""
    kept: dict[str, JSONValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        kept[key] = mlmd_value(value)
        if isinstance(value, float) and math.isfinite(value) and kept[key] != value:
            kept[f"{key}:exact"] = repr(value)
    return kept


def _input(ref: DataRef, run_id: str) -> ArtifactPlan:
    detail = {f"detail:{k}": v for k, v in sorted(ref.detail.items()) if v is not None}
    return ArtifactPlan(
        key=artifact_key(ref.digest, ref.path, run_id=run_id),
        type_name=DATASET,
        uri=ref.path,
        live=ref.resolved,
        properties=_present(
            {"kind": ref.kind, "digest": ref.digest, "resolved": ref.resolved, "size": ref.size}
        ),
        custom=_present({"display_name": ref.path, **detail}),
    )


def _output(file: MlmdFile) -> ArtifactPlan:
    return ArtifactPlan(
        key=artifact_key(file.digest, file.uri, run_id=""),
        type_name=output_type(file.name),
        uri=file.uri,
        live=True,
        properties=_present(
            {
                "digest": file.digest,
                "size": file.size,
                "media_type": file.media_type,
                "step": file.step,
            }
        ),
        custom=_present({"display_name": file.name}),
        written=True,
    )


def _milliseconds(seconds: float | None) -> int | None:
    """MLMD's own unit for times (``create_time_since_epoch``): whole milliseconds."""
    return None if seconds is None else round(seconds * 1000)


def _run(run: MlmdRun, events: tuple[EventPlan, ...]) -> RunPlan:
    custom = {f"param:{key}": value for key, value in run.params.items()}
    custom.update({f"metric:{key}": value for key, value in run.metrics.items()})
    return RunPlan(
        key=run.id,
        state=execution_state(run.status),
        properties=_present(
            {
                "name": run.name,
                "status": run.status,
                "start_time_since_epoch": _milliseconds(run.started_at),
                "end_time_since_epoch": _milliseconds(run.ended_at),
                "git_commit": run.git_commit,
                "git_branch": run.git_branch,
                "notebook": run.notebook,
            }
        ),
        custom=_present(custom),
        events=events,
        notebook=run.notebook,
    )


def plan(runs: Iterable[MlmdRun]) -> ExportPlan:
    """The Artifacts and Executions *runs* make, oldest run first.

    An Artifact some run wrote is described as that run's output (its type,
    where its bytes are); one only read, as the first run that read it
    described it. A run that read and wrote the same bytes has both events.
    """
    ordered = sorted(runs, key=lambda run: (run.started_at, run.id))
    outputs: dict[str, ArtifactPlan] = {}
    inputs: dict[str, ArtifactPlan] = {}
    planned: list[RunPlan] = []
    for run in ordered:
        events: dict[tuple[str, str], EventPlan] = {}
        for ref in run.inputs:
            artifact = _input(ref, run.id)
            inputs.setdefault(artifact.key, artifact)
            events.setdefault((artifact.key, "INPUT"), EventPlan(artifact.key, "INPUT", ref.path))
        for file in run.outputs:
            artifact = _output(file)
            outputs.setdefault(artifact.key, artifact)
            events.setdefault(
                (artifact.key, "OUTPUT"), EventPlan(artifact.key, "OUTPUT", file.name)
            )
        planned.append(_run(run, tuple(events.values())))
    return ExportPlan(artifacts={**inputs, **outputs}, runs=tuple(planned))
