"""A sweep's plan: --grid's cartesian product, --sample's draws, tags, names, and bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from nbtrack.errors import NotebookError, ParamError, UsageError
from nbtrack.execute.sweep import (
    NOT_STARTED,
    RunOutcome,
    check_plan,
    parse_grid,
    parse_range,
    plan_sweep,
)
from tests.helpers.notebooks import PYTHON3, code, write_notebook

PARAMS = "lr = 0.1\nepochs = 3\nopt = 'adam'\nlayers = [64]\nseed = 0"


@pytest.fixture
def nb(tmp_path: Path) -> Path:
    path = tmp_path / "train.ipynb"
    write_notebook(path, code(PARAMS, tags=["parameters"]), "print(lr)", kernelspec=PYTHON3)
    return path


def test_grid_is_the_cartesian_product_in_the_order_given_each_run_tagged_and_named(
    nb: Path,
) -> None:
    plan = plan_sweep(nb, grid=["lr=0.001,0.01,0.1", "epochs=5,10"], base_params={"seed": 7})

    assert [run.params for run in plan.runs] == [
        {"seed": 7, "lr": lr, "epochs": epochs} for lr in (0.001, 0.01, 0.1) for epochs in (5, 10)
    ]
    assert plan.notebook == nb.resolve()
    assert plan.swept == ("lr", "epochs")
    assert plan.swept_values(plan.runs[3]) == {"lr": 0.01, "epochs": 10}
    assert len(plan.sweep_id) == 8
    int(plan.sweep_id, 16)  # hex
    assert [run.index for run in plan.runs] == list(range(6))
    assert [run.name for run in plan.runs] == [f"{plan.sweep_id}-{i}" for i in range(6)]
    assert plan.runs[4].tags == {"sweep": plan.sweep_id, "sweep.index": "4"}
    assert plan.seed is None


def test_every_plan_has_its_own_id_and_name_and_tags_carry_over(nb: Path) -> None:
    one = plan_sweep(nb, grid=["lr=1,2"], name="lr-scan", tags={"team": "vision"})
    two = plan_sweep(nb, grid=["lr=1,2"])

    assert one.sweep_id != two.sweep_id
    assert [run.name for run in one.runs] == ["lr-scan-0", "lr-scan-1"]
    assert one.runs[1].tags == {"team": "vision", "sweep": one.sweep_id, "sweep.index": "1"}


def test_grid_values_are_read_as_python_literals_split_outside_brackets_and_quotes() -> None:
    assert parse_grid("layers=[64,32],[128]") == ("layers", [[64, 32], [128]])
    assert parse_grid("opt=adam,'s,gd', \"x\"") == ("opt", ["adam", "s,gd", "x"])
    assert parse_grid("flag=True,None,1e-3") == ("flag", [True, None, 0.001])
    assert parse_grid("pair=(1, 2),{'a': 1}") == ("pair", [(1, 2), {"a": 1}])


def test_sample_draws_from_ranges_and_grids_repeatably_with_a_seed(nb: Path) -> None:
    kwargs = {
        "sample": 40,
        "ranges": ["lr=1e-4:1e-1:log", "epochs=3:5:int", "seed=0.5:1.5"],
        "grid": ["opt=adam,sgd"],
    }
    plan = plan_sweep(nb, seed=11, **kwargs)  # type: ignore[arg-type]
    again = plan_sweep(nb, seed=11, **kwargs)  # type: ignore[arg-type]

    values = [run.params for run in plan.runs]
    assert values == [run.params for run in again.runs]
    assert len(values) == 40
    assert all(1e-4 <= v["lr"] <= 1e-1 for v in values)
    # log-uniform: about as many draws below 1e-2.5 as above it
    assert 8 <= sum(v["lr"] < 10**-2.5 for v in values) <= 32
    assert {v["epochs"] for v in values} == {3, 4, 5}  # both ends included
    assert all(isinstance(v["epochs"], int) for v in values)
    assert all(0.5 <= v["seed"] <= 1.5 and isinstance(v["seed"], float) for v in values)
    assert {v["opt"] for v in values} == {"adam", "sgd"}
    assert plan.seed == 11
    assert plan.runs[0].tags["sweep.seed"] == "11"


def test_sample_without_a_seed_records_the_one_it_drew_with(nb: Path) -> None:
    plan = plan_sweep(nb, sample=3, ranges=["lr=0:1"])
    assert plan.seed is not None
    again = plan_sweep(nb, sample=3, ranges=["lr=0:1"], seed=plan.seed)
    assert [r.params for r in plan.runs] == [r.params for r in again.runs]
    assert all(r.tags["sweep.seed"] == str(plan.seed) for r in plan.runs)


def test_parse_range_kinds() -> None:
    name, bounds = parse_range("lr=1e-4:1e-1:log")
    assert (name, bounds.low, bounds.high, bounds.kind) == ("lr", 1e-4, 0.1, "log")
    assert parse_range("x=-1:1")[1].kind == "uniform"
    assert parse_range("n=3:10:int")[1].kind == "int"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"grid": ["lr"]}, ParamError, "--grid 'lr' has no '='"),
        ({"grid": ["lr="]}, ParamError, "--grid 'lr=' has an empty value"),
        ({"grid": ["lr=1,,2"]}, ParamError, "--grid 'lr=1,,2' has an empty value"),
        ({"grid": ["2x=1,2"]}, ParamError, "'2x' is not a valid Python identifier"),
        ({"grid": ["momentum=0.9"]}, ParamError, "does not define momentum"),
        ({"grid": ["lr=1", "lr=2"]}, ParamError, "lr is swept twice"),
        ({"grid": ["lr=1"], "base_params": {"lr": 2}}, ParamError, "set with -p and swept"),
        ({"grid": ["lr=1"], "tags": {"sweep": "x"}}, UsageError, "--tag sweep=... is set by"),
        ({"ranges": ["lr=0:1"]}, UsageError, "give --sample N too"),
        ({}, UsageError, "A sweep needs --grid"),
        ({"sample": 3}, UsageError, "--sample 3 draws from --range or --grid"),
        ({"sample": 0, "grid": ["lr=1"]}, UsageError, "--sample 0: the number of runs"),
        ({"grid": ["lr=1,2"], "seed": 3}, UsageError, "--seed sets the draws of --sample"),
        ({"sample": 2, "ranges": ["lr=1"]}, ParamError, "must look like NAME=LOW:HIGH"),
        ({"sample": 2, "ranges": ["lr=2:1"]}, ParamError, "'lr=2:1': LOW must be below HIGH"),
        ({"sample": 2, "ranges": ["lr=0:1:log"]}, ParamError, "a log range needs LOW above 0"),
        ({"sample": 2, "ranges": ["lr=a:1"]}, ParamError, "'a' is not a number"),
        ({"sample": 2, "ranges": ["lr=0:inf"]}, ParamError, "'inf' is not a finite number"),
        ({"sample": 2, "ranges": ["lr=0:1:exp"]}, ParamError, "the kind 'exp' is not one of"),
        ({"sample": 2, "ranges": ["epochs=1.5:3:int"]}, ParamError, "needs whole LOW and HIGH"),
        ({"grid": ["lr=" + ",".join(["1"] * 101), "epochs=" + ",".join(["1"] * 100)]},
         UsageError, "make 10100 runs, more than 10000"),
    ],
)  # fmt: skip
def test_bad_sweep_input_is_one_sentence_naming_the_option_and_value(
    nb: Path, kwargs: dict[str, object], error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as raised:
        plan_sweep(nb, **kwargs)  # type: ignore[arg-type]
    assert words in str(raised.value)
    assert str(raised.value).count("\n") == 0


def test_a_notebook_that_is_missing_or_has_no_parameters_cell_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="does not exist"):
        plan_sweep(tmp_path / "nope.ipynb", grid=["lr=1,2"])
    bare = tmp_path / "bare.ipynb"
    write_notebook(bare, "lr = 0.1", kernelspec=PYTHON3)
    with pytest.raises(ParamError, match="has no parameters cell"):
        plan_sweep(bare, grid=["lr=1,2"])


def test_plan_and_outcome_are_picklable_for_other_processes(nb: Path) -> None:
    plan = plan_sweep(nb, grid=["layers=[1],[2,3]"])
    assert pickle.loads(pickle.dumps(plan)) == plan
    outcome = RunOutcome(1, None, NOT_STARTED, 0.0, "stopped")
    assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_check_plan_warns_once_of_a_value_of_another_type_and_refuses_a_bad_file(
    nb: Path, tmp_path: Path
) -> None:
    plan = plan_sweep(nb, grid=["lr=abc,0.1", "epochs=1,2"])
    warnings = check_plan(plan)
    assert warnings == [
        "-p lr='abc' is a str, but the parameters cell's default for lr is a float (0.1)."
    ]

    unknown = tmp_path / "params.yaml"
    unknown.write_text("momentum: 0.9\n")
    with pytest.raises(ParamError, match="momentum"):
        check_plan(plan, unknown)
    with pytest.raises(ParamError, match=r"missing\.yaml"):
        check_plan(plan, tmp_path / "missing.yaml")
