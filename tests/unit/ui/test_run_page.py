"""The run page's sections built from a real store (no server): which runs the code
link offers, how events and cells read, a snapshot jupytext cannot read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.model import RunEvent, Source
from nbtrack.store import open_store
from nbtrack.store.base import Store
from nbtrack.ui import run_page
from tests.helpers.lineage import make_run
from tests.integration.ui.run_page_runs import plain_run


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    "notebook", ['nb/a "quoted" name.ipynb', "nb\\back\\slash.ipynb", "it's.ipynb"]
)
def test_the_code_link_offers_runs_of_the_same_notebook_the_one_before_chosen(
    store: Store, notebook: str
) -> None:
    first = plain_run(store, "first", started=100.0, notebook=notebook)
    second = plain_run(store, "second", started=200.0, notebook=notebook)
    plain_run(store, "other notebook", started=250.0, notebook="other.ipynb")
    third = plain_run(store, "third", started=300.0, notebook=notebook)
    reader = Reader(store, owned=False)
    choices = run_page._diff_choices(reader, reader.run(third))
    assert choices["same_notebook"] is True
    assert choices["chosen"] == second
    assert [r["id"] for r in choices["runs"]] == [second, first]
    # the oldest run has none before it: the newest other run of its notebook
    assert run_page._diff_choices(reader, reader.run(first))["chosen"] == third


def test_a_run_alone_offers_nothing_to_diff_against(store: Store) -> None:
    only = plain_run(store, "only", started=100.0)
    reader = Reader(store, owned=False)
    assert run_page._diff_choices(reader, reader.run(only)) == {
        "same_notebook": True,
        "chosen": None,
        "runs": [],
    }


def test_a_failed_cell_event_carries_its_cells_code_and_its_error(store: Store) -> None:
    run_id = plain_run(store, "failing", started=100.0)
    snapshot = "# %%\nx = 1\n\n# %%\n" + "".join(f"y{i} = {i}\n" for i in range(40))
    store.set_source(run_id, Source(path="train.ipynb", snapshot=snapshot))
    detail = {"exception": "KeyError", "message": "'lr'", "cell": 2, "execution_count": 5}
    store.add_event(run_id, RunEvent("cell_error", 150.0, detail))
    store.add_event(run_id, RunEvent("renamed", 160.0, {"previous": "old"}))
    run = store.get_run(run_id)
    cells, problem = run_page._cells(run)
    assert problem is None
    assert [(c["number"], c["type"], len(c["lines"])) for c in cells] == [
        (1, "code", 1),
        (2, "code", 40),
    ]
    failed, renamed = run_page._events(run, cells)
    assert failed["kind"] == "cell_error"
    assert failed["cell"] == 2
    assert failed["message"] == "KeyError: 'lr'"
    assert failed["code"][:2] == ["y0 = 0", "y1 = 1"]
    assert failed["code"][-1] == "... (10 more lines)"  # 30 lines, then how many more
    assert failed["detail"] == '{"execution_count": 5}'
    assert renamed["cell"] is None
    assert renamed["code"] is None
    assert renamed["detail"] == '{"previous": "old"}'


def test_a_run_without_a_snapshot_says_so(store: Store) -> None:
    run_id = plain_run(store, "no code", started=100.0)
    store.set_source(run_id, Source(path="train.ipynb", snapshot=None))
    cells, problem = run_page._cells(store.get_run(run_id))
    assert cells == []
    assert problem == "No code snapshot was stored for this run."


def test_the_lineage_section_leaves_out_a_run_that_copied_its_own_input(store: Store) -> None:
    prepare = make_run(store, "prepare", reads=[("raw.csv", b"same")], makes={"prep.csv": b"same"})
    train = make_run(store, "train", reads=[("prep.csv", b"same")])
    reader = Reader(store, owned=False)

    section = run_page._lineage(reader, reader.run(prepare))

    assert section["upstream"] == []
    assert [(r["id"], r["artifact"], r["read_as"]) for r in section["downstream"]] == [
        (train, "prep.csv", "prep.csv")
    ]
