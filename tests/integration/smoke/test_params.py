"""-p / -f / config params are injected after the parameters cell; errors are exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.notebooks import code, write_notebook

from .conftest import Invoke

PARAMS_NB = [
    code("epochs = 100\nname = 'sgd'\nlayers = [512, 512]", count=1, tags=["parameters"]),
    code(
        "import json, pathlib\n"
        "pathlib.Path('seen.json').write_text(json.dumps({'epochs': epochs, 'name': name,"
        " 'layers': layers}))",
        count=2,
    ),
]


def _seen(project: Path) -> dict[str, object]:
    import json

    data = json.loads((project / "seen.json").read_text())
    assert isinstance(data, dict)
    return data


def test_p_values_are_injected_as_literals_or_strings(project: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(project / "train.ipynb", *PARAMS_NB)

    out = nbtrack_cli(
        "smoke", "train.ipynb", "-p", "epochs=1", "-p", "name=adam", "-p", "layers=[8]"
    )

    assert out.exit_code == 0, out.text
    assert _seen(project) == {"epochs": 1, "name": "adam", "layers": [8]}


def test_a_p_value_of_another_type_than_its_default_is_warned_about_and_run(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "train.ipynb", *PARAMS_NB)

    out = nbtrack_cli("smoke", "train.ipynb", "-p", "epochs=abc", "-p", "name=adam")

    assert out.exit_code == 0, out.text
    assert _seen(project)["epochs"] == "abc"  # run as given
    warned = [line for line in out.stdout.splitlines() if "epochs" in line]
    assert warned == [
        "  warning: -p epochs='abc' is a str, but the parameters cell's default for epochs "
        "is an int (100)."
    ]


def test_track_params_cell_is_a_parameters_cell_too(project: Path, nbtrack_cli: Invoke) -> None:
    pytest.importorskip("nbtrack.magics")
    write_notebook(
        project / "train.ipynb",
        "%load_ext nbtrack",
        "%%track_params\nepochs = 100\nname = 'sgd'\nlayers = [1]",
        PARAMS_NB[1],
    )

    out = nbtrack_cli("smoke", "train.ipynb", "-p", "epochs=2")

    assert out.exit_code == 0, out.text
    assert _seen(project)["epochs"] == 2


def test_a_param_file_and_config_defaults(project: Path, nbtrack_cli: Invoke) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.nbtrack.smoke]\nparams = { epochs = 3, unused = 1 }\n'
        '\n[[tool.nbtrack.smoke.notebook]]\nglob = "train*.ipynb"\nparams = { name = "cfg" }\n'
    )
    (project / "fast.yaml").write_text("layers: [4, 4]\n")
    write_notebook(project / "train.ipynb", *PARAMS_NB)

    out = nbtrack_cli("smoke", "train.ipynb", "-f", "fast.yaml")

    assert out.exit_code == 0, out.text
    assert _seen(project) == {"epochs": 3, "name": "cfg", "layers": [4, 4]}
    out = nbtrack_cli("smoke", "train.ipynb", "-f", "fast.yaml", "-p", "epochs=9")
    assert _seen(project)["epochs"] == 9


def test_failure_cell_numbers_refer_to_the_users_notebook_not_the_injected_one(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "train.ipynb",
        code("epochs = 1", count=1, tags=["parameters"]),
        code("assert epochs < 5", count=2),
    )

    out = nbtrack_cli("smoke", "train.ipynb", "-p", "epochs=10")

    assert out.exit_code == 1
    assert out.stdout.startswith("FAILED train.ipynb  cell 2 (In [2]), line 1: AssertionError")


@pytest.mark.parametrize(
    ("cells", "args", "message"),
    [
        (
            [code("lr = 0.1", count=1)],
            ["-p", "lr=0.5"],
            "Error: train.ipynb has no parameters cell (tag a cell `parameters` or start it with "
            "%%track_params), so -p lr cannot be injected.",
        ),
        (
            [code("lr = 0.1\nepochs = 2", count=1, tags=["parameters"])],
            ["-p", "lrr=0.5"],
            "Error: train.ipynb: the parameters cell (cell 1 (In [1])) does not define 'lrr', so "
            "-p lrr cannot be injected; it defines: lr, epochs.",
        ),
        (
            [code("lr = 0.1", count=1, tags=["parameters"])],
            ["-p", "lr"],
            "Error: Parameter 'lr' has no '='; write it as NAME=VALUE (e.g. lr=0.1).",
        ),
        (
            [code("lr = 0.1", count=1, tags=["parameters"])],
            ["-f", "missing.yaml"],
            "Error: Parameter file missing.yaml does not exist.",
        ),
    ],
)
def test_parameter_errors_exit_2_before_anything_runs(
    project: Path, nbtrack_cli: Invoke, cells: list[object], args: list[str], message: str
) -> None:
    write_notebook(project / "train.ipynb", *cells)  # type: ignore[arg-type]

    out = nbtrack_cli("smoke", "train.ipynb", *args)

    assert out.exit_code == 2
    assert out.stderr.strip() == message
    assert out.stdout == ""
