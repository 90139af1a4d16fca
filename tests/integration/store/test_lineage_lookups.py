"""``Store.artifacts_with_digests`` / ``data_refs_with_digests`` on SQLite and PostgreSQL."""

from __future__ import annotations

from nbtrack.model import DataRef
from nbtrack.store.base import Store
from tests.helpers.lineage import make_run, sha


def test_artifacts_with_a_digest_are_found_newest_first_with_their_run(store: Store) -> None:
    first = make_run(store, "first", makes={"model.pkl": b"w", "other.txt": b"o"})
    second = make_run(store, "second", makes={"copy.pkl": b"w"})

    found = store.artifacts_with_digests([sha(b"w")])

    assert [(u.run_id, u.name, u.run_name) for u in found] == [
        (second, "copy.pkl", "second"),
        (first, "model.pkl", "first"),
    ]
    assert {u.digest for u in found} == {sha(b"w")}


def test_data_refs_with_a_digest_name_the_path_and_kind_the_run_gave(store: Store) -> None:
    reader = make_run(store, "reader", reads=[("data/prepared.csv", b"rows")])

    (use,) = store.data_refs_with_digests([sha(b"rows")])

    assert (use.run_id, use.name, use.kind, use.step) == (reader, "data/prepared.csv", "file", None)
    assert store.data_refs_with_digests([sha(b"other")]) == []


def test_soft_deleted_runs_are_left_out_unless_asked(store: Store) -> None:
    gone = make_run(store, "gone", makes={"m": b"x"}, reads=[("in", b"y")])
    store.delete_run(gone, 10.0)

    assert store.artifacts_with_digests([sha(b"x")]) == []
    assert store.data_refs_with_digests([sha(b"y")]) == []
    assert [u.run_id for u in store.artifacts_with_digests([sha(b"x")], deleted=True)] == [gone]
    assert [u.run_id for u in store.data_refs_with_digests([sha(b"y")], deleted=True)] == [gone]


def test_an_unresolved_ref_with_its_empty_digest_matches_nothing(store: Store) -> None:
    unresolved = DataRef("s3://b/k", "s3", "", None, {"reason": "no credentials"}, resolved=False)
    make_run(store, "r", reads=[unresolved, unresolved])

    assert store.data_refs_with_digests([""]) == []


def test_more_digests_than_one_query_holds_are_all_answered(store: Store) -> None:
    contents = [f"file {i}".encode() for i in range(1203)]
    run = make_run(store, "many", makes={f"f{i}": c for i, c in enumerate(contents)})

    found = store.artifacts_with_digests([sha(c) for c in contents])

    assert len(found) == 1203
    assert {u.run_id for u in found} == {run}
