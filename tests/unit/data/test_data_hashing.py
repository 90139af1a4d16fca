"""track_data: files, directories, Git LFS pointers, DVC versions, missing paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nbtrack.data.files import hash_data
from nbtrack.errors import UsageError


def test_a_file_is_hashed_with_sha256_and_sized(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    payload = b"a,b\n" * 700_000  # several 1 MiB chunks
    data.write_bytes(payload)
    ref = hash_data(data, root=tmp_path)
    assert (ref.path, ref.kind, ref.size) == ("train.csv", "file", len(payload))
    assert ref.digest == "sha256:" + hashlib.sha256(payload).hexdigest()


def test_an_empty_file_has_the_empty_digest(tmp_path: Path) -> None:
    (tmp_path / "empty").touch()
    assert hash_data(tmp_path / "empty", root=tmp_path).digest == (
        "sha256:" + hashlib.sha256(b"").hexdigest()
    )


def _make_tree(base: Path, order: list[str]) -> None:
    for name in order:
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"content of {name}")


def test_a_directory_digest_does_not_depend_on_creation_order(tmp_path: Path) -> None:
    names = ["b.txt", "a/z.txt", "a/y.txt", "c/d/e.txt"]
    _make_tree(tmp_path / "one", names)
    _make_tree(tmp_path / "two", list(reversed(names)))
    one = hash_data(tmp_path / "one", root=tmp_path)
    two = hash_data(tmp_path / "two", root=tmp_path)
    assert one.digest == two.digest
    assert (one.kind, one.size, one.detail) == ("directory", sum(
        len(f"content of {n}") for n in names
    ), {"files": 4})  # fmt: skip


def test_a_directory_digest_changes_with_a_file_name_or_content(tmp_path: Path) -> None:
    _make_tree(tmp_path / "d", ["x.txt", "y.txt"])
    before = hash_data(tmp_path / "d", root=tmp_path).digest
    (tmp_path / "d" / "y.txt").rename(tmp_path / "d" / "w.txt")
    renamed = hash_data(tmp_path / "d", root=tmp_path).digest
    (tmp_path / "d" / "w.txt").write_text("other")
    edited = hash_data(tmp_path / "d", root=tmp_path).digest
    assert len({before, renamed, edited}) == 3


def test_a_directory_digest_ignores_git_caches_and_checkpoints(tmp_path: Path) -> None:
    _make_tree(tmp_path / "d", ["x.txt"])
    before = hash_data(tmp_path / "d", root=tmp_path)
    _make_tree(
        tmp_path / "d",
        [".git/HEAD", "__pycache__/m.pyc", ".ipynb_checkpoints/x-checkpoint.txt"],
    )
    after = hash_data(tmp_path / "d", root=tmp_path)
    assert after.digest == before.digest
    assert after.detail == {"files": 1}


def test_a_git_lfs_pointer_records_the_lfs_version_without_hashing(tmp_path: Path) -> None:
    oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
    pointer = tmp_path / "weights.bin"
    pointer.write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 12345\n"
    )
    ref = hash_data(pointer, root=tmp_path)
    assert (ref.kind, ref.digest, ref.size) == ("git-lfs", f"sha256:{oid}", 12345)


def test_a_file_merely_starting_like_an_lfs_pointer_is_hashed(tmp_path: Path) -> None:
    fake = tmp_path / "notes.txt"
    fake.write_text("version https://git-lfs.github.com/spec/v1\nno oid here\n")
    assert hash_data(fake, root=tmp_path).kind == "file"


def test_a_dvc_sidecar_gives_the_md5_dvc_recorded(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("not hashed")
    (tmp_path / "data.csv.dvc").write_text(
        "outs:\n- md5: a304afb96060aad90176268345e10355\n  size: 100\n  path: data.csv\n"
    )
    ref = hash_data(tmp_path / "data.csv", root=tmp_path)
    assert (ref.kind, ref.digest, ref.size) == ("dvc", "md5:a304afb96060aad90176268345e10355", 100)
    assert ref.detail["source"] == "data.csv.dvc"


def test_a_dvc_tracked_directory_need_not_be_pulled(tmp_path: Path) -> None:
    (tmp_path / "images.dvc").write_text(
        "outs:\n- md5: 153aad06d376b6595932470e459ef42a.dir\n  size: 8437363\n"
        "  nfiles: 2\n  path: images\n"
    )
    ref = hash_data(tmp_path / "images", root=tmp_path)
    assert (ref.kind, ref.digest) == ("dvc", "md5:153aad06d376b6595932470e459ef42a")
    assert ref.detail["directory"] is True
    assert ref.detail["files"] == 2


def test_a_dvc_lock_output_gives_its_md5_and_stage(tmp_path: Path) -> None:
    (tmp_path / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: python prepare.py\n    outs:\n"
        "    - path: data/prepared.csv\n      hash: md5\n"
        "      md5: 0123456789abcdef0123456789abcdef\n      size: 42\n"
    )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prepared.csv").write_text("x")
    ref = hash_data(tmp_path / "data" / "prepared.csv", root=tmp_path)
    assert (ref.kind, ref.digest, ref.size) == ("dvc", "md5:0123456789abcdef0123456789abcdef", 42)
    assert ref.detail == {"source": "dvc.lock", "stage": "prepare"}


def test_a_file_not_in_dvc_lock_is_hashed_as_usual(tmp_path: Path) -> None:
    (tmp_path / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    (tmp_path / "raw.csv").write_text("x")
    assert hash_data(tmp_path / "raw.csv", root=tmp_path).kind == "file"


def test_a_missing_path_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot track data 'data/nope\.csv'"):
        hash_data("data/nope.csv", root=tmp_path)


def test_a_path_outside_the_project_is_stored_absolute(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("x")
    root = tmp_path / "some-project"
    root.mkdir()
    assert hash_data(outside, root=root).path == outside.as_posix()


def test_files_are_hashed_by_hashlib_file_digest_not_a_hand_written_loop() -> None:
    """A loop that reads a file only to feed a digest is ``hashlib.file_digest``'s job.

    (A loop that also writes what it reads, copying while it hashes, is not that;
    nor is one that yields what it reads, parsing while it hashes, as the
    TensorBoard importer's record reader does.)
    """
    import ast

    import nbtrack

    hand_written = []
    for module in sorted(Path(nbtrack.__file__).parent.rglob("*.py")):
        for loop in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not isinstance(loop, ast.While | ast.For):
                continue
            calls = {
                node.func.attr
                for node in ast.walk(loop)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            }
            passes_on = any(isinstance(node, ast.Yield | ast.YieldFrom) for node in ast.walk(loop))
            if {"read", "update"} <= calls and "write" not in calls and not passes_on:
                hand_written.append(f"{module.name}:{loop.lineno}")
    assert hand_written == []
