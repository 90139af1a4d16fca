"""Parameters: parsing -p items, loading files, flattening, injecting after the parameters cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbtrack.errors import ParamError
from nbtrack.notebook import (
    INJECTED_MARKER,
    INJECTED_TAG,
    ResolvedParams,
    cell_origin,
    find_parameters_cell,
    flatten_params,
    inject_parameters,
    literal_assignments,
    load_param_file,
    parse_param_assignments,
    resolve_params,
)
from nbtrack.notebook.document import Notebook
from tests.helpers.notebooks import code, load, markdown, notebook


def _nb(*cells: Any) -> Notebook:
    return load(notebook(*cells), "train.ipynb")


def test_parse_param_assignments_reads_literals_and_keeps_other_text() -> None:
    params = parse_param_assignments(
        ["lr=0.1", "name=adam", "layers=[64,32]", "flag=True", "path=data/x.csv", "empty="]
    )
    assert params == {
        "lr": 0.1,
        "name": "adam",
        "layers": [64, 32],
        "flag": True,
        "path": "data/x.csv",
        "empty": "",
    }


def test_parse_param_assignments_value_may_contain_equals() -> None:
    assert parse_param_assignments(["query=a=b"]) == {"query": "a=b"}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("lr", r"'lr' has no '='"),
        ("1lr=3", r"'1lr' in '1lr=3' is not a valid Python identifier"),
        ("class=3", r"'class'.*not a valid Python identifier"),
        ("=3", r"'' in '=3'"),
    ],
)
def test_malformed_param_items_are_named(item: str, message: str) -> None:
    with pytest.raises(ParamError, match=message):
        parse_param_assignments([item])


def test_load_param_file_reads_yaml_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("lr: 0.1\noptimizer:\n  name: adam\n")
    (tmp_path / "p.toml").write_text('lr = 0.1\n[optimizer]\nname = "adam"\n')
    (tmp_path / "p.json").write_text('{"lr": 0.1, "optimizer": {"name": "adam"}}')
    expected = {"lr": 0.1, "optimizer": {"name": "adam"}}
    for name in ("p.yaml", "p.toml", "p.json"):
        assert load_param_file(tmp_path / name) == expected


def test_yaml_dates_become_iso_strings(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("start: 2024-01-31\n")
    assert load_param_file(tmp_path / "p.yml") == {"start": "2024-01-31"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.yaml", "- 1\n- 2\n", r"list\.yaml must hold a mapping.*not a list"),
        ("scalar.json", "3", r"scalar\.json must hold a mapping.*not a int"),
        ("bad.json", "{", r"bad\.json is not valid JSON"),
        ("bad.toml", "x = = 1", r"bad\.toml is not valid TOML"),
        ("bad.yaml", "a: [1,\n", r"bad\.yaml is not valid YAML"),
        ("p.ini", "x=1", r"p\.ini: parameter files must end in"),
        ("keys.yaml", "1: a\n", r"keys\.yaml: 1 is not a valid parameter name"),
    ],
)
def test_load_param_file_errors_name_the_file(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ParamError, match=message):
        load_param_file(tmp_path / name)


def test_load_param_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match=r"none\.yaml does not exist"):
        load_param_file(tmp_path / "none.yaml")


def test_flatten_params_uses_dotted_keys() -> None:
    nested = {"optimizer": {"lr": 0.1, "betas": [0.9, 0.99]}, "epochs": 3, "empty": {}}
    assert flatten_params(nested) == {
        "optimizer.lr": 0.1,
        "optimizer.betas": [0.9, 0.99],
        "epochs": 3,
        "empty": {},
    }


def test_parameters_cell_is_found_by_tag_or_by_track_params_magic() -> None:
    tagged = _nb(markdown("# t"), code("import os"), code("lr = 1", tags=["parameters"]))
    assert find_parameters_cell(tagged) == 2
    magic = _nb(code("import os"), code("# params\n%%track_params\nlr = 1"))
    assert find_parameters_cell(magic) == 1
    assert find_parameters_cell(_nb(code("lr = 1"))) is None


def test_injection_adds_one_tagged_cell_right_after_the_parameters_cell() -> None:
    nb = _nb(
        code("import os"),
        code("lr = 0.1\nepochs = 10\nname = 'sgd'", tags=["parameters"]),
        code("print(lr)"),
    )

    out = inject_parameters(nb, {"lr": 0.5, "name": "adam"})

    assert len(out.cells) == 4
    injected = out.cells[2]
    assert injected.tags == (INJECTED_TAG,)
    assert injected.source.splitlines()[0] == INJECTED_MARKER
    assert literal_assignments(injected.source) == {"lr": 0.5, "name": "adam"}
    assert [c.index for c in out.cells] == [0, 1, 2, 3]
    assert out.cells[3].source == "print(lr)"
    assert len(nb.cells) == 3  # the original value is untouched


def test_injecting_twice_replaces_the_earlier_injected_cell() -> None:
    nb = _nb(code("lr = 0.1", tags=["parameters"]), code("print(lr)"))
    twice = inject_parameters(inject_parameters(nb, {"lr": 0.5}), {"lr": 0.7})
    assert len(twice.cells) == 3
    assert literal_assignments(twice.cells[1].source) == {"lr": 0.7}


def test_injection_into_a_track_params_cell() -> None:
    nb = _nb(code("%%track_params\nlr = 0.1\nepochs = 5"), code("print(lr)"))
    out = inject_parameters(nb, {"epochs": 1})
    assert literal_assignments(out.cells[1].source) == {"epochs": 1}


def test_injecting_without_a_parameters_cell_is_an_error_naming_the_notebook() -> None:
    nb = _nb(code("lr = 0.1"))
    with pytest.raises(ParamError) as info:
        inject_parameters(nb, {"lr": 0.5})
    assert str(info.value) == (
        "train.ipynb has no parameters cell (tag a cell `parameters` or start it with "
        "%%track_params), so -p lr cannot be injected"
        "."
    )


def test_injecting_an_undefined_name_lists_the_names_the_cell_defines() -> None:
    nb = _nb(code("lr = 0.1\nepochs = 3\nmodel = build()", tags=["parameters"]))
    with pytest.raises(ParamError, match=r"does not define 'lrr'.*it defines: lr, epochs, model"):
        inject_parameters(nb, {"lrr": 0.5})


def test_values_that_are_not_literals_cannot_be_injected() -> None:
    nb = _nb(code("when = None", tags=["parameters"]))
    with pytest.raises(ParamError, match=r"'when' has a value that is not a Python literal"):
        inject_parameters(nb, {"when": object()})


def test_non_finite_floats_are_injected_as_float_calls() -> None:
    nb = _nb(code("limit = 1.0", tags=["parameters"]))
    out = inject_parameters(nb, {"limit": float("inf")})
    assert "limit = float('inf')" in out.cells[1].source


def test_cell_origin_maps_each_run_cell_to_the_users_cell_and_none_to_the_injected() -> None:
    nb = _nb(markdown("# train"), code("lr = 0.1", tags=["parameters"]), code("print(lr)"))
    assert cell_origin(nb, inject_parameters(nb, {})) == (0, 1, 2)
    assert cell_origin(nb, inject_parameters(nb, {"lr": 0.5})) == (0, 1, None, 2)


def test_cell_origin_skips_a_cell_an_earlier_run_injected() -> None:
    nb = inject_parameters(
        _nb(code("lr = 0.1", tags=["parameters"]), code("print(lr)")), {"lr": 0.5}
    )  # as saved by an earlier run: the user's file now holds an injected cell
    rerun = inject_parameters(nb, {"lr": 0.7})
    assert cell_origin(nb, rerun) == (0, None, 2)
    assert cell_origin(nb, nb) == (0, 1, 2)  # nothing injected: the old cell runs as it is


def test_resolve_params_layers_defaults_files_and_cli_keeping_each_source(tmp_path: Path) -> None:
    nb = _nb(code("lr = 0.1\nepochs = 3\nseed = 0\nname = 'a'", tags=["parameters"]))
    (tmp_path / "a.yaml").write_text("epochs: 5\nseed: 1\n")
    (tmp_path / "b.json").write_text('{"seed": 2}')

    resolved = resolve_params(
        nb,
        defaults={"lr": 0.01, "name": "base", "undefined": 1},
        files=[tmp_path / "a.yaml", tmp_path / "b.json"],
        cli={"lr": 0.5},
    )

    assert resolved == ResolvedParams(
        values={"lr": 0.5, "name": "base", "epochs": 5, "seed": 2},
        sources={"lr": "cli", "name": "config", "epochs": "file", "seed": "file"},
    )
    assert resolve_params(nb) == ResolvedParams({}, {})


def test_resolve_params_names_the_source_of_a_name_the_cell_does_not_define(
    tmp_path: Path,
) -> None:
    nb = _nb(code("lr = 0.1", tags=["parameters"]))
    (tmp_path / "p.yaml").write_text("lrr: 0.5\n")
    with pytest.raises(ParamError, match=r"does not define 'lrr', so 'lrr' cannot be injected"):
        resolve_params(nb, files=[tmp_path / "p.yaml"], cli={"lr": 0.5})
    with pytest.raises(ParamError, match=r"does not define 'lrr', so -p lrr cannot be injected"):
        resolve_params(nb, cli={"lrr": 0.5})
    # defaults from configuration are for notebooks that define the name; never an error
    assert resolve_params(_nb(code("x = 1")), defaults={"lr": 1}).values == {}


def test_a_value_of_another_type_than_the_cells_default_is_one_warning_each(
    tmp_path: Path,
) -> None:
    nb = _nb(
        code(
            "lr = 0.1\nepochs = 3\nshuffle = True\nlayers = [8]\nseed = None\nname = 'a'",
            tags=["parameters"],
        )
    )
    (tmp_path / "p.yaml").write_text("name: 7\n")
    same_kind = {"lr": 1, "epochs": 2.5, "layers": (4, 4), "seed": "x"}
    assert resolve_params(nb, cli=same_kind).warnings == ()
    resolved = resolve_params(nb, files=[tmp_path / "p.yaml"], cli={"lr": "abc", "shuffle": 0})
    assert resolved.values["lr"] == "abc"  # injected as given
    assert resolved.warnings == (
        "name = 7 from the parameter file is an int, but the parameters cell's default for "
        "name is a str ('a').",
        "-p lr='abc' is a str, but the parameters cell's default for lr is a float (0.1).",
        "-p shuffle=0 is an int, but the parameters cell's default for shuffle is a bool (True).",
    )
