from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import PYTHON3, code, markdown, notebook, raw, stream, write

from .conftest import Git

pytestmark = pytest.mark.git


@pytest.fixture
def paired(repo: Path) -> Path:
    (repo / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    nb = notebook(
        markdown("# Train"),
        code("x = 1", [stream("1\n")], count=3, tags=["parameters"]),
        code("print(x)", [stream("1\n")], count=4),
        kernelspec=PYTHON3,
    )
    nb["metadata"]["custom"] = {"owner": "ada"}
    return write(repo / "train.ipynb", nb)


def test_sync_writes_the_text_twin_then_check_passes(paired: Path) -> None:
    assert nbtrack("sync", "--check")[0] == 1
    code_, out, _ = nbtrack("sync")
    assert code_ == 0
    assert "train.py" in out
    assert '# %% tags=["parameters"]\nx = 1\n' in (paired.parent / "train.py").read_text()
    assert nbtrack("sync", "--check") == (0, "1 paired notebook(s) in step\n", "")


def test_check_names_the_pair_out_of_step_and_writes_nothing(paired: Path) -> None:
    nbtrack("sync")
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("x = 1", "x = 2"))
    before = paired.read_bytes()
    code_, out, _ = nbtrack("sync", "--check")
    assert code_ == 1
    assert "out of step: train.ipynb <-> train.py (train.py: cell 2 differs)\n" in out
    assert paired.read_bytes() == before


def test_check_compares_content_not_timestamps(paired: Path) -> None:
    nbtrack("sync")
    text = paired.parent / "train.py"
    os.utime(text, (1_000_000, 1_000_000))  # text much older, as after a checkout
    assert nbtrack("sync", "--check")[0] == 0
    text.write_text(text.read_text().replace("print(x)", "print(x * 2)"))
    os.utime(text, (1_000_000, 1_000_000))  # edited but looks older
    assert nbtrack("sync", "--check")[0] == 1


def test_sync_from_text_keeps_ids_outputs_and_metadata_of_untouched_cells(paired: Path) -> None:
    nbtrack("sync")
    before = json.loads(paired.read_text())
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("print(x)", "print(x + 1)"))
    os.utime(paired, (1_000_000, 1_000_000))  # the text is the newer side
    code_, out, _ = nbtrack("sync")
    assert code_ == 0
    assert "wrote train.ipynb (train.py: cell 3 differs)\n" in out
    after = json.loads(paired.read_text())
    assert [c["id"] for c in after["cells"]] == [c["id"] for c in before["cells"]]
    assert after["metadata"] == before["metadata"]
    assert after["cells"][1] == before["cells"][1]  # untouched: outputs, count, tags
    assert "".join(after["cells"][2]["source"]) == "print(x + 1)"
    assert after["cells"][2]["outputs"] == before["cells"][2]["outputs"]
    assert nbtrack("sync", "--check")[0] == 0


def test_sync_leaves_files_already_in_step_untouched(paired: Path) -> None:
    nbtrack("sync")
    text = paired.parent / "train.py"
    stamps = (paired.stat().st_mtime_ns, text.stat().st_mtime_ns)
    code_, out, _ = nbtrack("sync")
    assert code_ == 0
    assert out == "1 paired notebook(s) already in step\n"
    assert (paired.stat().st_mtime_ns, text.stat().st_mtime_ns) == stamps


def test_plain_python_files_are_not_treated_as_notebooks(paired: Path) -> None:
    (paired.parent / "helpers.py").write_text("def f():\n    return 1\n")
    nbtrack("sync", "helpers.py")
    assert not (paired.parent / "helpers.ipynb").exists()


def test_missing_path_exits_2(paired: Path) -> None:
    code_, _, err = nbtrack("sync", "nope.ipynb")
    assert code_ == 2
    assert "nope.ipynb does not exist" in err


VARIED = {
    "magics": [code("%matplotlib inline\nimport numpy as np"), code("%%time\nx = np.ones(3)"),
               code("!pip list | head -3"), code("x?")],
    "fences": [markdown("Run this:\n\n```python\nprint('hi')\n```\n\nand ```inline```"),
               code("s = '''\n```\n'''")],
    "raw": [raw("\\begin{equation}x^2\\end{equation}"), raw(""), code("y = 2")],
    "unicode": [markdown("# Données — ☃ 日本語"), code("π = 3.14159\nprint('naïve café', π)")],
    "empty": [code(""), markdown(""), code("z = 0"), code("")],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(VARIED))
def test_round_trip_ipynb_to_text_to_ipynb_keeps_every_cell(repo: Path, name: str) -> None:
    (repo / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    original = write(repo / f"{name}.ipynb", notebook(*VARIED[name], kernelspec=PYTHON3))
    cells = json.loads(original.read_text())["cells"]
    expected = [(c["cell_type"], "".join(c["source"])) for c in cells]
    assert nbtrack("sync", str(original))[0] == 0
    original.unlink()
    assert nbtrack("sync", f"{name}.py")[0] == 0
    rebuilt = json.loads(original.read_text())
    assert [(c["cell_type"], "".join(c["source"])) for c in rebuilt["cells"]] == expected


def test_a_cell_the_text_format_cannot_carry_is_warned_about(repo: Path) -> None:
    (repo / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    write(
        repo / "odd.ipynb",
        notebook(code("x = 0"), code("# %% looks like a marker\nq = 1"), kernelspec=PYTHON3),
    )
    code_, _, err = nbtrack("sync", "odd.ipynb")
    assert code_ == 0
    assert "warning:" in err
    assert "cell 2 does not survive the trip through odd.py" in err


def test_without_pairing_config_sync_says_there_is_nothing_paired(repo: Path) -> None:
    write(repo / "lonely.ipynb", notebook(code("x = 1"), kernelspec=PYTHON3))
    code_, out, _ = nbtrack("sync", "--check")
    assert code_ == 0
    assert out.startswith("no paired notebooks found")
    assert not (repo / "lonely.py").exists()


def test_git_decides_the_edited_side_when_timestamps_point_the_wrong_way(
    paired: Path, git: Git
) -> None:
    nbtrack("sync")
    git("add", ".")
    git("commit", "-q", "-m", "paired")
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("print(x)", "print(x, 'from text')"))
    os.utime(text, (1_000_000, 1_000_000))  # the edited text looks older than the ipynb
    assert nbtrack("sync")[0] == 0
    cells = json.loads(paired.read_text())["cells"]
    assert "".join(cells[2]["source"]) == "print(x, 'from text')"


def test_both_sides_edited_since_the_commit_is_a_conflict_to_settle_with_prefer(
    paired: Path, git: Git
) -> None:
    nbtrack("sync")
    git("add", ".")
    git("commit", "-q", "-m", "paired")
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("print(x)", "print('text side')"))
    nb = json.loads(paired.read_text())
    nb["cells"][0]["source"] = "# Train, notebook side"
    paired.write_text(json.dumps(nb, indent=1))
    code_, _, err = nbtrack("sync")
    assert code_ == 2
    assert "both train.ipynb and train.py changed since the last commit" in err
    assert nbtrack("sync", "--prefer", "text")[0] == 0
    assert "print('text side')" in paired.read_text()


def test_a_pair_committed_out_of_step_takes_the_later_commit_not_the_newer_file(
    paired: Path, git: Git
) -> None:
    nbtrack("sync")
    git("add", ".")
    git("commit", "-q", "-m", "paired")
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("print(x)", "print(x, 'committed in text')"))
    git("commit", "-q", "-am", "text only, without the hook")
    # after a checkout the .ipynb may well be the newer file: it must not win
    os.utime(text, (1_000_000, 1_000_000))
    assert nbtrack("sync")[0] == 0
    assert "print(x, 'committed in text')" in text.read_text()
    cells = json.loads(paired.read_text())["cells"]
    assert "".join(cells[2]["source"]) == "print(x, 'committed in text')"


def test_a_pair_committed_out_of_step_in_one_commit_asks_for_prefer(paired: Path, git: Git) -> None:
    nbtrack("sync")
    text = paired.parent / "train.py"
    text.write_text(text.read_text().replace("print(x)", "print('text')"))
    git("add", ".")
    git("commit", "-q", "-m", "both, out of step")
    before = text.read_bytes(), paired.read_bytes()
    code_, _, err = nbtrack("sync")
    assert code_ == 2
    assert "train.ipynb and train.py were committed out of step (in the same commit" in err
    assert "--prefer" in err
    assert (text.read_bytes(), paired.read_bytes()) == before


def test_check_of_a_pair_in_step_parses_no_text_notebook(
    paired: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # parsing text through jupytext validates every cell: seconds on a big notebook, so
    # a check of a pair in step (the pre-commit case) compares the text it would write
    import jupytext
    import jupytext.jupytext

    nbtrack("sync")
    real = jupytext.jupytext.reads
    parsed: list[str] = []

    def counting(text: str, fmt: object = None, *args: object, **kwargs: object) -> object:
        parsed.append(str(fmt))
        return real(text, fmt, *args, **kwargs)

    monkeypatch.setattr(jupytext.jupytext, "reads", counting)
    monkeypatch.setattr(jupytext, "reads", counting)
    assert nbtrack("sync", "--check")[0] == 0
    assert [fmt for fmt in parsed if "ipynb" not in fmt] == []


@pytest.mark.kernel
def test_sync_skips_the_executed_notebooks_run_and_smoke_wrote(paired: Path) -> None:
    assert nbtrack("run", "train.ipynb", "--output", "train-run.ipynb")[0] == 0
    smoked = nbtrack("smoke", "train.ipynb", "--engine", "kernel", "--output-dir", "smoked")
    assert smoked[0] == 0, smoked
    outputs = [paired.parent / "train-run.ipynb", paired.parent / "smoked" / "train.ipynb"]
    for output in outputs:
        assert json.loads(output.read_text())["metadata"]["nbtrack"] == {"output_of": "train.ipynb"}
    code_, out, _ = nbtrack("sync")
    assert code_ == 0
    assert (paired.parent / "train.py").exists()  # the notebook itself is paired
    assert not (paired.parent / "train-run.py").exists()
    assert not (paired.parent / "smoked" / "train.py").exists()
    assert "wrote train.py" in out
    assert nbtrack("sync", "--check") == (0, "1 paired notebook(s) in step\n", "")
