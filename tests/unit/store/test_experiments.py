"""Runs belong to an experiment: stored, read back, filtered, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nbtrack.errors import QueryError
from nbtrack.model import RunStatus
from nbtrack.store.base import Store
from nbtrack.store.sql_read import experiment_names

T0 = 1_700_000_000.0


def _add(store: Store, run_id: str, experiment: str | None, started: float) -> None:
    store.create_run(run_id=run_id, name=run_id[:4], started_at=started, experiment=experiment)
    store.end_run(run_id, RunStatus.FINISHED, started + 1)


@pytest.fixture
def mixed(store: Store) -> Store:
    _add(store, "a" * 32, "churn", T0 + 1)
    _add(store, "b" * 32, "vision", T0 + 2)
    _add(store, "c" * 32, "churn", T0 + 3)
    _add(store, "d" * 32, None, T0 + 4)  # the settings' experiment
    _add(store, "e" * 32, "a 'quoted' name", T0 + 5)
    return store


def _ids(runs: list[object]) -> list[str]:
    return [r.id[0] for r in runs]  # type: ignore[attr-defined]


def test_runs_carry_their_experiment(mixed: Store) -> None:
    default = mixed.settings.experiment  # type: ignore[attr-defined]
    assert mixed.get_run("a" * 32).experiment == "churn"
    assert mixed.get_run("d" * 32).experiment == default
    listed = {r.id[0]: r.experiment for r in mixed.list_runs()}
    assert listed == {
        "a": "churn",
        "b": "vision",
        "c": "churn",
        "d": default,
        "e": "a 'quoted' name",
    }


def test_list_count_and_page_filter_by_experiment(mixed: Store) -> None:
    assert _ids(mixed.list_runs(experiment="churn")) == ["c", "a"]
    assert _ids(mixed.list_runs(experiment=["vision", "churn"])) == ["c", "b", "a"]
    assert _ids(mixed.list_runs(experiment="a 'quoted' name")) == ["e"]
    assert mixed.list_runs(experiment="nobody") == []
    assert len(mixed.list_runs(experiment="*")) == 5
    assert mixed.count_runs(experiment="churn") == 2
    assert mixed.count_runs(experiment=("churn", "vision")) == 3
    page, total = mixed.list_page(experiment="churn", limit=1)
    assert (_ids(page), total) == (["c"], 2)
    page, total = mixed.list_page(experiment="churn", limit=1, offset=1)
    assert (_ids(page), total) == (["a"], 2)
    # with a --where and soft deletion, the filters add up
    assert _ids(mixed.list_runs(experiment="churn", where="name = cccc")) == ["c"]
    mixed.delete_run("c" * 32, T0 + 10)
    assert _ids(mixed.list_runs(experiment="churn")) == ["a"]
    assert _ids(mixed.list_runs(experiment="churn", deleted=True)) == ["c"]
    assert _ids(mixed.list_runs(experiment="churn", deleted="all")) == ["c", "a"]
    assert mixed.count_runs(experiment="churn", deleted="all") == 2


def test_where_language_knows_experiment(mixed: Store) -> None:
    assert _ids(mixed.list_runs(where="experiment = churn")) == ["c", "a"]
    assert _ids(mixed.list_runs(where="experiment != churn and experiment != vision")) == [
        "e",
        "d",
    ]
    assert _ids(mixed.list_runs(where="experiment contains 'quoted'")) == ["e"]
    assert _ids(mixed.list_runs(where="experiment = churn or experiment = vision")) == [
        "c",
        "b",
        "a",
    ]
    assert _ids(mixed.list_runs(sort=["experiment"], where="experiment like 'c%'")) == ["c", "a"]
    with pytest.raises(QueryError, match="experiment is text"):
        mixed.list_runs(where="experiment < 3")


def test_experiment_names_are_checked() -> None:
    assert experiment_names(None) == ()
    assert experiment_names("churn") == ("churn",)
    assert experiment_names(("b", "a", "b")) == ("b", "a")
    assert experiment_names(("b", "*")) == ()  # every experiment
    with pytest.raises(ValueError, match="non-empty name"):
        experiment_names(["churn", " "])


def test_one_experiment_listing_uses_the_index(store: Store) -> None:
    """EXPLAIN QUERY PLAN of the listing SQL on SQLite names ix_runs_experiment_started."""
    from nbtrack.store import sql_read

    engine = store.engine  # type: ignore[attr-defined]
    if engine.dialect.name != "sqlite":
        pytest.skip(
            "EXPLAIN QUERY PLAN is SQLite's (benchmarks/bench_experiments.py prints it too)"
        )
    for i in range(50):
        _add(store, f"{i:032x}", "churn" if i % 5 else "other", T0 + i)
    q = sql_read.RunQuery.parse(None, (), False, "churn")
    stmt = sql_read._filtered(q, 0.0).order_by(
        sql_read.runs.c.started_at.desc(), sql_read.runs.c.id.desc()
    )
    compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = connection.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    text = " | ".join(str(row[-1]) for row in plan)
    assert "ix_runs_experiment_started" in text, text
    listed = store.list_runs(experiment="churn", limit=2)
    assert [r.id for r in listed] == [f"{49:032x}", f"{48:032x}"]
