"""``nbtrack sync`` on notebooks other tools write: a UTF-8 BOM, nbformat 3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import PYTHON3, code, notebook

pytestmark = pytest.mark.git

NBFORMAT_3 = {
    "metadata": {"name": ""},
    "nbformat": 3,
    "nbformat_minor": 0,
    "worksheets": [
        {
            "cells": [
                {"cell_type": "code", "collapsed": False, "input": ["x = 1"],
                 "language": "python", "metadata": {}, "outputs": []}
            ],
            "metadata": {},
        }
    ],
}  # fmt: skip


@pytest.fixture
def pairing(repo: Path) -> Path:
    (repo / "jupytext.toml").write_text('formats = "ipynb,py:percent"\n')
    return repo


def test_a_notebook_starting_with_a_bom_is_read_and_paired(pairing: Path) -> None:
    path = pairing / "windows.ipynb"
    data = b"\xef\xbb\xbf" + json.dumps(notebook(code("x = 41 + 1"), kernelspec=PYTHON3)).encode()
    path.write_bytes(data)
    code_, out, err = nbtrack("sync")
    assert (code_, err) == (0, "")
    assert "windows.py" in out
    assert "# %%\nx = 41 + 1\n" in (pairing / "windows.py").read_text(encoding="utf-8")
    assert path.read_bytes() == data  # the notebook itself is left as it was
    assert nbtrack("sync", "--check")[0] == 0


def test_an_nbformat_3_notebook_is_one_sentence_and_nothing_is_written(pairing: Path) -> None:
    path = pairing / "old.ipynb"
    path.write_text(json.dumps(NBFORMAT_3))
    for args in (("sync",), ("sync", "--check"), ("sync", "old.ipynb")):
        code_, out, err = nbtrack(*args)
        assert code_ == 2, (args, out, err)
        assert err.startswith(f"Error: {path} is in nbformat 3, which cannot be paired")
        assert "nbconvert --to notebook --nbformat 4" in err
        assert len(err.strip().splitlines()) == 1
        assert sorted(p.name for p in pairing.iterdir() if p.suffix == ".py") == []
