"""--isolate in a real git repository, and tracking with the nbtrack magics inside a smoke run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.git import git
from tests.helpers.notebooks import code, write_notebook

from .conftest import Invoke


@pytest.fixture
def repo(project: Path) -> Path:
    git(project, "init", "-q")
    write_notebook(
        project / "notebooks" / "train.ipynb",
        code("import pandas_free_reader as _unused", tags=["skip-execution"]),
        code("text = open('../data/train.csv').read()\nassert text.startswith('a,b')", count=1),
    )
    (project / "data").mkdir()
    (project / "data" / "train.csv").write_text("a,b\n1,2\n")  # made by hand, never added
    git(project, "add", "pyproject.toml", "notebooks/train.ipynb")
    git(project, "commit", "-q", "-m", "init")
    return project


@pytest.mark.git
def test_an_untracked_data_file_passes_in_place_but_fails_isolated_with_a_hint(
    repo: Path, nbtrack_cli: Invoke
) -> None:
    assert nbtrack_cli("smoke", "notebooks/train.ipynb").exit_code == 0

    out = nbtrack_cli("smoke", "--isolate", "notebooks/train.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "cell 2 (In [1]), line 1: FileNotFoundError" in text
    assert (
        "hint: ../data/train.csv exists in your checkout but git does not track it, so a clean "
        "copy lacks it" in text
    )


@pytest.mark.git
def test_include_in_config_brings_the_file_into_the_isolated_copy(
    repo: Path, nbtrack_cli: Invoke
) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.nbtrack.smoke]\ninclude = ["data/*.csv"]\n'
    )

    out = nbtrack_cli("smoke", "--isolate", "notebooks/train.ipynb")

    assert out.exit_code == 0, out.text


@pytest.mark.git
def test_an_untracked_helper_module_is_named_when_isolated(repo: Path, nbtrack_cli: Invoke) -> None:
    write_notebook(
        repo / "notebooks" / "uses_helper.ipynb", code("import helpers\nhelpers.go()", count=1)
    )
    (repo / "notebooks" / "helpers.py").write_text("def go():\n    return 1\n")

    out = nbtrack_cli("smoke", "--isolate", "notebooks/uses_helper.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "helpers.py sits next to the notebook but git does not track it" in text


def test_isolate_outside_a_git_repository_is_a_usage_error(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "a.ipynb", "x = 1")

    out = nbtrack_cli("smoke", "--isolate", "a.ipynb")

    assert out.exit_code == 2
    assert (
        out.stderr.strip() == "Error: --isolate needs a git repository, and a.ipynb is not in one."
    )


def _runs(store_file: Path) -> list[object]:
    from nbtrack.store import open_store

    if not store_file.exists():
        return []
    with open_store(f"sqlite:///{store_file}", create=False) as store:
        return list(store.list_runs())


TRACKED = [
    code("%load_ext nbtrack", count=1),
    code("%%track_params\nlr = 0.1\nepochs = 3", count=2),
    code("loss = 0.25\n%track_metric loss loss --step 1", count=3),
    code("%track_run --end", count=4),
]


def test_a_notebook_using_the_nbtrack_magics_smoke_runs_into_a_throwaway_store(
    project: Path, nbtrack_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nbtrack.magics")
    store_file = project / "real-runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(store_file))
    write_notebook(project / "tracked.ipynb", *TRACKED)

    out = nbtrack_cli("smoke", "tracked.ipynb", "-p", "epochs=1")

    assert out.exit_code == 0, out.text
    assert _runs(store_file) == []


def test_with_track_the_smoke_run_is_recorded_in_the_real_store(
    project: Path, nbtrack_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nbtrack.magics")
    store_file = project / "real-runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(store_file))
    write_notebook(project / "tracked.ipynb", *TRACKED)

    out = nbtrack_cli("smoke", "tracked.ipynb", "--track", "-p", "epochs=1")

    assert out.exit_code == 0, out.text
    (run,) = _runs(store_file)
    from nbtrack.store import open_store

    with open_store(f"sqlite:///{store_file}", create=False) as store:
        full = store.get_run(run.id)  # type: ignore[attr-defined]
    params = {p.key: p.value for p in full.params}
    assert params["epochs"] == 1
    assert params["lr"] == 0.1
    assert [m.key for m in full.metrics] == ["loss"]


def test_a_run_left_open_ends_finished_when_the_smoke_process_exits(
    project: Path, nbtrack_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nbtrack.magics")
    store_file = project / "real-runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(store_file))
    write_notebook(project / "open.ipynb", *TRACKED[:3])  # no %track_run --end: the exit ends it

    out = nbtrack_cli("smoke", "open.ipynb", "--track")

    assert out.exit_code == 0, out.text
    (run,) = _runs(store_file)
    assert str(run.status) == "FINISHED"  # type: ignore[attr-defined]


@pytest.mark.git
def test_percent_run_of_an_untracked_script_fails_isolated_with_a_hint(
    repo: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        repo / "notebooks" / "helpers.ipynb",
        code("%run helper.py", count=1),
        code("print(VALUE)", count=2),
    )
    (repo / "notebooks" / "helper.py").write_text("VALUE = 42\n")  # never added to git
    git(repo, "add", "notebooks/helpers.ipynb")
    git(repo, "commit", "-q", "-m", "helpers")
    assert nbtrack_cli("smoke", "notebooks/helpers.ipynb").exit_code == 0

    out = nbtrack_cli("smoke", "--isolate", "notebooks/helpers.ipynb")

    assert out.exit_code == 1
    text = " ".join(out.stdout.split())
    assert "cell 1 (In [1]), line 1: Exception: File `'helper.py'` not found." in text
    assert "hint: helper.py exists in your checkout but git does not track it" in text


@pytest.mark.git
def test_a_missing_data_folder_or_a_path_outside_the_repository_gets_a_hint(
    repo: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        repo / "notebooks" / "raw.ipynb",
        code("rows = open('../raw/2024/train.csv').read()", count=1),
    )
    write_notebook(
        repo / "notebooks" / "srv.ipynb",
        code("rows = open('/srv/nbtrack-nowhere/a.csv').read()", count=1),
    )

    raw = " ".join(nbtrack_cli("smoke", "notebooks/raw.ipynb").stdout.split())
    srv = " ".join(nbtrack_cli("smoke", "notebooks/srv.ipynb").stdout.split())

    assert (
        "hint: no cell creates ../raw/2024/train.csv and git does not track it; create it in "
        "the notebook or commit it." in raw
    )
    assert (
        "hint: /srv/nbtrack-nowhere/a.csv is an absolute path outside the repository, so a "
        "clean checkout (CI, a colleague) does not have it." in srv
    )
