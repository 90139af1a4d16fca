"""Delta Lake tables as data refs: real tables written by deltalake in tmp_path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nbtrack.data import refs
from nbtrack.data.delta import is_table
from nbtrack.errors import UsageError
from tests.helpers.delta import commit_of, events_table, files_on_disk


def iso(epoch_ms: int) -> str:
    stamp = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def events(tmp_path: Path) -> Path:
    return events_table(tmp_path / "data" / "events", versions=4)


def test_the_latest_version_is_the_digest_with_its_commit_and_files(
    events: Path, tmp_path: Path
) -> None:
    from deltalake import DeltaTable

    ref = refs.resolve(events, root=tmp_path)
    commit = commit_of(events, 3)
    assert (ref.path, ref.kind, ref.digest, ref.resolved) == (
        "data/events",
        "delta",
        "delta:3",
        True,
    )
    assert ref.size == sum(files_on_disk(events, 3)) > 0
    assert ref.detail == {
        "table_id": DeltaTable(events).metadata().id,
        "version": 3,
        "committed_at": iso(commit["timestamp"]),
        "operation": "WRITE",
        "files": 1,
    }


def test_a_pinned_version_is_that_version_not_the_latest(events: Path, tmp_path: Path) -> None:
    pinned = refs.resolve(events, version=2, root=tmp_path)
    assert pinned.digest == "delta:2"
    assert pinned.size == sum(files_on_disk(events, 2))
    assert pinned.detail["files"] == 3  # the create and two appends, before the overwrite
    assert pinned.detail["committed_at"] == iso(commit_of(events, 2)["timestamp"])
    assert pinned.detail["pinned"] is True
    assert (
        refs.resolve(events, root=tmp_path).detail["committed_at"] != pinned.detail["committed_at"]
    )


def test_a_version_given_as_a_digit_string_pins_the_same_version(
    events: Path, tmp_path: Path
) -> None:
    as_int = refs.resolve(events, version=0, root=tmp_path)
    as_text = refs.resolve(events, version="0", root=tmp_path)
    assert (as_int.digest, as_int.size, as_int.detail) == (
        as_text.digest,
        as_text.size,
        as_text.detail,
    )
    assert as_int.digest == "delta:0"


def test_a_version_the_table_lacks_names_the_table_and_its_versions(
    events: Path, tmp_path: Path
) -> None:
    with pytest.raises(UsageError) as raised:
        refs.resolve(events, version=7, root=tmp_path)
    assert str(raised.value) == "Delta table 'data/events' has no version 7: it has 0..3."


@pytest.mark.parametrize("version", ["latest", "-1", -1, "1.5", True])
def test_a_version_that_is_not_a_whole_number_is_refused(
    events: Path, tmp_path: Path, version: object
) -> None:
    with pytest.raises(UsageError, match=r"Delta table 'data/events' at version=.*whole number"):
        refs.resolve(events, version=version, root=tmp_path)  # type: ignore[arg-type]


def test_a_broken_commit_file_is_one_sentence_with_deltalakes_reason(
    events: Path, tmp_path: Path
) -> None:
    (events / "_delta_log" / f"{3:020d}.json").write_text("{not json\n")
    with pytest.raises(UsageError) as raised:
        refs.resolve(events, root=tmp_path)
    message = str(raised.value)
    assert message.startswith("cannot read Delta table 'data/events': deltalake says ")
    assert "Json error" in message
    assert "\n" not in message
    assert message.endswith(".")


def test_an_empty_log_is_a_table_deltalake_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "empty" / "_delta_log").mkdir(parents=True)
    assert is_table(tmp_path / "empty")
    with pytest.raises(UsageError, match=r"^cannot read Delta table 'empty': deltalake says "):
        refs.resolve(tmp_path / "empty", root=tmp_path)


def test_a_version_whose_log_was_cleaned_up_says_which_versions_are_kept(
    events: Path, tmp_path: Path
) -> None:
    from deltalake import DeltaTable

    DeltaTable(events, version=2).create_checkpoint()
    for number in (0, 1):
        (events / "_delta_log" / f"{number:020d}.json").unlink()
    assert refs.resolve(events, version=2, root=tmp_path).digest == "delta:2"
    with pytest.raises(UsageError) as raised:
        refs.resolve(events, version=1, root=tmp_path)
    assert str(raised.value) == (
        "Delta table 'data/events' no longer keeps version 1 (its log was cleaned up): it has 2..3."
    )


def test_a_file_uri_resolves_like_the_path(events: Path, tmp_path: Path) -> None:
    by_uri = refs.resolve(f"file://{events}", root=tmp_path)
    by_path = refs.resolve(events, root=tmp_path)
    assert (by_uri.path, by_uri.kind, by_uri.digest, by_uri.detail) == (
        by_path.path,
        "delta",
        "delta:3",
        by_path.detail,
    )


def test_a_table_outside_the_project_is_shown_by_its_absolute_path(
    events: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    assert refs.resolve(events, root=project).path == events.as_posix()


def test_a_directory_without_a_log_is_hashed_as_files_not_read_as_a_table(
    tmp_path: Path,
) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "part-0.parquet").write_bytes(b"PAR1")
    assert refs.resolve(tmp_path / "plain", root=tmp_path).kind == "directory"
