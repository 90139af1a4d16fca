from __future__ import annotations

import pytest

from nbtrack.errors import NotebookError
from nbtrack.notebook import notebook_from_bytes

LFS = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (LFS, "train.ipynb at main is a Git LFS pointer, not the notebook itself"),
        (b'{"cells": [', "train.ipynb at main is not valid JSON (line 1"),
        (b"", "train.ipynb at main is empty"),
        (b"\xff\xfe{}", "train.ipynb at main is not UTF-8 text"),
        (b'{"nbformat": 3, "worksheets": []}', "is in nbformat 3"),
        (b"[1, 2]", "is not a Jupyter notebook"),
    ],
)
def test_bad_notebook_bytes_give_one_sentence_naming_the_source(data: bytes, message: str) -> None:
    with pytest.raises(NotebookError) as caught:
        notebook_from_bytes(data, name="train.ipynb at main")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
