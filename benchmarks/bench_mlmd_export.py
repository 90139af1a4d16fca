"""ML-Metadata export speed: ``export_runs`` of 1,000 runs, first and again (issue 13).

No target in the issue; the lane asked for the figure when 1,000 runs take long.

* ``export_runs`` of N runs (default 1,000; each 5 params, 3 metrics, one
  data ref and one artifact, every run reading the file the run before it
  wrote, so the lineage links them all) into a fresh MLMD SQLite file, as the
  ``nbtrack export mlmd`` door hands them (plain values);
* the same export again into that file: every run ``unchanged`` (the
  lookups by external id, nothing written);
* anchor in the same run: ml-metadata's own calls for the same graph the
  way MLMD's guide writes a run (one ``put_execution`` a run with its
  Artifacts and events, no lookups, no properties), into a fresh file. Each
  call is a SQLite transaction; the export batches runs into
  ``put_lineage_subgraph`` calls instead, which is why it can beat it.

Run it:

    .venv/bin/python benchmarks/bench_mlmd_export.py
    .venv/bin/python benchmarks/bench_mlmd_export.py --runs 200 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbtrack.integrations.mlmd.export import export_runs
from nbtrack.integrations.mlmd.mapping import MlmdFile, MlmdRun
from nbtrack.model import DataRef


def digest(i: int) -> str:
    return f"sha256:{i:064x}"


def make_runs(count: int) -> list[MlmdRun]:
    start = 1_700_000_000.0
    return [
        MlmdRun(
            id=f"{i:032x}",
            name=f"step-{i}",
            status="FINISHED",
            started_at=start + i,
            ended_at=start + i + 0.5,
            git_commit="0" * 40,
            notebook=f"nb{i % 10}.ipynb",
            params={"lr": 0.01 * i, "epochs": i, "opt": "sgd", "layers": [64, 32], "bn": True},
            metrics={"loss": 1 / (i + 1), "acc": 0.5, "val_acc": 0.4},
            inputs=(DataRef(path=f"data/{i - 1}.csv", kind="file", digest=digest(i), size=10),),
            outputs=(MlmdFile(f"{i}.csv", digest(i + 1), 10, "text/csv", f"/store/{i}"),),
        )
        for i in range(count)
    ]


def anchor(runs: list[MlmdRun], db: Path) -> None:
    """The same Executions, Artifacts and events with ml-metadata's calls alone."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2 as pb

    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(db)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)
    run_type = store.put_execution_type(pb.ExecutionType(name="Run"))
    file_type = store.put_artifact_type(pb.ArtifactType(name="File"))
    ids: dict[str, int] = {}
    for run in runs:
        execution = pb.Execution(type_id=run_type, external_id=run.id)
        for key, value in run.params.items():
            execution.custom_properties[key].string_value = str(value)
        pairs: list[tuple[Any, Any]] = []
        for key, kind in ((run.inputs[0].digest, pb.Event.INPUT), (run.outputs[0].digest, None)):
            artifact = pb.Artifact(type_id=file_type, uri=key, external_id=key)
            if key in ids:
                artifact.id = ids[key]
            pairs.append((artifact, pb.Event(type=kind or pb.Event.OUTPUT)))
        _, artifact_ids, _ = store.put_execution(execution, pairs, [])
        ids.update(zip((p[0].external_id for p in pairs), artifact_ids, strict=True))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = make_runs(args.runs)
    first, again, floor = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for attempt in range(args.repeat):
            db = Path(tmp) / f"export{attempt}.sqlite"
            first.append(timed(lambda: export_runs(runs, db)))  # noqa: B023
            result = export_runs(runs, db)
            assert {o.change for o in result.runs} == {"unchanged"}
            again.append(timed(lambda: export_runs(runs, db)))  # noqa: B023
            floor.append(timed(lambda: anchor(runs, Path(tmp) / f"anchor{attempt}.sqlite")))  # noqa: B023
    med = statistics.median
    print(f"{args.runs:,} runs, median of {args.repeat}")
    print(f"  export_runs, fresh store:   {med(first):.2f} s  {[round(t, 2) for t in first]}")
    print(f"  export_runs, again:         {med(again):.2f} s  {[round(t, 2) for t in again]}")
    print(f"  anchor (bare ml-metadata):  {med(floor):.2f} s  {[round(t, 2) for t in floor]}")
    print(f"  ratio export / anchor:      {med(first) / med(floor):.2f}x")
    print(
        f"  per run: {med(first) / args.runs * 1000:.2f} ms first, "
        f"{med(again) / args.runs * 1000:.2f} ms again"
    )


if __name__ == "__main__":
    main()
