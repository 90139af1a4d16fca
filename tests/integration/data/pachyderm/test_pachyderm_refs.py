"""Pachyderm refs against the stand-in pachd: branch head to commit, paths, open commits, faults."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.data import refs
from nbtrack.data.refs import DataUnresolvedWarning
from nbtrack.errors import UsageError
from tests.helpers.pachyderm import PachdStandIn

from .conftest import HEAD, LABELS, OLD, OPEN, TOKEN


def test_a_branch_resolves_to_its_head_commit_with_its_times(
    pachd: PachdStandIn, tmp_path: Path
) -> None:
    ref = refs.resolve("pfs://images@master", root=tmp_path)
    assert (ref.kind, ref.digest, ref.resolved) == ("pachyderm", f"pachyderm:{HEAD}", True)
    assert ref.path == "pfs://images@master"
    assert ref.size == 7  # the commit's size, as pachd reports it
    assert ref.detail == {
        "project": "default",
        "repo": "images",
        "ref": "master",
        "commit": HEAD,
        "branch": "master",
        "started": "2026-12-01T09:00:00+00:00",
        "finished": "2026-12-01T09:05:30+00:00",
    }
    assert pachd.calls == ["InspectCommit"]


def test_a_path_records_its_size_type_and_hash_in_the_resolved_commit(
    pachd: PachdStandIn, tmp_path: Path
) -> None:
    folder = refs.resolve("pfs://images@master/train/", root=tmp_path)
    one = refs.resolve("pfs://images@master/train/a.png", root=tmp_path)
    assert (folder.digest, folder.size, folder.detail["file_type"]) == (
        f"pachyderm:{HEAD}",
        6,
        "dir",
    )
    assert (one.size, one.detail["file_type"], one.detail["path"]) == (4, "file", "/train/a.png")
    assert len(str(one.detail["file_hash"])) == 64
    assert one.detail["file_hash"] != folder.detail["file_hash"]


def test_a_commit_id_a_branch_at_a_commit_or_version_pin_that_commit(
    pachd: PachdStandIn, tmp_path: Path
) -> None:
    by_id = refs.resolve(f"pfs://images@{OLD}/train", root=tmp_path)
    by_branch_commit = refs.resolve(f"pfs://images@master={OLD}", root=tmp_path)
    by_version = refs.resolve("pfs://images@master", version=OLD, root=tmp_path)
    assert by_id.digest == by_branch_commit.digest == by_version.digest == f"pachyderm:{OLD}"
    assert (by_id.size, by_version.detail["ref"]) == (3, OLD)


def test_a_repo_in_another_project_is_named_project_slash_repo(
    pachd: PachdStandIn, tmp_path: Path
) -> None:
    ref = refs.resolve("pfs://vision/labels@main/labels.csv", root=tmp_path)
    assert (ref.digest, ref.detail["project"], ref.size) == (f"pachyderm:{LABELS}", "vision", 4)


def test_the_recorded_ref_keeps_the_commit_and_never_the_token(
    pachd: PachdStandIn, settings: Settings, project_root: Path
) -> None:
    # on SQLite and on PostgreSQL (settings points NBTRACK_STORE at each)
    with nbtrack.start_run() as run:
        nbtrack.track_data("pfs://images@master/train")
    pachd.repos[("default", "images")].branches["master"] = OLD
    (stored,) = nbtrack.get_run(run.id).data
    assert (stored.kind, stored.digest, stored.resolved) == ("pachyderm", f"pachyderm:{HEAD}", True)
    assert TOKEN not in repr(stored)
    assert refs.resolve("pfs://images@master", root=project_root).digest == f"pachyderm:{OLD}"


def test_an_open_commit_is_recorded_unresolved_naming_it(
    pachd: PachdStandIn, project_root: Path
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with nbtrack.start_run() as run:
            nbtrack.track_data("pfs://images@staging")
    assert [w.category for w in caught] == [DataUnresolvedWarning]
    (stored,) = nbtrack.get_run(run.id).data
    assert (stored.resolved, stored.digest) == (False, "")
    assert f"commit {OPEN}" in str(stored.detail["reason"])
    assert "still open" in str(stored.detail["reason"])


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("pfs://nope@master", "repo default/nope not found"),
        ("pfs://images@nope", "branch nope not found"),
        (
            "pfs://images@ffffffffffff4fffafffffffffffffff",
            "commit ffffffffffff4fffafffffffffffffff not found",
        ),
        ("pfs://images@master/nope.png", "file /nope.png not found"),
    ],
)
def test_what_pachd_does_not_have_is_a_usage_error_naming_it(
    pachd: PachdStandIn, tmp_path: Path, uri: str, says: str
) -> None:
    with pytest.raises(UsageError, match=rf"cannot track data '{uri}': pachd says {says}"):
        refs.resolve(uri, root=tmp_path)


def test_a_rejected_token_gives_an_unresolved_ref(
    pachd: PachdStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACH_PYTHON_AUTH_TOKEN", "tok-9f3a-stale")
    with pytest.warns(DataUnresolvedWarning, match="refused the request"):
        ref = refs.resolve("pfs://images@master", root=tmp_path)
    assert (ref.resolved, ref.digest) == (False, "")
    assert "tok-9f3a-stale" not in repr(ref)


def test_the_address_and_token_come_from_pachctls_config(
    pachd: PachdStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACHD_ADDRESS")
    monkeypatch.delenv("PACH_PYTHON_AUTH_TOKEN")
    config = tmp_path / "config.json"
    context = {"pachd_address": pachd.address, "session_token": TOKEN}
    config.write_text(json.dumps({"v2": {"active_context": "dev", "contexts": {"dev": context}}}))
    monkeypatch.setenv("PACH_CONFIG", str(config))
    assert refs.resolve("pfs://images@master", root=tmp_path).digest == f"pachyderm:{HEAD}"


def test_no_address_anywhere_gives_an_unresolved_ref_saying_where_to_set_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PACHD_ADDRESS", raising=False)
    monkeypatch.setenv("PACH_CONFIG", str(tmp_path / "absent.json"))
    with pytest.warns(DataUnresolvedWarning, match="set PACHD_ADDRESS or run pachctl connect"):
        assert not refs.resolve("pfs://images@master", root=tmp_path).resolved


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_pachd_that_is_down_gives_an_unresolved_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACHD_ADDRESS", f"grpc://127.0.0.1:{_closed_port()}")
    with pytest.warns(DataUnresolvedWarning, match="cannot be reached"):
        ref = refs.resolve("pfs://images@master", root=tmp_path)
    assert (ref.resolved, ref.path) == (False, "pfs://images@master")


def test_a_pachd_too_slow_to_answer_times_out_as_unresolved(
    pachd: PachdStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", "0.3")
    pachd.delay = 2.0
    with pytest.warns(DataUnresolvedWarning, match="cannot be reached"):
        assert not refs.resolve("pfs://images@master", root=tmp_path).resolved


def test_without_the_sdk_the_ref_is_unresolved_and_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys, warnings; sys.modules['pachyderm_sdk'] = None\n"
        "from pathlib import Path\n"
        "from nbtrack.data import refs\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    ref = refs.resolve('pfs://images@master', root=Path('.'))\n"
        "print(ref.resolved, ref.digest == '', len(caught))\n"
        "print(ref.detail['reason'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    first, reason = done.stdout.splitlines()
    assert first == "False True 1"
    assert "pip install 'nbtrack[pachyderm]'" in reason
