"""lakefs:// refs against the stand-in lakeFS (tests/helpers/lakefs.py): refs to commit ids."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import nbtrack
from nbtrack.data.refs import DataUnresolvedWarning, resolve
from nbtrack.errors import UsageError
from tests.helpers.lakefs import SECRET_ACCESS_KEY, LakeFSServer, lakefs_server


def _repo_with_train_file(lakefs: LakeFSServer) -> tuple[str, str]:
    """Repository "example-repo" whose main holds a committed data/train.csv: (checksum, commit)."""
    lakefs.model.create_repository("example-repo")
    checksum = lakefs.model.put("example-repo", "main", "data/train.csv", b"a,b\n1,2\n")
    return checksum, lakefs.model.commit("example-repo", "main", "add train.csv")


def test_a_branch_resolves_to_its_commit_id_with_the_object_checksum(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    checksum, commit = _repo_with_train_file(lakefs)
    ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert (ref.kind, ref.digest, ref.size, ref.resolved) == ("lakefs", f"lakefs:{commit}", 8, True)
    assert ref.path == "lakefs://example-repo/main/data/train.csv"
    detail = ref.detail
    assert (detail["repository"], detail["ref"], detail["branch"]) == ("example-repo", "main", True)
    assert (detail["commit_id"], detail["checksum"], detail["size"]) == (commit, checksum, 8)
    assert str(detail["commit_time"]).endswith("+00:00")
    assert detail["endpoint"] == lakefs.url + "/api/v1"


def test_a_new_commit_on_the_branch_gives_a_new_digest(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    _, first = _repo_with_train_file(lakefs)
    before = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    new_checksum = lakefs.model.put("example-repo", "main", "data/train.csv", b"a,b\n3,4\n5,6\n")
    second = lakefs.model.commit("example-repo", "main")
    after = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert (before.digest, after.digest) == (f"lakefs:{first}", f"lakefs:{second}")
    assert (after.detail["checksum"], after.size) == (new_checksum, 12)


def test_a_tag_and_a_commit_id_resolve_to_that_commit(lakefs: LakeFSServer, tmp_path: Path) -> None:
    checksum, commit = _repo_with_train_file(lakefs)
    lakefs.model.tag("example-repo", "v1", "main")
    lakefs.model.put("example-repo", "main", "data/train.csv", b"moved on")
    lakefs.model.commit("example-repo", "main")

    tagged = resolve("lakefs://example-repo/v1/data/train.csv", root=tmp_path)
    by_id = resolve(f"lakefs://example-repo/{commit}/data/train.csv", root=tmp_path)
    pinned = resolve("lakefs://example-repo/main/data/train.csv", version=commit, root=tmp_path)

    for ref in (tagged, by_id, pinned):
        assert (ref.digest, ref.detail["checksum"], ref.resolved) == (
            f"lakefs:{commit}",
            checksum,
            True,
        )
        assert ref.detail["branch"] is False
    assert (tagged.detail["ref"], pinned.detail["ref"], pinned.detail["version"]) == (
        "v1",
        "main",
        commit,
    )


def test_an_uncommitted_change_at_the_path_is_recorded_unresolved_with_one_warning(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    _, commit = _repo_with_train_file(lakefs)
    staged = lakefs.model.put("example-repo", "main", "data/train.csv", b"not committed yet")
    with pytest.warns(DataUnresolvedWarning) as warned:
        ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert len(warned) == 1
    assert "uncommitted change (changed)" in str(warned[0].message)
    assert (ref.resolved, ref.digest, ref.size) == (False, "", 17)
    assert (ref.detail["checksum"], ref.detail["commit_id"]) == (staged, commit)
    assert ref.detail["uncommitted"] == "changed"
    assert "commit it to pin it" in str(ref.detail["reason"])


def test_uncommitted_changes_elsewhere_leave_the_ref_pinned(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    checksum, commit = _repo_with_train_file(lakefs)
    # a longer path the object's path prefixes, and an unrelated one
    lakefs.model.put("example-repo", "main", "data/train.csv.bak", b"backup")
    lakefs.model.put("example-repo", "main", "data/a.csv", b"other")
    ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert (ref.digest, ref.detail["checksum"], ref.resolved) == (
        f"lakefs:{commit}",
        checksum,
        True,
    )


def test_an_object_removed_on_the_branch_but_not_committed_is_named_as_such(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    _repo_with_train_file(lakefs)
    lakefs.model.delete("example-repo", "main", "data/train.csv")
    said = r"no object 'data/train\.csv' at branch 'main' \(uncommitted: removed\)"
    with pytest.raises(UsageError, match=said):
        resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("lakefs://example-repo/main/data/missing.csv", r"no object 'data/missing\.csv' at commit"),
        ("lakefs://other-repo/main/data/train.csv", r"has no repository 'other-repo'"),
        ("lakefs://example-repo/nope/data/train.csv", r"has no branch, tag or commit 'nope'"),
        ("lakefs://example-repo/main", r"it names no object"),
        ("lakefs://example-repo/main/", r"it names no object"),
        ("lakefs://example-repo/main/data/", r"it names a prefix"),
        ("lakefs:///main/data/train.csv", r"'' is not a lakeFS repository name"),
        ("lakefs://Bad_Name/main/x", r"'Bad_Name' is not a lakeFS repository name"),
    ],
)
def test_a_target_that_can_never_resolve_is_one_sentence_naming_it(
    lakefs: LakeFSServer, tmp_path: Path, uri: str, message: str
) -> None:
    _repo_with_train_file(lakefs)
    with pytest.raises(UsageError, match=message) as raised:
        resolve(uri, root=tmp_path)
    assert str(raised.value).startswith(f"cannot track {uri!r}")


def test_a_version_lakefs_does_not_have_is_a_usage_error(
    lakefs: LakeFSServer, tmp_path: Path
) -> None:
    _repo_with_train_file(lakefs)
    missing = "0" * 64
    with pytest.raises(UsageError, match=f"has no branch, tag or commit '{missing}'"):
        resolve("lakefs://example-repo/main/data/train.csv", version=missing, root=tmp_path)
    with pytest.raises(UsageError, match="version= is empty"):
        resolve("lakefs://example-repo/main/data/train.csv", version="", root=tmp_path)


def test_a_bad_uri_in_a_run_loses_nothing_already_recorded(
    lakefs: LakeFSServer, project_root: Path
) -> None:
    _, commit = _repo_with_train_file(lakefs)
    with nbtrack.start_run() as run:
        nbtrack.track_data("lakefs://example-repo/main/data/train.csv")
        with pytest.raises(UsageError, match="no object"):
            nbtrack.track_data("lakefs://example-repo/main/data/nope.csv")
        nbtrack.log_metric("loss", 0.25)
    stored = nbtrack.get_run(run.id)
    assert [(d.kind, d.digest) for d in stored.data] == [("lakefs", f"lakefs:{commit}")]
    assert stored.status.value == "FINISHED"


def test_a_run_records_resolved_and_unresolved_lakefs_refs_in_the_store(
    lakefs: LakeFSServer, store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    checksum, commit = _repo_with_train_file(lakefs)
    lakefs.model.put("example-repo", "main", "data/new.csv", b"staged")
    with nbtrack.start_run() as run:
        nbtrack.track_data("lakefs://example-repo/main/data/train.csv")
        with pytest.warns(DataUnresolvedWarning):
            nbtrack.track_data("lakefs://example-repo/main/data/new.csv")
    pinned, staged = nbtrack.get_run(run.id).data
    assert (pinned.digest, pinned.resolved, pinned.detail["checksum"]) == (
        f"lakefs:{commit}",
        True,
        checksum,
    )
    assert (staged.digest, staged.resolved, staged.detail["uncommitted"]) == ("", False, "added")


@pytest.mark.parametrize(
    ("key", "secret", "reason"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "wrong-secret", "answered 401: it refused the access key"),
        ("AKIANOSUCHKEY", SECRET_ACCESS_KEY, "answered 401: it refused the access key"),
        ("", "", "answered 401: no access key is set"),
    ],
)
def test_missing_or_rejected_credentials_give_an_unresolved_ref(
    lakefs: LakeFSServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    secret: str,
    reason: str,
) -> None:
    _repo_with_train_file(lakefs)
    monkeypatch.setenv("LAKEFS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("LAKEFS_SECRET_ACCESS_KEY", secret)
    with pytest.warns(DataUnresolvedWarning, match=reason):
        ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert (ref.resolved, ref.digest) == (False, "")
    assert reason in str(ref.detail["reason"])
    recorded = json.dumps(ref.detail)
    assert SECRET_ACCESS_KEY not in recorded
    assert "wrong-secret" not in recorded


def test_a_stopped_server_gives_an_unresolved_ref_and_the_run_finishes(
    clean_lakefs_env: None, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with lakefs_server() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        _, commit = _repo_with_train_file(server)
        with nbtrack.start_run() as run:
            nbtrack.track_data("lakefs://example-repo/main/data/train.csv")
            server.stop()
            with pytest.warns(DataUnresolvedWarning, match="did not answer") as warned:
                nbtrack.track_data("lakefs://example-repo/main/data/train.csv")
            nbtrack.log_param("lr", 0.1)
    assert len(warned) == 1
    stored = nbtrack.get_run(run.id)
    assert stored.status.value == "FINISHED"
    assert [(d.digest, d.resolved) for d in stored.data] == [
        (f"lakefs:{commit}", True),
        ("", False),
    ]


def test_no_endpoint_anywhere_gives_an_unresolved_ref_naming_the_settings(
    clean_lakefs_env: None, tmp_path: Path
) -> None:
    with pytest.warns(DataUnresolvedWarning, match="no lakeFS endpoint is set"):
        ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert "LAKEFS_ENDPOINT" in str(ref.detail["reason"])


def test_a_hung_server_is_given_up_on_after_the_data_timeout(
    clean_lakefs_env: None, silent_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAKEFS_ENDPOINT", f"http://127.0.0.1:{silent_port}")
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.warns(DataUnresolvedWarning, match="did not answer"):
        ref = resolve("lakefs://example-repo/main/data/train.csv", root=tmp_path)
    assert time.monotonic() - started < 3
    assert ref.resolved is False


def test_lakectl_variables_and_config_file_are_read_and_lakefs_variables_win(
    clean_lakefs_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers.lakefs import ACCESS_KEY_ID

    uri = "lakefs://example-repo/main/data/train.csv"
    with lakefs_server() as server:
        _, commit = _repo_with_train_file(server)
        # ~/.lakectl.yaml as `lakectl config` writes it: the server's root, no /api/v1
        (Path.home() / ".lakectl.yaml").write_text(
            "credentials:\n"
            f"  access_key_id: {ACCESS_KEY_ID}\n"
            f"  secret_access_key: {SECRET_ACCESS_KEY}\n"
            "server:\n"
            f"  endpoint_url: {server.url}/\n"
        )
        assert resolve(uri, root=tmp_path).digest == f"lakefs:{commit}"

        monkeypatch.setenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY", "stale")
        with pytest.warns(DataUnresolvedWarning, match="refused the access key"):
            resolve(uri, root=tmp_path)
        monkeypatch.setenv("LAKEFS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        assert resolve(uri, root=tmp_path).digest == f"lakefs:{commit}"

        other = tmp_path / "elsewhere.yaml"
        other.write_text(f"server:\n  endpoint_url: {server.url}/api/v1\n")
        monkeypatch.setenv("LAKECTL_CONFIG_FILE", str(other))
        monkeypatch.delenv("LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY")
        monkeypatch.setenv("LAKECTL_CREDENTIALS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        assert resolve(uri, root=tmp_path).detail["endpoint"] == f"{server.url}/api/v1"


def test_the_magic_pins_a_version_and_names_a_bad_uri_without_killing_the_kernel(
    lakefs: LakeFSServer, ip: Any
) -> None:
    from IPython.core.error import UsageError as MagicUsageError

    from tests.helpers.shell import stored

    _, first = _repo_with_train_file(lakefs)
    lakefs.model.put("example-repo", "main", "data/train.csv", b"second")
    lakefs.model.commit("example-repo", "main")
    uri = "lakefs://example-repo/main/data/train.csv"
    assert ip.run_cell(f"%track_data --version {first} {uri}").error_in_exec is None
    bad = ip.run_cell("%track_data lakefs://example-repo/main").error_in_exec
    assert isinstance(bad, MagicUsageError)
    assert "it names no object" in str(bad)
    assert ip.run_cell("x = 1").error_in_exec is None  # the kernel goes on
    assert [(d.path, d.digest) for d in stored().data] == [(uri, f"lakefs:{first}")]
