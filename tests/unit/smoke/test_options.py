"""[tool.nbtrack.smoke]: validated once, every error naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtrack.errors import ConfigError
from nbtrack.smoke.options import load_smoke_config, project_smoke_config


def test_per_glob_defaults_layer_over_global_params(tmp_path: Path) -> None:
    config = load_smoke_config(
        {
            "timeout": 600,
            "params": {"epochs": 2, "seed": 0},
            "notebook": [
                {"glob": "notebooks/train*.ipynb", "params": {"epochs": 1}, "cell_timeout": 30},
                {"glob": "other/*.ipynb", "params": {"epochs": 9}},
            ],
        },
        tmp_path,
    )
    params, timeout, cell_timeout = config.defaults_for(tmp_path / "notebooks" / "train_a.ipynb")
    assert params == {"epochs": 1, "seed": 0}
    assert (timeout, cell_timeout) == (600.0, 30.0)
    params, _, cell_timeout = config.defaults_for(tmp_path / "notebooks" / "eval.ipynb")
    assert params == {"epochs": 2, "seed": 0}
    assert cell_timeout is None


def test_exclude_globs(tmp_path: Path) -> None:
    config = load_smoke_config({"exclude": ["scratch/*"]}, tmp_path)
    assert config.excluded(tmp_path / "scratch" / "a.ipynb")
    assert not config.excluded(tmp_path / "a.ipynb")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"timeuot": 1}, "unknown key 'timeuot'"),
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"include": "data"}, "include must be a list of strings"),
        ({"params": {"1x": 1}}, "params has '1x'"),
        ({"notebook": [{"params": {}}]}, "notebook entry 1 needs glob"),
        ({"notebook": [{"glob": "*", "tiemout": 1}]}, "unknown key 'tiemout'"),
        ({"strict": "yes"}, "strict must be true or false"),
    ],
)
def test_bad_config_is_one_sentence_naming_the_key(
    tmp_path: Path, table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_smoke_config(table, tmp_path)


def test_config_is_read_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtrack.smoke]\ninclude = ["data/*.csv"]\n\n'
        '[[tool.nbtrack.smoke.notebook]]\nglob = "*.ipynb"\nparams = { epochs = 1 }\n'
    )
    config = project_smoke_config(tmp_path)
    assert config.include == ("data/*.csv",)
    assert config.defaults_for(tmp_path / "x.ipynb")[0] == {"epochs": 1}
