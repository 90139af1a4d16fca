from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import code, load, notebook, write

from .conftest import Git

pytestmark = pytest.mark.git


def snapshot(root: Path) -> dict[str, bytes]:
    files = [p for p in root.rglob("*") if p.is_file() and "objects" not in p.parts]
    return {str(p.relative_to(root)): p.read_bytes() for p in files if p.name != "index"}


def test_init_sets_everything_up_and_a_second_run_changes_nothing(repo: Path, git: Git) -> None:
    code_, out, _ = nbtrack("init")
    assert code_ == 0
    assert (repo / "jupytext.toml").read_text().endswith('formats = "ipynb,py:percent"\n')
    assert (
        "*.ipynb diff=jupyternotebook merge=jupyternotebook"
        in (repo / ".gitattributes").read_text()
    )
    assert ".nbtrack/" in (repo / ".gitignore").read_text().splitlines()
    assert "id: nbtrack-sync" in (repo / ".pre-commit-config.yaml").read_text()
    assert git("config", "--local", "diff.jupyternotebook.command").strip() == (
        "git-nbdiffdriver diff"
    )
    assert git("config", "--local", "merge.jupyternotebook.driver").strip() == (
        "git-nbmergedriver merge %O %A %B %L %P"
    )
    assert git("config", "--local", "merge.jupyternotebook.name").strip() == (
        "jupyter notebook merge driver"
    )
    before = snapshot(repo)
    code_, out, _ = nbtrack("init")
    assert code_ == 0
    assert out.startswith("already set up: nothing to change")
    assert snapshot(repo) == before


def test_check_lists_what_is_missing_and_passes_after_init(repo: Path) -> None:
    code_, out, _ = nbtrack("init", "--check")
    assert code_ == 1
    assert "jupytext pairing config (jupytext.toml)" in out
    assert "nbdime git drivers in .git/config" in out
    assert ".gitattributes line" in out
    assert ".nbtrack/ in .gitignore" in out
    assert "pre-commit hooks" in out
    assert not (repo / "jupytext.toml").exists()  # --check writes nothing
    nbtrack("init")
    assert nbtrack("init", "--check")[0] == 0


def test_pyproject_gets_a_tool_jupytext_table_and_other_formats_are_honoured(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    assert nbtrack("init", "--formats", "ipynb,md:myst")[0] == 0
    text = (repo / "pyproject.toml").read_text()
    assert text == '[project]\nname = "demo"\n\n[tool.jupytext]\nformats = "ipynb,md:myst"\n'
    assert not (repo / "jupytext.toml").exists()


def test_bad_formats_exit_2(repo: Path) -> None:
    code_, _, err = nbtrack("init", "--formats", "ipynb,py:nonsense")
    assert code_ == 2
    assert "--formats 'ipynb,py:nonsense'" in err


def test_existing_files_are_merged_never_clobbered(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.pyc")
    (repo / ".gitattributes").write_text("*.png binary\n")
    config = (
        "# team hooks\nrepos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.4.0\n    hooks:\n      - id: ruff  # keep me\nci:\n  autofix: true\n"
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    nbtrack("init")
    assert (repo / ".gitignore").read_text() == "*.pyc\n.nbtrack/\n"
    assert (repo / ".gitattributes").read_text().startswith("*.png binary\n*.ipynb diff=")
    merged = (repo / ".pre-commit-config.yaml").read_text()
    assert merged.startswith(config.split("ci:")[0])
    assert merged.endswith("ci:\n  autofix: true\n")
    import yaml

    repos = yaml.safe_load(merged)["repos"]
    assert [r["repo"] for r in repos] == ["https://github.com/astral-sh/ruff-pre-commit", "local"]
    assert repos[1]["hooks"][0]["entry"] == "nbtrack sync"


def test_nbstripout_attributes_entry_is_warned_about(repo: Path, git: Git) -> None:
    info = Path(git("rev-parse", "--absolute-git-dir").strip()) / "info" / "attributes"
    info.parent.mkdir(exist_ok=True)
    info.write_text("*.ipynb filter=nbstripout\n*.zpln filter=nbstripout\n*.ipynb diff=ipynb\n")
    code_, _, err = nbtrack("init")
    assert code_ == 0
    assert "warning:" in err
    assert "'diff=ipynb'" in err
    assert "nbstripout" in err
    assert "overrides the nbdime diff driver" in err


def test_outside_a_git_repository_init_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    monkeypatch.chdir(lonely)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code_, _, err = nbtrack("init")
    assert code_ == 2
    assert "is not inside a git repository" in err
    assert len(err.strip().splitlines()) == 1


def test_git_diff_of_a_notebook_goes_through_nbdime_after_init(repo: Path, git: Git) -> None:
    nbtrack("init")
    nb = notebook(code("x = 1"))
    write(repo / "a.ipynb", nb)
    git("add", "a.ipynb")
    git("commit", "-q", "-m", "add")
    changed = load(nb).to_dict()
    changed["cells"][0]["source"] = "x = 2"
    write(repo / "a.ipynb", changed)
    out = subprocess.run(
        ["git", "diff", "a.ipynb"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    assert "nbdiff" in out
    assert "## modified /cells/0/source:" in out


def test_unreadable_pre_commit_config_exits_2_naming_it(repo: Path) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos: [\n  - broken: {\n")
    code_, _, err = nbtrack("init")
    assert code_ == 2
    assert ".pre-commit-config.yaml is not valid YAML" in err
    assert len(err.strip().splitlines()) == 1


def test_lint_hook_is_offered_once_nbtrack_lint_exists(repo: Path) -> None:
    nbtrack("init")
    import importlib.util

    text = (repo / ".pre-commit-config.yaml").read_text()
    has_lint = importlib.util.find_spec("nbtrack.cli.smoke") is not None
    assert ("id: nbtrack-lint" in text) == has_lint


def test_missing_nbdime_scripts_on_path_are_warned_about(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    only_git = tmp_path / "only-git"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(only_git))
    code_, _, err = nbtrack("init")
    assert code_ == 0
    assert "git-nbdiffdriver (nbdime) is not on PATH" in err


def test_check_in_a_fresh_clone_passes_when_the_committed_setup_is_complete(
    repo: Path, git: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbtrack("init")
    git("add", ".")
    git("commit", "-q", "-m", "nbtrack init")
    clone = tmp_path / "clone"
    git("clone", "-q", str(repo), str(clone))
    monkeypatch.chdir(clone)  # as CI sees it: the files, but no .git/config drivers
    code_, out, _ = nbtrack("init", "--check")
    assert code_ == 0, out
    assert "not set in this clone (run 'nbtrack init' once per clone):" in out
    assert "nbdime git drivers in .git/config" in out
    (clone / ".gitattributes").unlink()
    code_, out, _ = nbtrack("init", "--check")
    assert code_ == 1
    assert ".gitattributes line" in out


def test_drivers_set_globally_count_as_set(repo: Path, tmp_path: Path) -> None:
    nbtrack("init")
    for key in ("diff.jupyternotebook.command", "merge.jupyternotebook.driver"):
        subprocess.run(["git", "config", "--local", "--unset", key], cwd=repo, check=True)
    subprocess.run(
        ["git", "config", "--global", "diff.jupyternotebook.command", "git-nbdiffdriver diff"],
        cwd=repo, check=True,
    )  # fmt: skip
    code_, out, _ = nbtrack("init", "--check")
    assert code_ == 0
    assert "merge.jupyternotebook.driver" in out
    assert "diff.jupyternotebook.command" not in out
