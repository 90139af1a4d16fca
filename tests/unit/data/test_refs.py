"""refs.resolve: which kind a target is, and the targets that can never resolve."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nbtrack.data.refs import kind_of, resolve
from nbtrack.errors import UsageError


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("data/train.csv", "file"),
        ("/abs/data", "file"),
        ("file:///abs/data", "file"),
        ("s3://bucket/train.csv", "s3"),
        ("S3://bucket/train.csv", "s3"),
        ("lakefs://repo/main/train.parquet", "lakefs"),
        ("dolt://localhost:3306/mydb@main", "dolt"),
        ("pfs://images@master/train", "pachyderm"),
        ("weird name: with colon", "file"),
    ],
)
def test_the_kind_comes_from_the_scheme(target: str, kind: str) -> None:
    assert kind_of(target) == kind


def test_an_unknown_scheme_is_one_sentence_without_the_password() -> None:
    with pytest.raises(UsageError) as caught:
        resolve("gs://ana:s3cret@bucket/train.csv")
    message = str(caught.value)
    assert message.startswith("cannot track data 'gs://ana:***@bucket/train.csv': ")
    assert "s3://, lakefs://, dolt://, pfs://" in message
    assert "not gs://." in message
    assert "s3cret" not in message


def test_a_file_uri_is_the_file(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_bytes(b"a,b\n1,2\n")
    ref = resolve(f"file://{data}", root=tmp_path)
    assert (ref.kind, ref.path, ref.resolved) == ("file", "train.csv", True)
    assert ref.digest == "sha256:" + hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_a_version_for_a_plain_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("x\n")
    with pytest.raises(UsageError, match=r"cannot pin version=3 of 'train.csv': a version is"):
        resolve("train.csv", version=3, root=tmp_path)
