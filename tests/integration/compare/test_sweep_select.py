"""``compare --sweep ID``, ``runs --sweep ID``: a sweep's runs by id or prefix, both stores."""

from __future__ import annotations

import json
import uuid

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.compare.sweeps import in_sweep_order, quote, sweep_where
from nbtrack.errors import UsageError
from nbtrack.model import Param, ParamSource, RunStatus
from nbtrack.store import Store
from tests.helpers.cli import nbtrack

#: a sweep's runs started out of order (side by side), and runs of other sweeps
RUNS = [
    # (sweep, index, lr, started)
    ("5d1e0a3b", "1", 0.01, 10.0),
    ("5d1e0a3b", "0", 0.001, 11.0),
    ("5d1e0a3b", "2", 0.1, 12.0),
    ("5d2f9c01", "0", 0.5, 13.0),
    ("5d2f9c01", "1", 0.7, 14.0),
    ("a'b", "0", 0.3, 15.0),
    ("a'b", "1", 0.4, 16.0),
]


@pytest.fixture
def seeded(store: Store) -> dict[tuple[str, str], str]:
    ids = {}
    for sweep, index, lr, started in RUNS:
        run_id = uuid.uuid4().hex
        store.create_run(
            run_id=run_id,
            name=f"{sweep}-{index}",
            started_at=started,
            tags={"sweep": sweep, "sweep.index": index},
        )
        store.log_params(run_id, [Param("lr", lr, ParamSource.CLI)])
        store.end_run(run_id, RunStatus.FINISHED, started + 1)
        ids[sweep, index] = run_id
    store.create_run(run_id=uuid.uuid4().hex, name="lonely", started_at=1.0)
    return ids


def test_quote_makes_a_string_of_the_where_language() -> None:
    assert quote("plain") == "'plain'"
    assert quote("a'b\\c") == "'a\\'b\\\\c'"


def test_an_exact_id_a_unique_prefix_and_a_quote_in_a_hand_made_sweep_id(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    with Reader(store, owned=False) as reader:
        exact = sweep_where(reader, "5d1e0a3b")
        assert exact == "tags.sweep = '5d1e0a3b'"
        assert sweep_where(reader, "5d1e") == exact
        assert sweep_where(reader, "5d2", "params.lr > 0.6") == (
            "tags.sweep = '5d2f9c01' and (params.lr > 0.6)"
        )
        listed = reader.runs(where=sweep_where(reader, "a'b"))
        assert {run.id for run in listed} == {seeded["a'b", "0"], seeded["a'b", "1"]}


def test_a_prefix_of_two_sweeps_or_of_none_is_a_usage_error_naming_it(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    with Reader(store, owned=False) as reader:
        with pytest.raises(UsageError, match=r"'5d' is the start of 2 sweeps: 5d1e0a3b, 5d2f9c01"):
            sweep_where(reader, "5d")
        with pytest.raises(UsageError, match=r"No run has the sweep id 'ffff' \(tags.sweep\)"):
            sweep_where(reader, "ffff")
        with pytest.raises(UsageError, match="No run has the sweep id '5_'"):
            sweep_where(reader, "5_")  # a wildcard in the prefix matches itself only
        with pytest.raises(UsageError, match="--sweep needs a sweep id"):
            sweep_where(reader, " ")


def test_runs_of_a_sweep_come_in_sweep_order_whatever_order_they_started(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    ids = [seeded["5d1e0a3b", i] for i in ("2", "1", "0")]
    with Reader(store, owned=False) as reader:
        ordered = in_sweep_order(reader, ids, "tags.sweep = '5d1e0a3b'")
    assert ordered == [seeded["5d1e0a3b", i] for i in ("0", "1", "2")]


def test_compare_sweep_compares_its_runs_with_its_first_run_as_the_baseline(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    code, out, err = nbtrack("compare", "--sweep", "5d1e", "--format", "json", "--no-code")

    assert code == 0, err
    shown = [run["id"] for run in json.loads(out)["runs"]]
    assert shown == [seeded["5d1e0a3b", i] for i in ("0", "1", "2")]


def test_compare_sweep_with_where_and_its_bad_uses(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    code, out, err = nbtrack(
        "compare", "--sweep", "5d1e", "--where", "params.lr > 0.005", "--format", "json"
    )
    assert code == 0, err
    assert len(json.loads(out)["runs"]) == 2

    code, _, err = nbtrack("compare", "--sweep", "5d", "--no-code")
    assert code == 2
    assert "Error: The sweep id '5d' is the start of 2 sweeps" in err
    code, _, err = nbtrack("compare", "--sweep", "5d1e", "x1")
    assert (code, err.strip()) == (2, "Error: give runs to compare or --sweep, not both")


def test_runs_sweep_lists_the_sweep_and_says_when_there_is_none(
    store: Store, seeded: dict[tuple[str, str], str]
) -> None:
    code, out, err = nbtrack("runs", "--sweep", "5d2f", "--format", "json")
    assert code == 0, err
    assert {run["name"] for run in json.loads(out)} == {"5d2f9c01-0", "5d2f9c01-1"}

    code, out, err = nbtrack("runs", "--sweep", "0000")
    assert code == 2
    assert "Error: No run has the sweep id '0000'" in err
