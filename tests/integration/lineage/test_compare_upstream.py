"""``nbtrack compare``'s Data section names the run that made an input (text, markdown, JSON)."""

from __future__ import annotations

import json

from nbtrack.model import DataRef
from nbtrack.store.base import Store
from tests.helpers.cli import nbtrack
from tests.helpers.lineage import make_run, sha


def test_compare_names_the_maker_of_each_runs_input(store: Store) -> None:
    old = make_run(store, "prepare v1", makes={"prepared.csv": b"v1"})
    new = make_run(store, "prepare v2", makes={"prepared.csv": b"v2"})
    down = DataRef("data.csv", "s3", "", None, {"reason": "timed out"}, resolved=False)
    a = make_run(store, "train a", reads=[("data.csv", b"v1")])
    b = make_run(store, "train b", reads=[("data.csv", b"v2")])
    c = make_run(store, "train c", reads=[down])

    code, out, _ = nbtrack("compare", a, b, c)

    assert code == 0
    (row,) = [line for line in out.splitlines() if line.strip().startswith("data.csv")]
    assert f"{sha(b'v1')[:15]}  made by run {old[:8]} (prepare v1)" in row
    assert f"{sha(b'v2')[:15]}  made by run {new[:8]} (prepare v2)" in row
    assert row.rstrip().endswith("unresolved")

    markdown = nbtrack("compare", a, b, "--format", "markdown").stdout
    assert f"made by run {new[:8]} (prepare v2)" in markdown

    document = json.loads(nbtrack("compare", a, b, c, "--format", "json").stdout)
    (data,) = document["data"]
    assert [r["made_by_run"] for r in data["runs"]] == [old, new, None]
    assert [r["resolved"] for r in data["runs"]] == [True, True, False]
