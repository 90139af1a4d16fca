"""The artifact root as a setting: folders, file:// URLs, the root a store records, bad roots.

Object storage itself (a real S3-compatible server) is in ``artifacts_s3/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nbtrack.cli import cli
from nbtrack.config import Settings, load_settings
from nbtrack.errors import ConfigError, StoreError
from nbtrack.model import Artifact
from nbtrack.store import open_store
from nbtrack.store.artifact_roots import canonical


def _settings(project: Path, monkeypatch: pytest.MonkeyPatch, artifacts: str | None) -> Settings:
    if artifacts is None:
        monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
    else:
        monkeypatch.setenv("NBTRACK_ARTIFACTS", artifacts)
    return load_settings(project)


def _log(settings: Settings, data: bytes) -> Artifact:
    with open_store(settings=settings) as store:
        digest, size, uri = store.put_artifact_bytes(data)
        return Artifact("a.bin", digest, size, "application/octet-stream", uri, 1.0)


def test_canonical_urls_carry_no_credentials_and_folders_are_absolute() -> None:
    assert canonical("s3://AKIA:secret@bucket/p/", Path("/proj")) == "s3://bucket/p"
    assert canonical("gs://bucket", Path("/proj")) == "gs://bucket"
    assert canonical("file:///mnt/shared/", Path("/proj")) == "file:///mnt/shared"
    assert canonical("shared", Path("/proj")) == "file:///proj/shared"
    assert canonical("/abs/dir", Path("/proj")) == "file:///abs/dir"
    with pytest.raises(ConfigError, match="three slashes"):
        canonical("file://server/share", Path("/proj"))
    with pytest.raises(ConfigError, match="no bucket"):
        canonical("s3:///prefix", Path("/proj"))


@pytest.mark.parametrize("form", ["folder", "file-url"])
def test_a_set_folder_is_recorded_and_a_teammate_without_a_setting_uses_it(
    store_url: str, project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    shared = tmp_path / "shared"
    shared.mkdir()
    value = str(shared) if form == "folder" else f"file://{shared}/"
    artifact = _log(_settings(project_root, monkeypatch, value), b"weights")
    assert (shared / artifact.uri).read_bytes() == b"weights"

    teammate = tmp_path / "teammate"
    teammate.mkdir()
    (teammate / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    with open_store(settings=_settings(teammate, monkeypatch, None)) as store:
        assert store.recorded_artifact_root() == f"file://{shared}"  # type: ignore[attr-defined]
        assert store.artifact_path(artifact) == shared / artifact.uri
        assert store.artifact_path(artifact).read_bytes() == b"weights"


def test_the_default_folder_is_not_recorded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
    artifact = _log(settings, b"x")
    with open_store(settings=settings) as store:
        assert store.recorded_artifact_root() is None  # type: ignore[attr-defined]
        assert store.artifact_path(artifact).read_bytes() == b"x"


def test_a_setting_that_disagrees_with_the_recorded_root_is_refused(
    store_url: str, project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    _log(_settings(project_root, monkeypatch, str(first)), b"x")
    with pytest.raises(ConfigError) as caught:
        _log(_settings(project_root, monkeypatch, str(second)), b"y")
    message = str(caught.value)
    assert f"'file://{second}' differs from the artifact root this store records" in message
    assert f"(file://{first})" in message
    assert not any(second.iterdir())  # nothing was written to the other root

    monkeypatch.chdir(project_root)
    result = CliRunner().invoke(cli, ["artifacts", "root"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "differs from the artifact root this store records" in result.output


def test_a_missing_folder_is_an_error_not_a_new_folder(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "not-mounted"
    with pytest.raises(StoreError, match="is not a folder on this machine; mount or create it"):
        _log(_settings(settings.root, monkeypatch, f"file://{missing}"), b"x")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("nosuch://bucket/x", "uses the protocol 'nosuch', which fsspec does not know"),
        ("gs://bucket/x", "pip install 'nbtrack[gcs]'"),
    ],
)
def test_an_unknown_protocol_or_missing_backend_is_one_sentence_exit_2(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    pytest.importorskip("fsspec")
    if "gs://" in value:
        try:
            import gcsfs  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("gcsfs is installed here")
    monkeypatch.setenv("NBTRACK_ARTIFACTS", value)
    monkeypatch.chdir(settings.root)
    result = CliRunner().invoke(cli, ["artifacts", "root"], catch_exceptions=False)
    assert result.exit_code == 2
    assert expected in result.output
    assert result.output.count("\n") == 1


def test_db_status_and_artifacts_root_show_the_recorded_root(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    _log(_settings(settings.root, monkeypatch, str(shared)), b"x")
    monkeypatch.delenv("NBTRACK_ARTIFACTS")
    monkeypatch.chdir(settings.root)
    runner = CliRunner()
    out = runner.invoke(cli, ["db", "status"], catch_exceptions=False).output
    assert f"artifacts: file://{shared} (recorded in the store)" in out
    out = runner.invoke(cli, ["artifacts", "root"], catch_exceptions=False).output
    assert f"recorded: file://{shared}\nused:     file://{shared}\n" == out

    moved = tmp_path / "moved"
    moved.mkdir()
    result = runner.invoke(cli, ["artifacts", "root", "--set", str(moved)])
    assert result.exit_code == 0, result.output
    with open_store(settings=load_settings(settings.root)) as store:
        assert store.recorded_artifact_root() == f"file://{moved}"  # type: ignore[attr-defined]
    result = runner.invoke(cli, ["artifacts", "root", "--set", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "is not a folder on this machine" in result.output
