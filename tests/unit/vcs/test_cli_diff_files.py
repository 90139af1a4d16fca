"""``nbtrack diff a.ipynb b.ipynb``: files only, no git."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import Outcome, nbtrack
from tests.helpers.notebooks import code, load, notebook, write


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old = notebook(code("x = 1"), code("y = 2"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = 10"
    return write(tmp_path / "old.ipynb", old), write(tmp_path / "new.ipynb", new)


def run(*args: str) -> Outcome:
    return nbtrack("diff", *args)


def test_differences_exit_0_unless_exit_code_is_asked(pair: tuple[Path, Path]) -> None:
    old, new = map(str, pair)
    assert run(old, new)[0] == 0
    assert run(old, new, "--exit-code")[0] == 1
    assert run(old, old, "--exit-code")[0] == 0


def test_output_file_gets_the_rendered_diff(pair: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    code_, out, _ = run(*map(str, pair), "--format", "markdown", "-o", str(target))
    assert code_ == 0
    assert out == ""
    assert "-x = 1\n+x = 10" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "is not valid JSON"),
        (b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n", "Git LFS pointer"),
        (b'{"metadata": {}, "nbformat": 3, "worksheets": []}', "nbformat 3"),
    ],
)
def test_bad_notebook_file_exits_2_with_one_sentence(
    pair: tuple[Path, Path], tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_bytes(content)
    code_, _, err = run(str(pair[0]), str(bad))
    assert code_ == 2
    assert err.startswith("Error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_second_file_exits_2(pair: tuple[Path, Path], tmp_path: Path) -> None:
    code_, _, err = run(str(pair[0]), str(tmp_path / "nope.ipynb"))
    assert code_ == 2
    assert "nope.ipynb does not exist" in err


def test_too_many_arguments_exit_2(pair: tuple[Path, Path]) -> None:
    code_, _, err = run(str(pair[0]), str(pair[1]), "third")
    assert code_ == 2
    assert "put paths after '--'" in err


def test_a_newline_added_at_the_end_of_a_cell_is_a_change_and_says_so(tmp_path: Path) -> None:
    old = notebook(code("x = 1"), code("y = 2"), code("z = 3"))
    new = load(old).to_dict()
    new["cells"][2]["source"] = "z = 3\n"
    a, b = write(tmp_path / "a.ipynb", old), write(tmp_path / "b.ipynb", new)
    exit_code, out, _ = run(str(a), str(b), "--exit-code")
    assert exit_code == 1
    assert "cell 3 (code) modified" in out
    assert "only a newline at the end was added" in out
    assert "no notebook changes" not in out
    _, text, _ = run(str(a), str(b), "--format", "markdown")
    assert "- only a newline at the end was added\n" in text


def test_a_file_left_mid_merge_is_named_as_a_conflict_not_bad_json(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    old_text = pair[0].read_text(encoding="utf-8")
    new_text = pair[1].read_text(encoding="utf-8")
    merged = tmp_path / "merged.ipynb"
    merged.write_text(
        f"<<<<<<< HEAD\n{old_text}=======\n{new_text}>>>>>>> feature\n", encoding="utf-8"
    )
    code_, _, err = run(str(pair[0]), str(merged))
    assert code_ == 2
    assert f"{merged} has unresolved merge conflict markers (line 1)" in err
    assert len(err.strip().splitlines()) == 1
