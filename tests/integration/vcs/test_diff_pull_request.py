"""``nbtrack diff BASE...HEAD --format markdown`` on a pull request with small and big changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import code, markdown, notebook, write

from .conftest import Git

pytestmark = pytest.mark.git

GITHUB_COMMENT_LIMIT = 65_536


@pytest.fixture
def pull_request(repo: Path, git: Git) -> Path:
    """main: train.ipynb and old.ipynb; feature: one line of train.ipynb edited,
    old.ipynb deleted, an 800-cell big.ipynb added (far over the comment limit)."""
    write(repo / "train.ipynb", notebook(
        markdown("# Training"), *(code(f"step_{i} = {i}\nprint(step_{i})") for i in range(10)),
    ))  # fmt: skip
    write(repo / "old.ipynb", notebook(*(code(f"legacy_{i} = 'old {i}'") for i in range(5))))
    git("add", ".")
    git("commit", "-q", "-m", "start")
    git("checkout", "-q", "-b", "feature")
    train = (repo / "train.ipynb").read_text()
    (repo / "train.ipynb").write_text(train.replace("step_4 = 4", "step_4 = 40"))
    git("rm", "-q", "old.ipynb")
    write(repo / "big.ipynb", notebook(*(
        code(f"# experiment {i}\n" + "\n".join(f"value_{i}_{k} = {k} * {i}" for k in range(6)))
        for i in range(800)
    )))  # fmt: skip
    git("add", ".")
    git("commit", "-q", "-m", "feature work")
    return repo


def test_every_notebook_gets_a_table_row_its_headline_and_first_change(pull_request: Path) -> None:
    exit_code, out, err = nbtrack("diff", "main...feature", "--format", "markdown")
    assert exit_code == 0, err
    assert len(out) <= GITHUB_COMMENT_LIMIT
    # the summary table comes first and names every notebook with its cell counts
    table = out[: out.index("\n## ")]
    assert "| `train.ipynb` | modified | 0 | 0 | 1 | 0 |" in table
    assert "| `old.ipynb` | deleted | 0 | 5 | 0 | 0 |" in table
    assert "| `big.ipynb` | added | 800 | 0 | 0 | 0 |" in table
    # then each notebook, smallest first, with its headline and its first change
    sections = re.findall(r"^## `([^`]+)`", out, flags=re.M)
    assert sections == ["train.ipynb", "old.ipynb", "big.ipynb"]
    assert "## `train.ipynb` (modified)\n\n1 modified · " in out
    assert "-step_4 = 4\n+step_4 = 40\n" in out
    assert "## `old.ipynb` (deleted)\n\ndeleted notebook, had 5 cells · " in out
    assert "```diff\n-legacy_0 = 'old 0'\n```" in out
    assert "## `big.ipynb` (added)\n\nnew notebook, 800 cells · " in out
    assert "```diff\n+# experiment 0\n+value_0_0 = 0 * 0\n" in out
    # the small ones are whole; only the big one is cut, and the note says how much
    assert "-legacy_4 = 'old 4'" in out
    shown = len(re.findall(r"^\*\*cell \d+ \(code\) added", out, flags=re.M))
    assert 1 < shown < 800
    note = out.strip().splitlines()[-1]
    assert f"Not shown: {800 - shown} cell changes in `big.ipynb`." in note
    assert "train.ipynb" not in note
    assert "old.ipynb" not in note
