"""``compare.lineage``: the walk up and down, depth, diamonds, cycles, leaves, non-links."""

from __future__ import annotations

import pytest

from nbtrack.compare.lineage import lineage, producers
from nbtrack.compare.reader import Reader
from nbtrack.model import DataRef
from nbtrack.store.base import Store
from tests.helpers.lineage import make_run, sha


@pytest.fixture
def reader(store: Store) -> Reader:
    return Reader(store, owned=False)


def _run_ids(graph_runs: object) -> set[str]:
    return {r.id for r in graph_runs}  # type: ignore[attr-defined]


def test_a_chain_links_by_content_even_under_another_name(store: Store, reader: Reader) -> None:
    prepare = make_run(store, "prepare", reads=[("raw.csv", b"raw")], makes={"prep.csv": b"p"})
    train = make_run(store, "train", reads=[("copied/renamed.csv", b"p")], makes={"m.pkl": b"m"})
    evaluate = make_run(store, "eval", reads=[("m.pkl", b"m")])

    graph = lineage(reader, train[:8])

    depths = {r.id: r.depth for r in graph.runs}
    assert depths == {prepare: -1, train: 0, evaluate: 1}
    made = {d.id: d.made for d in graph.data}
    assert made == {
        f"data:{sha(b'raw')}": False,
        f"data:{sha(b'p')}": True,
        f"data:{sha(b'm')}": True,
    }
    assert (f"run:{prepare}", f"data:{sha(b'p')}", "made", "prep.csv") in {
        (e.source, e.target, e.relation, e.name) for e in graph.edges
    }
    assert (f"data:{sha(b'p')}", f"run:{train}", "read", "copied/renamed.csv") in {
        (e.source, e.target, e.relation, e.name) for e in graph.edges
    }
    assert not graph.truncated


def test_depth_stops_the_walk_and_says_so(store: Store, reader: Reader) -> None:
    a = make_run(store, "a", makes={"1": b"1"})
    b = make_run(store, "b", reads=[("1", b"1")], makes={"2": b"2"})
    c = make_run(store, "c", reads=[("2", b"2")], makes={"3": b"3"})
    d = make_run(store, "d", reads=[("3", b"3")])

    up = lineage(reader, d, depth=1, direction="up")
    assert _run_ids(up.runs) == {c, d}
    assert up.truncated
    full = lineage(reader, d, depth=3, direction="up")
    assert _run_ids(full.runs) == {a, b, c, d}
    assert not full.truncated
    down = lineage(reader, a, depth=2, direction="down")
    assert _run_ids(down.runs) == {a, b, c}
    assert down.truncated


def test_a_diamond_reads_each_run_once(store: Store, reader: Reader) -> None:
    source = make_run(store, "source", makes={"x": b"x", "y": b"y"})
    left = make_run(store, "left", reads=[("x", b"x")], makes={"l": b"l"})
    right = make_run(store, "right", reads=[("y", b"y")], makes={"r": b"r"})
    join = make_run(store, "join", reads=[("l", b"l"), ("r", b"r")])

    graph = lineage(reader, join)

    assert sorted(r.id for r in graph.runs) == sorted([source, left, right, join])
    assert {r.id: r.depth for r in graph.runs}[source] == -2
    assert len(graph.edges) == len(set(graph.edges))


def test_runs_that_read_each_others_files_end_the_walk(store: Store, reader: Reader) -> None:
    one = make_run(store, "one", reads=[("b", b"B")], makes={"a": b"A"})
    two = make_run(store, "two", reads=[("a", b"A")], makes={"b": b"B"})

    graph = lineage(reader, one, depth=50)

    assert _run_ids(graph.runs) == {one, two}
    assert not graph.truncated


def test_unresolved_and_non_content_refs_are_leaves(store: Store, reader: Reader) -> None:
    # an artifact whose digest text equals what a Delta version would say must not link
    make_run(store, "maker", makes={"t": b"t"})
    down = DataRef("s3://b/k", "s3", "", None, {"reason": "no credentials"}, resolved=False)
    delta = DataRef("data/events", "delta", "delta:3", None, {"version": 3})
    run = make_run(store, "reader", reads=[down, delta])

    graph = lineage(reader, run)

    assert _run_ids(graph.runs) == {run}
    by_kind = {d.kind: d for d in graph.data}
    assert by_kind["s3"].reason == "no credentials"
    assert not by_kind["s3"].resolved
    assert by_kind["delta"].id == "data:data/events@delta:3"
    assert not by_kind["delta"].made


def test_producers_name_the_newest_maker_and_not_the_reader_itself(
    store: Store, reader: Reader
) -> None:
    make_run(store, "old", makes={"p": b"p"})
    new = make_run(store, "new", makes={"p": b"p"})
    reading = make_run(store, "reading", reads=[("p", b"p")])

    found = producers(reader, reader.run(reading).data, exclude=reading)

    assert found[sha(b"p")].run_id == new
    assert found[sha(b"p")].run_name == "new"
    assert producers(reader, reader.run(new).data) == {}


def test_depth_below_one_is_refused(store: Store, reader: Reader) -> None:
    run = make_run(store, "r")
    with pytest.raises(ValueError, match="depth must be at least 1"):
        lineage(reader, run, depth=0)
