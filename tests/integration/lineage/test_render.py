"""The renderers: a terminal tree, JSON with stable keys, dot that hostile names cannot break."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from xml.etree import ElementTree

import pytest

from nbtrack.compare.lineage import lineage
from nbtrack.compare.reader import Reader
from nbtrack.compare.render_lineage import lineage_dot, lineage_json, lineage_text
from nbtrack.store.base import Store
from tests.helpers.lineage import make_run, sha

HOSTILE = 'evil "name"\n} digraph x { <b>\\ \x1b[31m'


@pytest.fixture
def reader(store: Store) -> Reader:
    return Reader(store, owned=False)


def test_text_is_a_tree_up_and_down_with_the_leaves_named(store: Store, reader: Reader) -> None:
    make_run(store, "prepare", reads=[("raw.csv", b"raw")], makes={"prep.csv": b"p"})
    train = make_run(store, "train", reads=[("prep.csv", b"p")], makes={"m.pkl": b"m"})
    make_run(store, "eval", reads=[("models/m.pkl", b"m")])

    text = lineage_text(lineage(reader, train))

    lines = text.splitlines()
    assert lines[0].startswith(f"run {train[:8]}  train  FINISHED")
    assert "upstream (the data it read, and the runs that made it):" in lines
    assert any("prep.csv  sha256:" in line for line in lines)
    assert any("made by run" in line and "prepare" in line for line in lines)
    assert any("no run of this store made it" in line for line in lines)
    assert any(
        "read by run" in line and "eval" in line and "models/m.pkl" in line for line in lines
    )


def test_a_run_with_no_links_says_so(store: Store, reader: Reader) -> None:
    run = make_run(store, "alone")
    text = lineage_text(lineage(reader, run))
    assert "  (it tracked no data)" in text
    assert "  (no run read its artifacts)" in text


def test_json_has_nodes_and_edges_with_stable_keys(store: Store, reader: Reader) -> None:
    maker = make_run(store, "maker", makes={"p": b"p"})
    user = make_run(store, "user", reads=[("p", b"p")])

    first = lineage_json(lineage(reader, user))
    document = json.loads(first)

    assert first == lineage_json(lineage(reader, user))
    assert document["root"] == user
    assert {n["id"] for n in document["nodes"]} == {
        f"run:{maker}",
        f"run:{user}",
        f"data:{sha(b'p')}",
    }
    assert set(document["nodes"][0]) == {
        "id",
        "type",
        "run_id",
        "name",
        "status",
        "started_at",
        "notebook",
        "depth",
    }
    assert {(e["from"], e["to"], e["relation"]) for e in document["edges"]} == {
        (f"run:{maker}", f"data:{sha(b'p')}", "made"),
        (f"data:{sha(b'p')}", f"run:{user}", "read"),
    }


def _statements(dot: str) -> list[str]:
    """The dot text's lines between the braces: each must be one statement on one line."""
    lines = dot.splitlines()
    assert lines[0] == "digraph lineage {"
    assert lines[-1] == "}"
    return lines[1:-1]


def test_hostile_names_stay_inside_their_quoted_labels(store: Store, reader: Reader) -> None:
    maker = make_run(store, HOSTILE, makes={HOSTILE: b"p"})
    user = make_run(store, "user", reads=[(HOSTILE, b"p")])

    dot = lineage_dot(lineage(reader, user))

    quoted = r'"(?:[^"\\]|\\.)*"'
    # with every quoted string emptied, each line is a node, an edge or a graph setting
    attrs = r"\[(?:\w+=(?:\w+|\d+|\"\"), )*\w+=(?:\w+|\d+|\"\")\];"
    statement = re.compile(rf'^  (?:""(?: -> "")? {attrs}|rankdir=LR;|node {attrs})$')
    for line in _statements(dot):
        assert statement.match(re.sub(quoted, '""', line)), line
    assert "\x1b" not in dot
    assert f'"run:{maker}" [shape=box' in dot


def test_graphviz_renders_it_with_every_node_and_the_hostile_label_intact(
    store: Store, reader: Reader
) -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI"):  # .ci/run installs Graphviz: its absence there is a failure
            pytest.fail("Graphviz `dot` is not installed (.ci/run installs Debian's graphviz)")
        pytest.skip("Graphviz `dot` is not installed (apt-get install graphviz)")
    maker = make_run(store, HOSTILE, makes={"p": b"p"})
    user = make_run(store, "user", reads=[("p", b"p")])

    done = subprocess.run(
        ["dot", "-Tsvg"],
        input=lineage_dot(lineage(reader, user)),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    svg = "{http://www.w3.org/2000/svg}"
    groups = {
        g.findtext(f"{svg}title"): [t.text for t in g.iter(f"{svg}text")]
        for g in ElementTree.fromstring(done.stdout).iter(f"{svg}g")
        if g.get("class") == "node"
    }
    assert set(groups) == {f"run:{maker}", f"run:{user}", f"data:{sha(b'p')}"}
    # the label's three lines as drawn: the name's own line break and escape shown, not obeyed
    assert groups[f"run:{maker}"] == [
        maker[:8],
        'evil "name"\\n} digraph x { <b>\\ \\x1b[31m',
        "FINISHED",
    ]


def test_a_run_that_copies_its_input_is_not_its_own_maker(store: Store, reader: Reader) -> None:
    """raw.csv copied to prep.csv: one content, read and made by the same run."""
    prepare = make_run(store, "prepare", reads=[("raw.csv", b"same")], makes={"prep.csv": b"same"})
    train = make_run(store, "train", reads=[("prep.csv", b"same")])

    text = lineage_text(lineage(reader, train))

    made_by = [line for line in text.splitlines() if "made by run" in line]
    assert len(made_by) == 1, text
    assert prepare[:8] in made_by[0]
    assert "no run of this store made it" in text  # raw.csv: only prepare's own copy
    assert "(its inputs shown above)" not in text
