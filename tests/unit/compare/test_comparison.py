"""``compare_runs``: what a comparison of stored runs holds, on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from nbtrack.compare.comparison import compare_runs, metric_direction, select_runs
from nbtrack.compare.reader import Reader
from nbtrack.errors import MetricError, RunNotFoundError, UsageError
from nbtrack.store.base import Store
from tests.helpers.comparison import add_run


@pytest.fixture
def reader(store: Store) -> Reader:
    return Reader(store, owned=False)


@pytest.mark.parametrize(
    ("key", "direction"),
    [
        ("loss", "lower"),
        ("val_loss", "lower"),
        ("valLoss", "lower"),
        ("test/error_rate", "lower"),
        ("rmse", "lower"),
        ("epoch_time", "lower"),
        ("inference-latency-ms", "lower"),
        ("perplexity", "lower"),
        ("val_acc", "higher"),
        ("accuracy_top5", "higher"),
        ("roc_auc", "higher"),
        ("F1", "higher"),
        ("r2", "higher"),
        ("mAP", "higher"),
        ("bleu", "higher"),
        ("iou", "higher"),
        ("top5/err", "lower"),
        ("lr", None),
        ("epoch", None),
        ("grad_norm", None),
    ],
)
def test_the_direction_of_a_metric_comes_from_the_words_of_its_name(
    key: str, direction: str | None
) -> None:
    assert metric_direction(key) == direction


def test_the_first_run_is_the_baseline_and_only_params_that_differ_are_shown(
    store: Store, reader: Reader
) -> None:
    a = add_run(store, "base", params={"lr": 0.1, "epochs": 5, "seed": 1})
    b = add_run(store, "fast", params={"lr": 0.01, "epochs": 5, "seed": 1, "dropout": 0.2})

    c = compare_runs(reader, [b[:10], a[:10]])

    assert [run.id for run in c.runs] == [b, a]
    assert c.baseline.name == "fast"
    assert [row.key for row in c.params] == ["dropout", "lr"]
    dropout, lr = c.params
    assert [(cell.value, cell.changed) for cell in lr.cells] == [(0.01, False), (0.1, True)]
    assert [(cell.present, cell.changed) for cell in dropout.cells] == [
        (True, False),
        (False, True),
    ]

    every = compare_runs(reader, [a, b], all_params=True)
    assert [row.key for row in every.params] == ["epochs", "lr", "seed", "dropout"]
    assert every.params[0].cells[1].changed is False


def test_metrics_have_last_best_with_its_step_min_max_and_deltas_against_the_baseline(
    store: Store, reader: Reader
) -> None:
    a = add_run(store, "a", metrics={"val_acc": [0.5, 0.8, 0.7], "val_loss": [1.0, 0.4, 0.6]})
    b = add_run(store, "b", metrics={"val_acc": [0.6, 0.9, 0.84], "val_loss": [0.9, 0.5, 0.9]})

    c = compare_runs(reader, [a, b])

    acc, loss = c.metrics
    assert (acc.key, acc.direction, acc.direction_source) == ("val_acc", "higher", "name")
    base, other = acc.runs
    assert base is not None
    assert other is not None
    assert (base.last, base.best, base.best_step, base.min, base.max) == (0.7, 0.8, 1, 0.5, 0.8)
    assert base.delta_last is None
    assert base.verdict is None
    assert other.delta_last == pytest.approx(0.14)
    assert other.relative_last == pytest.approx(0.14 / 0.7)
    assert other.delta_best == pytest.approx(0.1)
    assert (other.verdict, other.verdict_best) == ("better", "better")
    lb, lo = loss.runs
    assert lb is not None
    assert lo is not None
    assert (loss.direction, lb.best, lb.best_step, lo.best, lo.best_step) == (
        "lower",
        0.4,
        1,
        0.5,
        1,
    )
    assert (lo.verdict, lo.verdict_best) == ("worse", "worse")


def test_unknown_direction_gives_no_best_and_no_verdict_unless_told(
    store: Store, reader: Reader
) -> None:
    a = add_run(store, "a", metrics={"grad_norm": [3.0, 1.0, 2.0]})
    b = add_run(store, "b", metrics={"grad_norm": [1.0, 4.0]})

    (row,) = compare_runs(reader, [a, b]).metrics
    assert (row.direction, row.direction_source) == (None, "unknown")
    other = row.runs[1]
    assert other is not None
    assert (other.best, other.verdict, other.delta_last) == (None, None, 2.0)

    (told,) = compare_runs(reader, [a, b], minimize=["grad_norm"]).metrics
    assert (told.direction, told.direction_source) == ("lower", "minimize")
    assert [(s.best, s.best_step, s.verdict) for s in told.runs if s] == [
        (1.0, 1, None),
        (1.0, 0, "worse"),
    ]
    (flipped,) = compare_runs(reader, [a, b], maximize=["grad_norm"]).metrics
    assert flipped.runs[1] is not None
    assert flipped.runs[1].verdict == "better"


def test_nan_and_inf_points_neither_crash_nor_count_as_best(store: Store, reader: Reader) -> None:
    a = add_run(store, "a", metrics={"loss": [math.nan, 0.5, math.nan]})
    b = add_run(store, "b", metrics={"loss": [math.inf, 0.25, math.inf]})
    nan_only = add_run(store, "c", metrics={"loss": [math.nan]})

    (row,) = compare_runs(reader, [a, b, nan_only]).metrics
    first, second, third = row.runs
    assert first is not None
    assert second is not None
    assert third is not None
    assert math.isnan(first.last)
    assert (first.best, first.best_step) == (0.5, 1)
    assert (second.last, second.best, second.max) == (math.inf, 0.25, math.inf)
    # a non-finite last has no delta, but a finite best does
    assert (second.delta_last, second.verdict) == (None, None)
    assert (second.delta_best, second.verdict_best) == (-0.25, "better")
    assert third.best is None
    assert math.isnan(third.min)
    assert third.verdict_best is None


def test_a_run_without_metrics_compares_and_shows_none_for_each_metric(
    store: Store, reader: Reader
) -> None:
    a = add_run(store, "empty")
    b = add_run(store, "full", metrics={"val_acc": [0.9]})

    (row,) = compare_runs(reader, [a, b]).metrics
    assert row.runs[0] is None
    assert row.runs[1] is not None
    assert row.runs[1].delta_last is None
    assert row.runs[1].verdict is None


def test_data_refs_are_same_changed_or_only_in_some_runs(store: Store, reader: Reader) -> None:
    a = add_run(store, "a", data=[("data/train.csv", "sha256:1"), ("data/test.csv", "sha256:2")])
    b = add_run(
        store,
        "b",
        data=[
            ("data/train.csv", "sha256:1"),
            ("data/test.csv", "sha256:3"),
            ("extra.csv", "sha256:4"),
        ],
    )

    rows = {row.path: row for row in compare_runs(reader, [a, b]).data}

    assert {path: row.status for path, row in rows.items()} == {
        "data/train.csv": "same",
        "data/test.csv": "changed",
        "extra.csv": "partial",
    }
    assert rows["data/test.csv"].digests == ("sha256:2", "sha256:3")
    assert rows["extra.csv"].digests == (None, "sha256:4")


def test_git_state_and_the_packages_whose_versions_differ(store: Store, reader: Reader) -> None:
    a = add_run(store, "a", packages={"numpy": "1.26.0", "pandas": "2.1.0", "rich": "13.0"})
    b = add_run(
        store,
        "b",
        packages={"numpy": "2.0.0", "pandas": "2.1.0", "torch": "2.3.0"},
        commit="d" * 40,
        dirty=True,
    )
    uncaptured = add_run(store, "c", packages={}, commit=None, dirty=None)

    c = compare_runs(reader, [a, b, uncaptured])

    assert [(r.git_commit, r.git_dirty) for r in c.runs] == [
        ("c0ffee" + "0" * 34, False),
        ("d" * 40, True),
        (None, None),
    ]
    assert [(p.name, p.versions) for p in c.packages] == [
        ("numpy", ("1.26.0", "2.0.0", None)),
        ("rich", ("13.0", None, None)),
        ("torch", (None, "2.3.0", None)),
    ]
    assert c.packages_captured == (True, True, False)


def test_the_code_diff_compares_the_runs_snapshots_cell_by_cell(
    store: Store, reader: Reader
) -> None:
    old = "# %%\nimport math\n\n# %%\nlr = 0.1\n\n# %% [markdown]\n# Train\n"
    new = "# %%\nimport math\n\n# %%\nlr = 0.01\n\n# %% [markdown]\n# Train\n\n# %%\nprint(lr)\n"
    a = add_run(store, "a", snapshot=old)
    b = add_run(store, "b", snapshot=new, notebook="other.ipynb")
    same = add_run(store, "same", snapshot=old)
    none = add_run(store, "none", snapshot=None)

    c = compare_runs(reader, [a, b, same, none])

    changed, unchanged, missing = c.code
    assert changed.run == 1
    assert changed.diff is not None
    assert changed.diff.counts() == {"added": 1, "deleted": 0, "modified": 1, "moved": 0}
    modified = next(cell for cell in changed.diff.cells if cell.status == "modified")
    assert "-lr = 0.1" in modified.source_diff
    assert "+lr = 0.01" in modified.source_diff
    assert c.notebooks == ("train.ipynb", "other.ipynb")
    assert unchanged.same
    assert missing.diff is None
    assert "no code snapshot stored for run none" in missing.note
    assert compare_runs(reader, [a, b], code=False).code == ()


def test_select_runs_takes_the_newest_matches_and_lists_them_oldest_first(
    store: Store, reader: Reader
) -> None:
    ids = [add_run(store, f"sweep-{i}", params={"lr": i}) for i in range(4)]
    add_run(store, "other")

    assert select_runs(reader, "name like 'sweep-%'") == (ids, 4)
    assert select_runs(reader, "name like 'sweep-%'", limit=2) == (ids[2:], 4)
    with pytest.raises(UsageError, match="matches only 1 run; compare needs at least two"):
        select_runs(reader, "name = 'other'")


def test_bad_input_is_one_sentence_naming_what_is_wrong(store: Store, reader: Reader) -> None:
    a = add_run(store, "a", metrics={"val_acc": [0.5]})
    b = add_run(store, "b", metrics={"val_acc": [0.6]})

    with pytest.raises(UsageError, match="compare needs at least two runs, got only run"):
        compare_runs(reader, [a])
    with pytest.raises(RunNotFoundError, match="ffffff"):
        compare_runs(reader, [a, "ffffff"])
    with pytest.raises(UsageError, match="is given twice"):
        compare_runs(reader, [a, a[:8]])
    with pytest.raises(MetricError, match=r"logged a metric 'val_ac' \(their metrics: 'val_acc'\)"):
        compare_runs(reader, [a, b], metrics=["val_ac"])
    with pytest.raises(UsageError, match="'val_acc' is given both to maximize and to minimize"):
        compare_runs(reader, [a, b], maximize=["val_acc"], minimize=["val_acc"])
    with pytest.raises(MetricError, match="'acc' given to maximize"):
        compare_runs(reader, [a, b], maximize=["acc"])
