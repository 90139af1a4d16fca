"""What runs become in ML-Metadata, decided without ml-metadata: keys, types, values, the plan."""

from __future__ import annotations

import math

import pytest

from nbtrack.integrations.mlmd.mapping import (
    DATASET,
    FILE,
    MODEL,
    MlmdFile,
    MlmdRun,
    artifact_key,
    execution_state,
    mlmd_value,
    output_type,
    plan,
)
from nbtrack.model import DataRef

SHA = "sha256:" + "ab" * 32


def test_equal_content_digests_are_one_artifact_whatever_the_path() -> None:
    assert artifact_key(SHA, "data/a.csv", run_id="r1") == SHA
    assert artifact_key(SHA, "elsewhere/b.csv", run_id="r2") == SHA
    assert artifact_key("md5:0f0f", "data/a.csv", run_id="r1") == "md5:0f0f"


def test_a_version_a_system_names_is_keyed_by_its_uri_too() -> None:
    assert artifact_key("delta:3", "data/events", run_id="r") == "data/events@delta:3"
    assert artifact_key("delta:3", "data/other", run_id="r") != "data/events@delta:3"


def test_an_unresolved_ref_is_an_artifact_of_its_run_alone() -> None:
    uri = "lakefs://repo/main/x.parquet"
    assert artifact_key("", uri, run_id="r1") != artifact_key("", uri, run_id="r2")


def test_a_key_longer_than_mlmd_keeps_is_hashed_to_a_stable_short_one() -> None:
    uri = "s3://bucket/" + "k" * 400
    key = artifact_key("etag:abc", uri, run_id="r")
    assert key.startswith("nbtrack:")
    assert len(key) <= 255
    assert key == artifact_key("etag:abc", uri, run_id="r")
    assert key != artifact_key("etag:abd", uri, run_id="r")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("model.onnx", MODEL),
        ("weights/best.safetensors", MODEL),
        ("checkpoint.PT", MODEL),
        ("model.pkl", MODEL),
        ("rf_model.joblib", MODEL),
        ("frame.pkl", FILE),  # a pickle is a model only when its name says so
        ("metrics.csv", FILE),
        ("model_card.md", FILE),
    ],
)
def test_output_type_by_model_file_suffix(name: str, kind: str) -> None:
    assert output_type(name) == kind


def test_values_mlmd_cannot_keep_become_text() -> None:
    assert mlmd_value(math.nan) == "nan"
    assert mlmd_value(-math.inf) == "-inf"
    assert mlmd_value(2**70) == str(2**70)
    assert mlmd_value([1, "a"]) == '[1, "a"]'
    assert mlmd_value({"b": 1, "a": None}) == '{"a": null, "b": 1}'
    assert mlmd_value(True) is True
    assert mlmd_value(3) == 3
    assert mlmd_value(0.5) == 0.5


def test_a_float_mlmd_would_round_keeps_its_exact_text_beside_it() -> None:
    run = MlmdRun(
        id="r",
        name=None,
        status="FINISHED",
        started_at=0.0,
        params={"lr": 3e-7, "momentum": 0.9},
        metrics={"loss": 1 / 3},
    )
    [planned] = plan([run]).runs
    assert planned.custom == {
        "param:lr": 0.0,  # MLMD writes six decimals
        "param:lr:exact": "3e-07",
        "param:momentum": 0.9,  # kept as is: no exact text needed
        "metric:loss": 0.333333,
        "metric:loss:exact": repr(1 / 3),
    }
    assert float(planned.custom["metric:loss:exact"]) == 1 / 3


def test_run_statuses_map_to_execution_states() -> None:
    assert [execution_state(s) for s in ("RUNNING", "FINISHED", "FAILED", "CRASHED", "KILLED")] == [
        "RUNNING",
        "COMPLETE",
        "FAILED",
        "FAILED",
        "CANCELED",
    ]


def _ref(path: str, digest: str = SHA) -> DataRef:
    return DataRef(path=path, kind="file", digest=digest, size=3, resolved=bool(digest))


def test_an_artifact_written_by_one_run_and_read_by_another_keeps_the_writers_description() -> None:
    # the reader started first: the writer's description still wins
    reader = MlmdRun(
        id="b", name="train", status="FINISHED", started_at=1.0, inputs=(_ref("c.csv"),)
    )
    writer = MlmdRun(
        id="a",
        name="prepare",
        status="FINISHED",
        started_at=2.0,
        outputs=(MlmdFile("clean.csv", SHA, 3, "text/csv", "/store/ab/cd"),),
    )
    planned = plan([writer, reader])
    assert [run.key for run in planned.runs] == ["b", "a"]  # oldest first
    [artifact] = planned.artifacts.values()
    assert (artifact.type_name, artifact.uri, artifact.written) == (FILE, "/store/ab/cd", True)
    assert [(e.key, e.kind, e.path) for e in planned.runs[0].events] == [(SHA, "INPUT", "c.csv")]
    assert [(e.kind, e.path) for e in planned.runs[1].events] == [("OUTPUT", "clean.csv")]


def test_a_run_reading_and_writing_the_same_bytes_has_both_events_on_one_artifact() -> None:
    run = MlmdRun(
        id="a",
        name=None,
        status="RUNNING",
        started_at=1.0,
        inputs=(_ref("x.bin"), _ref("copy/x.bin")),
        outputs=(MlmdFile("x.bin", SHA, 3, "application/octet-stream", "/s/x"),),
    )
    planned = plan([run])
    assert list(planned.artifacts) == [SHA]
    assert [e.kind for e in planned.runs[0].events] == ["INPUT", "OUTPUT"]


def test_a_run_plan_holds_properties_params_and_metrics_apart() -> None:
    run = MlmdRun(
        id="r",
        name="n",
        status="FINISHED",
        started_at=1.5,
        ended_at=None,
        notebook="nb.ipynb",
        params={"lr": 0.1, "layers": [2, 3]},
        metrics={"loss": math.inf},
        inputs=(_ref("lakefs://repo/main/x", digest=""),),
    )
    [planned] = plan([run]).runs
    assert planned.properties == {
        "name": "n",
        "status": "FINISHED",
        "start_time_since_epoch": 1500,
        "notebook": "nb.ipynb",
    }
    assert planned.custom == {"param:lr": 0.1, "param:layers": "[2, 3]", "metric:loss": "inf"}
    assert (planned.state, planned.notebook) == ("COMPLETE", "nb.ipynb")
    [artifact] = plan([run]).artifacts.values()
    assert (artifact.type_name, artifact.live) == (DATASET, False)
    assert artifact.properties == {"kind": "file", "digest": "", "resolved": False, "size": 3}
