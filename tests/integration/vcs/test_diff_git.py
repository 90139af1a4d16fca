from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import code, load, markdown, notebook, write

from .conftest import Git

pytestmark = pytest.mark.git


def diff_json(*args: str) -> dict[str, Any]:
    code_, out, err = nbtrack("diff", "--format", "json", *args)
    assert code_ == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def statuses(data: dict[str, Any]) -> dict[str, str]:
    return {nb["path"]: nb["status"] for nb in data["notebooks"]}


def edit_cell(path: Path, index: int, source: str) -> None:
    nb = load(json.loads(path.read_text())).to_dict()
    nb["cells"][index]["source"] = source
    write(path, nb)


@pytest.fixture
def history(repo: Path, git: Git) -> Path:
    """main: a, b, d committed; feature (from there): a edited, b deleted, c added;
    then main moves on: d edited."""
    write(repo / "a.ipynb", notebook(markdown("# A"), code("x = 1"), code("print(x)")))
    write(repo / "b.ipynb", notebook(markdown("# Bee"), code("import bees"), code("b = 1")))
    write(repo / "d.ipynb", notebook(code("d = 1")))
    git("add", ".")
    git("commit", "-q", "-m", "start")
    git("checkout", "-q", "-b", "feature")
    edit_cell(repo / "a.ipynb", 1, "x = 2")
    git("rm", "-q", "b.ipynb")
    write(repo / "c.ipynb", notebook(code("c = 1"), markdown("A rather different notebook")))
    git("add", ".")
    git("commit", "-q", "-m", "feature work")
    git("checkout", "-q", "main")
    edit_cell(repo / "d.ipynb", 0, "d = 2")
    git("commit", "-q", "-am", "main moves on")
    git("checkout", "-q", "feature")
    return repo


def test_two_revisions_show_added_deleted_and_modified_notebooks(history: Path) -> None:
    data = diff_json("main", "feature")
    assert statuses(data) == {
        "a.ipynb": "modified", "b.ipynb": "deleted", "c.ipynb": "added", "d.ipynb": "modified",
    }  # fmt: skip
    a = next(nb for nb in data["notebooks"] if nb["path"] == "a.ipynb")
    assert a["cells"][0]["source_diff"] == ["@@ -1 +1 @@", "-x = 1", "+x = 2"]
    assert a["old"] == "main:a.ipynb"
    assert a["new"] == "feature:a.ipynb"


def test_three_dots_diff_from_the_merge_base_like_a_pull_request(history: Path) -> None:
    data = diff_json("main...feature")
    assert statuses(data) == {"a.ipynb": "modified", "b.ipynb": "deleted", "c.ipynb": "added"}
    assert data["old"].startswith("merge-base(main, feature) ")
    base = data["old"].split()[-1]
    a = next(nb for nb in data["notebooks"] if nb["path"] == "a.ipynb")
    assert (a["old"], a["new"]) == (f"{base}:a.ipynb", "feature:a.ipynb")  # git show-able


def test_single_revision_is_compared_with_the_working_tree(history: Path) -> None:
    edit_cell(history / "c.ipynb", 0, "c = 42")
    data = diff_json("HEAD")
    assert statuses(data) == {"c.ipynb": "modified"}
    assert data["new"] == "working tree"


def test_no_arguments_means_working_tree_against_head(history: Path) -> None:
    assert diff_json()["notebooks"] == []
    edit_cell(history / "a.ipynb", 0, "# A, renamed")
    (history / "notes.txt").write_text("not a notebook")
    data = diff_json()
    assert statuses(data) == {"a.ipynb": "modified"}
    assert nbtrack("diff", "--exit-code")[0] == 1


def test_paths_after_double_dash_limit_the_diff(history: Path) -> None:
    data = diff_json("main", "feature", "--", "c.ipynb")
    assert statuses(data) == {"c.ipynb": "added"}


def test_markdown_between_revisions_has_one_section_per_notebook(history: Path) -> None:
    code_, out, _ = nbtrack("diff", "main...feature", "--format", "markdown")
    assert code_ == 0
    assert out.count("\n## ") == 3
    assert "## `c.ipynb` (added)" in out
    assert "## `b.ipynb` (deleted)" in out
    assert "deleted notebook, had 3 cells" in out


def test_nonexistent_revision_exits_2_naming_it(history: Path) -> None:
    code_, _, err = nbtrack("diff", "main", "no-such-branch")
    assert code_ == 2
    assert "revision 'no-such-branch' does not exist" in err
    assert len(err.strip().splitlines()) == 1


def test_path_outside_the_repository_exits_2(history: Path, tmp_path: Path) -> None:
    code_, _, err = nbtrack("diff", "main", "HEAD", "--", str(tmp_path / "elsewhere.ipynb"))
    assert code_ == 2
    assert "is outside the repository" in err


def test_path_in_no_revision_exits_2(history: Path) -> None:
    code_, _, err = nbtrack("diff", "main", "feature", "--", "ghost.ipynb")
    assert code_ == 2
    assert "path 'ghost.ipynb' is in neither main nor feature" in err


def test_lfs_pointer_in_a_revision_exits_2_naming_file_and_revision(
    history: Path, git: Git
) -> None:
    (history / "a.ipynb").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abcd\nsize 42\n"
    )
    git("commit", "-q", "-am", "lfs")
    code_, _, err = nbtrack("diff", "main", "feature")
    assert code_ == 2
    assert "a.ipynb at feature is a Git LFS pointer" in err


def test_malformed_notebook_in_the_working_tree_exits_2(history: Path) -> None:
    (history / "a.ipynb").write_text('{"cells": [')
    code_, _, err = nbtrack("diff")
    assert code_ == 2
    assert "a.ipynb is not valid JSON" in err


def test_outside_a_repository_revisions_make_no_sense(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    monkeypatch.chdir(lonely)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    code_, _, err = nbtrack("diff", "main")
    assert code_ == 2
    assert "is not inside a git repository" in err


def test_renamed_notebook_is_diffed_against_its_old_name(history: Path, git: Git) -> None:
    git("mv", "a.ipynb", "alpha.ipynb")
    git("commit", "-q", "-m", "rename")
    data = diff_json("HEAD~1", "HEAD")
    (nb,) = data["notebooks"]
    assert (nb["path"], nb["old_path"], nb["status"]) == ("alpha.ipynb", "a.ipynb", "renamed")


def test_a_revision_and_a_file_mean_that_file_against_the_revision(history: Path) -> None:
    edit_cell(history / "a.ipynb", 2, "print(x, 'edited')")
    edit_cell(history / "c.ipynb", 0, "c = 3")
    data = diff_json("HEAD", "a.ipynb")
    assert statuses(data) == {"a.ipynb": "modified"}


def test_options_after_the_paths_are_options_not_paths(history: Path) -> None:
    # the issue's own example: nbtrack diff main HEAD -- train.ipynb --outputs --format html -o f
    code_, out, err = nbtrack(
        "diff", "main", "feature", "--", "c.ipynb", "--outputs", "--format", "html", "-o", "d.html"
    )
    assert (code_, out) == (0, ""), err
    page = (history / "d.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "c.ipynb" in page
    assert "a.ipynb" not in page
    code_, out, _ = nbtrack("diff", "main", "feature", "--", "c.ipynb", "--format=json", "-U5")
    assert json.loads(out)["notebooks"][0]["path"] == "c.ipynb"


def test_a_renamed_notebook_named_after_double_dash_is_still_a_rename(
    history: Path, git: Git
) -> None:
    git("mv", "a.ipynb", "alpha.ipynb")
    git("commit", "-q", "-m", "rename")
    data = diff_json("HEAD~1", "HEAD", "--", "alpha.ipynb")
    (nb,) = data["notebooks"]
    assert (nb["path"], nb["old_path"], nb["status"]) == ("alpha.ipynb", "a.ipynb", "renamed")
    assert nb["cells"] == []
    assert statuses(diff_json("HEAD~1", "HEAD", "--", "a.ipynb")) == {"alpha.ipynb": "renamed"}


def test_an_added_notebook_is_labelled_with_the_old_revision_only(history: Path) -> None:
    (nb,) = diff_json("main", "feature", "--", "c.ipynb")["notebooks"]
    assert (nb["old"], nb["new"]) == ("main", "feature:c.ipynb")


def test_a_missing_notebook_file_is_not_called_a_revision(history: Path) -> None:
    code_, _, err = nbtrack("diff", "main", "nosuch.ipynb")
    assert code_ == 2
    assert "'nosuch.ipynb' is neither a file nor a revision" in err


def test_paths_after_two_revisions_need_no_double_dash_when_they_exist(history: Path) -> None:
    edit_cell(history / "c.ipynb", 0, "c = 5")
    assert statuses(diff_json("main", "feature", "c.ipynb", "a.ipynb")) == {
        "a.ipynb": "modified", "c.ipynb": "added",
    }  # fmt: skip
    assert statuses(diff_json("HEAD", "c.ipynb", "a.ipynb")) == {"c.ipynb": "modified"}


def test_a_notebook_left_mid_merge_is_named_as_a_conflict_not_bad_json(
    history: Path, git: Git
) -> None:
    edit_cell(history / "a.ipynb", 1, "x = 'feature'")
    git("commit", "-q", "-am", "feature edits x")
    git("checkout", "-q", "main")
    edit_cell(history / "a.ipynb", 1, "x = 'main'")
    git("commit", "-q", "-am", "main edits x")
    done = subprocess.run(["git", "merge", "feature"], cwd=history, capture_output=True)
    assert done.returncode != 0  # a text conflict: no nbdime merge driver configured here
    code_, _, err = nbtrack("diff")
    assert code_ == 2
    assert "a.ipynb in the working tree has unresolved merge conflict markers (line" in err
    assert len(err.strip().splitlines()) == 1


def test_blobs_of_many_notebooks_come_back_from_one_batch_read(history: Path, git: Git) -> None:
    from nbtrack.vcs import _git

    (history / "données").mkdir()
    write(history / "données" / "é.ipynb", notebook(code("é = 1")))
    git("add", ".")
    git("commit", "-q", "-m", "unicode path")
    wanted = [
        ("main", "a.ipynb"), ("HEAD", "données/é.ipynb"), ("HEAD", "ghost.ipynb"),
        ("HEAD", "données"), (None, "a.ipynb"), ("main", "b.ipynb"),
    ]  # fmt: skip
    blobs = _git.read_blobs(history, wanted)
    assert blobs[("main", "a.ipynb")] == _git.read_blob(history, "main", "a.ipynb")
    assert blobs[("HEAD", "données/é.ipynb")] == (history / "données" / "é.ipynb").read_bytes()
    assert blobs[("HEAD", "ghost.ipynb")] is None
    assert blobs[("HEAD", "données")] is None  # a tree, not a notebook
    assert blobs[("main", "b.ipynb")] == _git.read_blob(history, "main", "b.ipynb")
    assert blobs[("main", "b.ipynb")] is not None
    assert len(blobs) == 5  # the working-tree file is the caller's to read
