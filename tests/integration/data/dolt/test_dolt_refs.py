"""Dolt refs against the stand-in Dolt SQL server: branch, tag and commit to a hash; faults."""

from __future__ import annotations

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
from tests.helpers.dolt import DoltStandIn

from .conftest import FEATURE, FIRST, PASSWORD, SECOND


def _uri(server: DoltStandIn, rest: str) -> str:
    return f"dolt://root@127.0.0.1:{server.port}/{rest}"


def test_a_branch_resolves_to_its_head_commit_with_its_committer_and_date(
    dolt: DoltStandIn, tmp_path: Path
) -> None:
    ref = refs.resolve(_uri(dolt, "mydb@main"), root=tmp_path)
    assert (ref.kind, ref.digest, ref.resolved, ref.size) == ("dolt", f"dolt:{SECOND}", True, None)
    assert ref.path == _uri(dolt, "mydb@main")
    assert ref.detail == {
        "database": "mydb",
        "ref": "main",
        "ref_kind": "branch",
        "commit": SECOND,
        "committer": "ben",
        "email": "ben@example.org",
        "date": "2026-12-01T17:30:05+00:00",
    }


def test_the_recorded_ref_keeps_the_commit_after_the_branch_moves(
    dolt: DoltStandIn, settings: Settings, project_root: Path
) -> None:
    # on SQLite and on PostgreSQL (settings points NBTRACK_STORE at each)
    with nbtrack.start_run() as run:
        nbtrack.track_data(_uri(dolt, "mydb@main"))
    dolt.databases["mydb"].branches["main"] = FEATURE
    stored = nbtrack.get_run(run.id).data
    assert [(d.kind, d.digest, d.resolved) for d in stored] == [("dolt", f"dolt:{SECOND}", True)]
    assert stored[0].detail["commit"] == SECOND
    assert refs.resolve(_uri(dolt, "mydb@main"), root=project_root).digest == f"dolt:{FEATURE}"


def test_a_commit_hash_or_a_tag_resolves_to_that_commit(dolt: DoltStandIn, tmp_path: Path) -> None:
    by_hash = refs.resolve(_uri(dolt, f"mydb@{FIRST}"), root=tmp_path)
    by_tag = refs.resolve(_uri(dolt, "mydb@v1"), root=tmp_path)
    assert by_hash.digest == by_tag.digest == f"dolt:{FIRST}"
    assert (by_hash.detail["ref_kind"], by_tag.detail["ref_kind"]) == ("commit", "tag")
    assert by_tag.detail["committer"] == "ana"


def test_version_pins_a_commit_in_place_of_the_uri_ref(dolt: DoltStandIn, tmp_path: Path) -> None:
    ref = refs.resolve(_uri(dolt, "mydb@main"), version=FIRST, root=tmp_path)
    assert (ref.digest, ref.detail["ref"]) == (f"dolt:{FIRST}", FIRST)


def test_a_branch_name_with_a_slash_is_percent_encoded(dolt: DoltStandIn, tmp_path: Path) -> None:
    ref = refs.resolve(_uri(dolt, "mydb@feature%2Fx"), root=tmp_path)
    assert (ref.digest, ref.detail["ref"]) == (f"dolt:{FEATURE}", "feature/x")


def test_no_ref_reads_the_servers_default_branch(dolt: DoltStandIn, tmp_path: Path) -> None:
    ref = refs.resolve(_uri(dolt, "mydb"), root=tmp_path)
    assert ref.digest == f"dolt:{SECOND}"
    assert (ref.detail["ref"], ref.detail["default_branch"]) == ("main", True)


def test_a_table_records_its_value_hash_at_the_resolved_commit(
    dolt: DoltStandIn, tmp_path: Path
) -> None:
    at_tag = refs.resolve(_uri(dolt, "mydb@v1/events"), root=tmp_path)
    at_main = refs.resolve(_uri(dolt, "mydb@main/events"), root=tmp_path)
    assert (at_tag.digest, at_tag.detail["table"]) == (f"dolt:{FIRST}", "events")
    assert (at_tag.detail["table_hash"], at_main.detail["table_hash"]) == ("a" * 32, "b" * 32)
    # the table was read in the revision database of the commit, not on the moving branch
    assert "SELECT DOLT_HASHOF_TABLE('events')" in dolt.statements


def test_an_unknown_table_is_a_usage_error_naming_it(dolt: DoltStandIn, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no table 'nope'"):
        refs.resolve(_uri(dolt, "mydb@main/nope"), root=tmp_path)


@pytest.mark.parametrize("ref", ["nope", "v9", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"])
def test_an_unknown_branch_tag_or_commit_is_a_usage_error_naming_it(
    dolt: DoltStandIn, tmp_path: Path, ref: str
) -> None:
    with pytest.raises(UsageError, match=rf"database 'mydb' has no branch, tag or commit '{ref}'"):
        refs.resolve(_uri(dolt, f"mydb@{ref}"), root=tmp_path)


def test_an_unknown_database_is_a_usage_error_naming_it(dolt: DoltStandIn, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"has no database 'otherdb'"):
        refs.resolve(_uri(dolt, "otherdb@main"), root=tmp_path)


def test_a_bad_uri_never_reaches_the_run(dolt: DoltStandIn, project_root: Path) -> None:
    with nbtrack.start_run() as run:
        nbtrack.track_data(_uri(dolt, "mydb@main"))
        with pytest.raises(UsageError):
            nbtrack.track_data(_uri(dolt, "mydb@nope"))
    assert [d.digest for d in nbtrack.get_run(run.id).data] == [f"dolt:{SECOND}"]


def test_a_rejected_password_records_the_ref_unresolved_with_one_warning(
    dolt: DoltStandIn, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOLT_PASSWORD", "wrong-password")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with nbtrack.start_run() as run:
            nbtrack.track_data(_uri(dolt, "mydb@main"))
    assert [w.category for w in caught] == [DataUnresolvedWarning]
    assert "access denied" in str(caught[0].message)
    (stored,) = nbtrack.get_run(run.id).data
    assert (stored.resolved, stored.digest, stored.kind) == (False, "", "dolt")
    assert "DOLT_PASSWORD" in str(stored.detail["reason"])
    assert "wrong-password" not in repr(stored)


def test_a_password_in_the_uri_is_used_but_never_stored(
    dolt: DoltStandIn, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOLT_PASSWORD")
    uri = f"dolt://root:{PASSWORD}@127.0.0.1:{dolt.port}/mydb@main"
    with nbtrack.start_run() as run:
        nbtrack.track_data(uri)
    (stored,) = nbtrack.get_run(run.id).data
    assert stored.digest == f"dolt:{SECOND}"
    assert stored.path == f"dolt://root:***@127.0.0.1:{dolt.port}/mydb@main"
    assert PASSWORD not in repr(stored)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_down_gives_an_unresolved_ref(tmp_path: Path) -> None:
    uri = f"dolt://127.0.0.1:{_closed_port()}/mydb@main"
    with pytest.warns(DataUnresolvedWarning, match="cannot be reached"):
        ref = refs.resolve(uri, root=tmp_path)
    assert (ref.resolved, ref.digest, ref.path) == (False, "", uri)


def test_a_server_that_never_answers_times_out_as_unresolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", "0.3")
    with socket.socket() as silent:  # accepts connections (the kernel does), never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        uri = f"dolt://127.0.0.1:{silent.getsockname()[1]}/mydb@main"
        with pytest.warns(DataUnresolvedWarning, match="cannot be reached"):
            assert not refs.resolve(uri, root=tmp_path).resolved


def test_a_server_stopped_after_a_first_answer_gives_an_unresolved_ref(
    dolt: DoltStandIn, tmp_path: Path
) -> None:
    uri = _uri(dolt, "mydb@main")
    assert refs.resolve(uri, root=tmp_path).resolved
    dolt.stop()
    with pytest.warns(DataUnresolvedWarning):
        assert not refs.resolve(uri, root=tmp_path).resolved


def test_without_pymysql_the_ref_is_unresolved_and_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys, warnings; sys.modules['pymysql'] = None\n"
        "from pathlib import Path\n"
        "from nbtrack.data import refs\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    ref = refs.resolve('dolt://localhost/mydb@main', root=Path('.'))\n"
        "print(ref.resolved, ref.digest == '', len(caught))\n"
        "print(ref.detail['reason'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    first, reason = done.stdout.splitlines()
    assert first == "False True 1"
    assert "pip install 'nbtrack[dolt]'" in reason
