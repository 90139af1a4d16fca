"""``nbtrack show`` names the run that made each input, and marks unresolved refs with why."""

from __future__ import annotations

import json

from nbtrack.model import DataRef
from nbtrack.store.base import Store
from tests.helpers.cli import nbtrack
from tests.helpers.lineage import make_run, sha


def _rows(out: str) -> list[str]:
    return out.split("Data (")[1].split("\n\n")[0].splitlines()[1:]


def test_show_data_section_has_version_unresolved_reason_and_maker(store: Store) -> None:
    maker = make_run(store, "prepare", makes={"prepared.csv": b"p"})
    down = DataRef("s3://b/k", "s3", "", None, {"reason": "no credentials found"}, resolved=False)
    reader = make_run(store, "train", reads=[("data/prepared.csv", b"p"), down, ("raw", b"r")])

    code, out, _ = nbtrack("show", reader[:8])

    assert code == 0
    header, linked, unresolved, raw = _rows(out)
    assert header.split() == ["path", "kind", "version", "size", "made", "by"]
    assert linked.split() == [
        "data/prepared.csv",
        "file",
        sha(b"p")[:19],
        "1",
        "run",
        maker[:8],
        "(prepare)",
    ]
    assert "unresolved: no credentials found" in unresolved
    assert raw.split() == ["raw", "file", sha(b"r")[:19], "1"]


def test_show_json_gives_each_input_its_maker(store: Store) -> None:
    maker = make_run(store, "prepare", makes={"prepared.csv": b"p"})
    reader = make_run(store, "train", reads=[("in.csv", b"p"), ("raw", b"r")])

    document = json.loads(nbtrack("show", reader, "--format", "json").stdout)

    assert document["data"][0]["made_by"] == {
        "run_id": maker,
        "run_name": "prepare",
        "artifact": "prepared.csv",
        "step": None,
    }
    assert document["data"][1]["made_by"] is None
