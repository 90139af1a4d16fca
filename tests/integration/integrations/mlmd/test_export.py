"""``nbtrack export mlmd``: real runs out into an ML-Metadata store, read back with MLMD's API."""

from __future__ import annotations

import math
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.model import DataRef, Source
from nbtrack.store import open_store
from tests.helpers.cli import Invoke
from tests.helpers.cli import nbtrack as run_nbtrack
from tests.helpers.mlmd_read import dump, open_mlmd, value

pytest.importorskip("ml_metadata")


@pytest.fixture
def invoke(store_url: str) -> Invoke:
    return partial(run_nbtrack, env={"NBTRACK_STORE": store_url})


@dataclass(frozen=True)
class Pipeline:
    """Two runs: ``prepare`` read raw.csv and wrote clean.csv; ``train`` read clean.csv."""

    prepare: str
    train: str
    clean_digest: str


@pytest.fixture
def pipeline(settings: Settings, store_url: str, in_project: Path) -> Pipeline:
    (in_project / "raw.csv").write_text("a,b\n1,2\n3,4\n")
    with nbtrack.start_run(
        name="prepare", settings=settings, source=Source(path="prepare.ipynb")
    ) as prepare:
        nbtrack.log_params({"frac": 0.5, "columns": ["a", "b"], "seed": 7})
        nbtrack.track_data("raw.csv")
        (in_project / "clean.csv").write_text("a\n1\n3\n")
        clean = nbtrack.log_artifact("clean.csv")
        nbtrack.log_metric("rows", 2.0)
    with nbtrack.start_run(
        name="train", settings=settings, source=Source(path="train.ipynb")
    ) as train:
        nbtrack.log_param("lr", 0.01)
        nbtrack.track_data("clean.csv")
        (in_project / "model.pkl").write_bytes(b"not really a model")
        nbtrack.log_artifact("model.pkl")
        nbtrack.log_metric("loss", 0.25, step=1)
        nbtrack.log_metric("nan_metric", math.nan)
        nbtrack.log_metric("f1", 1 / 3)  # more digits than MLMD's SQLite keeps
    store = open_store(store_url)
    try:  # a ref recorded while its server was down: unresolved, as track_data keeps it
        store.add_data_ref(
            train.id,
            DataRef(
                path="lakefs://repo/main/extra.parquet",
                kind="lakefs",
                digest="",
                size=None,
                detail={"reason": "connection refused"},
                resolved=False,
            ),
        )
    finally:
        store.close()
    return Pipeline(prepare=prepare.id, train=train.id, clean_digest=clean.digest)


def _by_external_id(nodes: list[object]) -> dict[str, object]:
    return {node.external_id: node for node in nodes}  # type: ignore[attr-defined]


def test_runs_become_executions_their_data_inputs_and_files_outputs_linked_by_digest(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path, store_url: str
) -> None:
    db = tmp_path / "mlmd.sqlite"
    code, stdout, err = invoke("export", "mlmd", "--db", str(db))
    assert code == 0, err
    assert [line.split("\t")[0] for line in stdout.splitlines()] == [
        pipeline.prepare,
        pipeline.train,
    ]
    assert "exported 2 run(s)" in err
    assert "2 new, 0 updated, 0 unchanged" in err

    mlmd = open_mlmd(db)
    executions = _by_external_id(mlmd.get_executions_by_type("nbtrack.Run"))
    assert set(executions) == {pipeline.prepare, pipeline.train}
    prepare, train = executions[pipeline.prepare], executions[pipeline.train]
    assert value(prepare, "name") == "prepare"
    assert value(prepare, "status") == "FINISHED"
    assert value(prepare, "notebook") == "prepare.ipynb"
    assert prepare.last_known_state == prepare.COMPLETE  # type: ignore[attr-defined]
    assert value(prepare, "param:frac", custom=True) == 0.5
    assert value(prepare, "param:seed", custom=True) == 7
    assert value(prepare, "param:columns", custom=True) == '["a", "b"]'
    assert value(train, "metric:loss", custom=True) == 0.25
    assert value(train, "metric:nan_metric", custom=True) == "nan"  # MLMD's SQLite has no NaN
    assert value(train, "metric:f1", custom=True) == 0.333333  # what MLMD keeps of a double
    assert float(value(train, "metric:f1:exact", custom=True)) == 1 / 3

    # clean.csv: one Artifact, written by prepare and read by train
    [clean] = mlmd.get_artifacts_by_external_ids([pipeline.clean_digest])
    assert mlmd.get_artifact_types_by_id([clean.type_id])[0].name == "nbtrack.File"
    assert Path(clean.uri).read_text() == "a\n1\n3\n"  # where the bytes are
    links = {
        (e.execution_id, e.type, e.path.steps[0].key)
        for e in mlmd.get_events_by_artifact_ids([clean.id])
    }
    event_type = type(mlmd.get_events_by_artifact_ids([clean.id])[0])
    assert links == {
        (prepare.id, event_type.OUTPUT, "clean.csv"),  # type: ignore[attr-defined]
        (train.id, event_type.INPUT, "clean.csv"),  # type: ignore[attr-defined]
    }

    train_events = mlmd.get_events_by_execution_ids([train.id])
    read = mlmd.get_artifacts_by_id([e.artifact_id for e in train_events if e.type == e.INPUT])
    inputs = {a.uri: a for a in read}
    unresolved = inputs["lakefs://repo/main/extra.parquet"]
    assert value(unresolved, "resolved") is False
    assert unresolved.state == unresolved.UNKNOWN
    assert value(unresolved, "detail:reason", custom=True) == "connection refused"
    [model] = mlmd.get_artifacts_by_id([e.artifact_id for e in train_events if e.type == e.OUTPUT])
    assert mlmd.get_artifact_types_by_id([model.type_id])[0].name == "nbtrack.Model"
    assert value(model, "display_name", custom=True) == "model.pkl"
    [raw] = [a for a in mlmd.get_artifacts_by_type("nbtrack.Dataset") if a.uri == "raw.csv"]
    assert value(raw, "kind") == "file"
    assert value(raw, "resolved") is True
    assert raw.state == raw.LIVE

    notebook = mlmd.get_context_by_type_and_name("nbtrack.Notebook", "train.ipynb")
    assert [e.id for e in mlmd.get_executions_by_context(notebook.id)] == [train.id]
    attributed = {a.id for a in mlmd.get_artifacts_by_context(notebook.id)}
    assert attributed == {a.id for a in read} | {model.id}


def test_a_second_export_changes_nothing_and_a_changed_run_is_updated(
    invoke: Invoke, pipeline: Pipeline, settings: Settings, tmp_path: Path, in_project: Path
) -> None:
    from ml_metadata.proto import metadata_store_pb2 as pb

    db = tmp_path / "mlmd.sqlite"
    assert invoke("export", "mlmd", "--db", str(db)).exit_code == 0
    before = dump(open_mlmd(db))

    code, stdout, err = invoke("export", "mlmd", "--db", str(db))
    assert code == 0, err
    assert [line.split("\t")[2] for line in stdout.splitlines()] == ["unchanged", "unchanged"]
    assert "0 new and 0 updated artifact(s), 0 new event(s)" in err
    assert dump(open_mlmd(db)) == before

    with nbtrack.start_run(name="evaluate", settings=settings) as running:
        nbtrack.track_data("clean.csv")
        assert running.flush()
        code, stdout, err = invoke("export", "mlmd", running.id, "--db", str(db))
        assert "0 new and 0 updated artifact(s), 1 new event(s)" in err  # clean.csv is there
        assert code == 0, err
        [execution] = open_mlmd(db).get_executions_by_external_ids([running.id])
        assert execution.last_known_state == execution.RUNNING
        (in_project / "report.txt").write_text("fine\n")
        nbtrack.log_artifact("report.txt")
        nbtrack.log_metric("acc", 0.75)
    code, stdout, err = invoke("export", "mlmd", running.id, "--db", str(db))
    assert code == 0, err
    assert stdout.split("\t")[2].strip() == "updated"
    assert "1 new and 0 updated artifact(s), 1 new event(s)" in err
    mlmd = open_mlmd(db)
    [execution] = mlmd.get_executions_by_external_ids([running.id])
    assert execution.last_known_state == execution.COMPLETE
    assert value(execution, "metric:acc", custom=True) == 0.75
    # clean.csv keeps the description its producer gave it: a reader exported alone adds no other
    [clean] = mlmd.get_artifacts_by_external_ids([pipeline.clean_digest])
    assert value(clean, "media_type") == "text/csv"
    assert Path(clean.uri).is_absolute()
    events = mlmd.get_events_by_execution_ids([execution.id])
    assert sorted(e.type for e in events) == sorted([pb.Event.INPUT, pb.Event.OUTPUT])
    assert len(mlmd.get_executions_by_type("nbtrack.Run")) == 3


def test_exporting_into_a_store_another_tool_wrote_keeps_its_types_and_nodes(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path
) -> None:
    from ml_metadata.proto import metadata_store_pb2 as pb

    db = tmp_path / "shared.sqlite"
    other = open_mlmd(db, create=True)
    file_type = pb.ArtifactType(name="nbtrack.File")
    file_type.properties["producer"] = pb.STRING  # a property nbtrack does not know
    other.put_artifact_type(file_type)
    model_type = other.put_artifact_type(pb.ArtifactType(name="Model"))
    [theirs] = other.put_artifacts([pb.Artifact(type_id=model_type, uri="gs://b/m")])
    del other

    code, _, err = invoke("export", "mlmd", "--db", str(db))
    assert code == 0, err
    mlmd = open_mlmd(db)
    [kept] = mlmd.get_artifacts_by_id([theirs])
    assert kept.uri == "gs://b/m"
    stored_type = mlmd.get_artifact_type("nbtrack.File")
    assert set(stored_type.properties) == {"producer", "digest", "size", "media_type", "step"}
    assert len(mlmd.get_executions_by_type("nbtrack.Run")) == 2


def test_a_type_of_the_same_name_with_other_property_kinds_is_refused_in_one_sentence(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path
) -> None:
    from ml_metadata.proto import metadata_store_pb2 as pb

    db = tmp_path / "shared.sqlite"
    other = open_mlmd(db, create=True)
    dataset = pb.ArtifactType(name="nbtrack.Dataset")
    dataset.properties["digest"] = pb.INT
    other.put_artifact_type(dataset)
    del other

    code, stdout, err = invoke("export", "mlmd", "--db", str(db))
    assert (code, stdout) == (2, "")
    assert err.strip() == (
        f"Error: --db {db} already has an MLMD type 'nbtrack.Dataset' of another shape"
        " ('digest' is INT where nbtrack writes STRING); export into another --db."
    )
    assert open_mlmd(db).get_executions() == []


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ("--where", "params.lr > 5"),
            "--where 'params.lr > 5' matches no runs; nothing to export",
        ),
        (
            ("nosuchrun", "--where", "status = 'FINISHED'"),
            "give runs to export or --where, not both",
        ),
    ],
)
def test_bad_selections_exit_2_with_one_sentence_and_write_nothing(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path, args: tuple[str, ...], sentence: str
) -> None:
    db = tmp_path / "mlmd.sqlite"
    code, stdout, err = invoke("export", "mlmd", *args, "--db", str(db))
    assert (code, stdout) == (2, "")
    assert err.strip() == f"Error: {sentence}"
    assert not db.exists()


def test_an_empty_store_exits_2_and_writes_nothing(invoke: Invoke, tmp_path: Path) -> None:
    db = tmp_path / "mlmd.sqlite"
    code, _, err = invoke("export", "mlmd", "--db", str(db))
    assert code == 2
    assert "has no runs; nothing to export" in err
    assert not db.exists()


def test_bad_db_paths_exit_2_with_one_sentence(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database " * 200)
    cases = {
        str(tmp_path): "is a directory; give the path of an MLMD SQLite file.",
        str(tmp_path / "no" / "such" / "m.sqlite"): "does not exist.",
        str(junk): "cannot be opened as an MLMD store: ",
        "/proc/nbtrack-mlmd.sqlite": "cannot be opened as an MLMD store: ",
    }
    for db, phrase in cases.items():
        code, stdout, err = invoke("export", "mlmd", "--db", db)
        assert (code, stdout) == (2, ""), (db, err)
        [line] = err.strip().splitlines()
        assert line.startswith(f"Error: --db {db}"), line
        assert phrase in line, line
    assert junk.read_text() == "not a database " * 200


def test_a_sqlite_file_of_something_else_is_refused_and_left_as_it_was(
    invoke: Invoke, pipeline: Pipeline, tmp_path: Path
) -> None:
    other = tmp_path / "app.sqlite"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE users (name TEXT)")
    connection.commit()
    connection.close()
    before = other.read_bytes()

    code, stdout, err = invoke("export", "mlmd", "--db", str(other))
    assert (code, stdout) == (2, "")
    assert err.strip() == (
        f"Error: --db {other} is a SQLite database of something else (1 table(s), no MLMD"
        " schema); give a new file or an MLMD store."
    )
    assert other.read_bytes() == before


def test_without_ml_metadata_the_command_names_the_extra_to_install(
    pipeline: Pipeline, tmp_path: Path, store_url: str, in_project: Path
) -> None:
    child = (
        "import sys\n"
        "sys.modules['ml_metadata'] = None  # as if the extra were not installed\n"
        "from nbtrack.cli import main\n"
        "main(['export', 'mlmd', '--db', sys.argv[1]])\n"
    )
    db = tmp_path / "mlmd.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", child, str(db)],
        cwd=in_project,
        env={**os.environ, "NBTRACK_STORE": store_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "needs the ml-metadata package, which is not installed" in done.stderr
    assert "pip install 'nbtrack[mlmd]'" in done.stderr
    assert "protobuf<5" in done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists()
