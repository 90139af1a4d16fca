"""Artifacts on a real S3-compatible server (moto's server mode on loopback).

Two "clients" are two projects with their own settings and download caches
sharing one store (SQLite file or PostgreSQL database) and one bucket.
"""

from __future__ import annotations

import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbtrack.cli import cli
from nbtrack.config import Settings, load_settings
from nbtrack.errors import StoreError
from nbtrack.model import Artifact
from nbtrack.store import open_store
from nbtrack.store.artifact_remote import VERIFY_ABOVE, ArtifactSpillWarning
from tests.helpers.s3 import S3Server, s3_server
from tests.integration.store.artifacts_s3.conftest import point_at

pytestmark = pytest.mark.filterwarnings("error::nbtrack.store.artifact_remote.ArtifactSpillWarning")


def project(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    return root


def client(
    root: Path, monkeypatch: pytest.MonkeyPatch, artifacts: str | None, cache: Path
) -> Settings:
    """Settings of one client: its project, its artifacts setting, its download cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    if artifacts is None:
        monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
    else:
        monkeypatch.setenv("NBTRACK_ARTIFACTS", artifacts)
    return load_settings(root)


def log(
    settings: Settings, run_id: str, path: Path, name: str = "model.bin", *, new: bool = True
) -> Artifact:
    with open_store(settings=settings) as store:
        if new:
            store.create_run(run_id=run_id, name=run_id, started_at=time.time())
        digest, size, uri = store.put_artifact(path)
        artifact = Artifact(name, digest, size, "application/octet-stream", uri, time.time())
        store.add_artifact(run_id, artifact)
        return artifact


def head(s3: S3Server, bucket: str, key: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = s3.client().head_object(Bucket=bucket, Key=key)
    except Exception as error:  # botocore's ClientError 404
        if "404" in str(error) or "Not Found" in str(error):
            return None
        raise
    return found


def test_client_b_reads_what_client_a_logged_with_no_setting(
    s3: S3Server, bucket: str, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    model = tmp_path / "model.bin"
    model.write_bytes(b"\x00weights" * 100_000)
    a = client(project(tmp_path, "a"), monkeypatch, f"s3://{bucket}/team/", tmp_path / "cache-a")
    artifact = log(a, "c" * 32, model)
    key = f"team/{artifact.uri}"
    assert head(s3, bucket, key)["ContentLength"] == model.stat().st_size  # type: ignore[index]
    assert not (a.root / ".nbtrack" / "artifacts").exists()  # nothing went to a local folder

    b = client(project(tmp_path, "b"), monkeypatch, None, tmp_path / "cache-b")
    with open_store(settings=b) as store:
        path = store.artifact_path(store.get_run("c" * 32).artifacts[0])
        assert path.is_relative_to(tmp_path / "cache-b")
        assert path.read_bytes() == model.read_bytes()
    monkeypatch.chdir(b.root)  # the command, as teammate B types it
    out = tmp_path / "got.bin"
    result = CliRunner().invoke(cli, ["artifacts", "get", "cccc", "model.bin", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == model.read_bytes()
    # a cached copy needs no network: the object is gone, the reader still has it
    s3.client().delete_object(Bucket=bucket, Key=key)
    with open_store(settings=b) as store:
        assert store.artifact_path(artifact).read_bytes() == model.read_bytes()
    # and a client with no cache and no object sees a missing file, not a crash
    c = client(project(tmp_path, "c"), monkeypatch, None, tmp_path / "cache-c")
    with open_store(settings=c) as store:
        assert not store.artifact_path(artifact).exists()


def test_an_object_already_there_is_not_sent_again(
    s3: S3Server, bucket: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"same bytes" * (VERIFY_ABOVE // 10 + 1))  # big enough to be asked
    a = client(settings.root, monkeypatch, f"s3://{bucket}", tmp_path / "cache")
    first = log(a, "a" * 32, model)
    written = head(s3, bucket, first.uri)["LastModified"]  # type: ignore[index]
    time.sleep(1.1)  # S3 dates objects to the second
    second = log(a, "b" * 32, model)
    assert second.uri == first.uri
    assert head(s3, bucket, first.uri)["LastModified"] == written  # type: ignore[index]


def test_a_download_whose_bytes_do_not_match_their_name_is_refused(
    s3: S3Server, bucket: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"the real bytes")
    a = client(settings.root, monkeypatch, f"s3://{bucket}", tmp_path / "cache-a")
    artifact = log(a, "a" * 32, model)
    s3.client().put_object(Bucket=bucket, Key=artifact.uri, Body=b"tampered bytes")
    b = client(settings.root, monkeypatch, None, tmp_path / "cache-b")
    with open_store(settings=b) as store, pytest.raises(StoreError, match="sha256 mismatch"):
        store.artifact_path(artifact)
    assert not list((tmp_path / "cache-b").rglob("*" + artifact.uri[-8:]))


def test_a_missing_bucket_is_one_sentence(
    s3: S3Server, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"x")
    missing = f"nbtrack-missing-{uuid.uuid4().hex[:8]}"
    a = client(settings.root, monkeypatch, f"s3://{missing}/p", tmp_path / "cache")
    with pytest.raises(StoreError) as caught:
        log(a, "a" * 32, model)
    assert str(caught.value) == (
        f"Cannot write to the artifact root s3://{missing}/p: the bucket or container"
        " does not exist."
    )
    assert not (settings.root / ".nbtrack" / "artifact-spill").exists()  # not an outage


def test_bad_credentials_are_one_sentence(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.bin"
    model.write_bytes(b"x")
    with s3_server(check_credentials_after=1) as server:
        bucket = server.bucket(versioned=False)  # the one unsigned request
        point_at(server, monkeypatch)
        a = client(settings.root, monkeypatch, f"s3://{bucket}", tmp_path / "cache")
        with pytest.raises(StoreError) as caught:
            log(a, "a" * 32, model)
    assert str(caught.value).startswith(f"Cannot write to the artifact root s3://{bucket}:")
    assert "refused the credentials" in str(caught.value)


def test_an_outage_keeps_artifacts_locally_and_push_sends_them_later(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    root = project(tmp_path, "a")
    first, second = tmp_path / "first.bin", tmp_path / "second.bin"
    first.write_bytes(b"logged while the storage was down")
    second.write_bytes(b"also logged while it was down")
    with s3_server() as server:
        port = int(server.endpoint.rsplit(":", 1)[1])
        bucket = server.bucket(versioned=False)
        point_at(server, monkeypatch)
        a = client(root, monkeypatch, f"s3://{bucket}/nb", tmp_path / "cache-a")
        with open_store(settings=a) as store:
            store.put_artifact_bytes(b"before")  # records the root in the store
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open_store(settings=a) as store:
            store.create_run(run_id="a" * 32, name="down", started_at=time.time())
            for path in (first, second):
                digest, size, uri = store.put_artifact(path)
                store.add_artifact("a" * 32, Artifact(path.name, digest, size, "x/y", uri, 1.0))
            run = store.get_run("a" * 32)
            # readers on this machine find the spilled bytes
            assert store.artifact_path(run.artifacts[0]).read_bytes() == first.read_bytes()
    spills = [w for w in caught if issubclass(w.category, ArtifactSpillWarning)]
    assert len(spills) == 1  # once, not once an artifact
    assert "The artifact is kept in" in str(spills[0].message)
    assert len(list((root / ".nbtrack" / "artifact-spill").rglob("sha256/*/*"))) == 2

    with s3_server(port=port) as again:  # the storage is back (empty: moto keeps no state)
        again.client().create_bucket(Bucket=bucket)
        monkeypatch.chdir(root)
        result = CliRunner().invoke(cli, ["artifacts", "push"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert result.output == "Uploaded 2 artifact(s).\n"
        assert not list((root / ".nbtrack" / "artifact-spill").rglob("sha256/*/*"))
        b = client(project(tmp_path, "b"), monkeypatch, None, tmp_path / "cache-b")
        with open_store(settings=b) as store:
            got = [store.artifact_path(x).read_bytes() for x in store.get_run("a" * 32).artifacts]
        assert got == [first.read_bytes(), second.read_bytes()]


def test_the_next_write_that_reaches_the_storage_pushes_what_was_kept(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with s3_server() as server:
        port = int(server.endpoint.rsplit(":", 1)[1])
        bucket = server.bucket(versioned=False)
        point_at(server, monkeypatch)
        a = client(settings.root, monkeypatch, f"s3://{bucket}", tmp_path / "cache-a")
    with open_store(settings=a) as store, pytest.warns(ArtifactSpillWarning):
        _, _, kept = store.put_artifact_bytes(b"kept")
    with s3_server(port=port) as again:
        again.client().create_bucket(Bucket=bucket)
        with open_store(settings=a) as store:
            store.put_artifact_bytes(b"sent at once")
        assert head(again, bucket, kept) is not None
    assert not list((settings.root / ".nbtrack" / "artifact-spill").rglob("sha256/*/*"))


def test_gc_removes_objects_no_run_uses(
    s3: S3Server, bucket: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.tracking import edit

    monkeypatch.setattr(edit, "GRACE", -60.0)  # S3 objects cannot be back-dated
    shared, own = tmp_path / "shared.bin", tmp_path / "own.bin"
    shared.write_bytes(b"both runs")
    own.write_bytes(b"only the deleted run")
    a = client(settings.root, monkeypatch, f"s3://{bucket}", tmp_path / "cache")
    log(a, "a" * 32, shared)
    log(a, "b" * 32, shared)
    doomed = log(a, "b" * 32, own, name="own.bin", new=False)
    monkeypatch.chdir(settings.root)
    runner = CliRunner()
    assert runner.invoke(cli, ["rm", "bbbb", "--force"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(cli, ["gc", "--yes", "--force"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Removed 1 artifact file" in result.output
    assert head(s3, bucket, doomed.uri) is None
    kept = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(kept) == 1
    assert kept[0] != doomed.uri
