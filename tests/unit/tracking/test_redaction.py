"""What a run is given with a secret in it is stored redacted: params, tags, the command line.

Every test scans the whole store folder (each table's rows, each file's
bytes) for the secret, and checks what is kept of the value around it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack.tracking import StoreOutageWarning
from tests.helpers.secrets import leaks


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of this test's SQLite store (the database and its artifacts)."""
    folder = tmp_path / "store"
    monkeypatch.setenv("NBTRACK_STORE", str(folder / "runs.db"))
    return folder


def test_nested_secret_keys_and_url_credentials_in_params_are_stored_redacted(
    store_dir: Path,
) -> None:
    with nbtrack.start_run() as run:
        nbtrack.log_params(
            {
                "config": {
                    "password": "nested-pw-1",
                    "user": "ana",
                    "layers": [64, {"api_key": "k2"}],
                },
                "db_url": "postgresql://ana:url-pw-3@db:5432/runs",
                "endpoint": "https://api.example.com/v1?token=query-tok-4&region=eu",
                "max_tokens": 512,
            }
        )
    assert leaks([store_dir], ["nested-pw-1", '"k2"', "url-pw-3", "query-tok-4"]) == []
    assert {p.key: p.value for p in nbtrack.get_run(run.id).params} == {
        "config": {"password": "***", "user": "ana", "layers": [64, {"api_key": "***"}]},
        "db_url": "postgresql://ana:***@db:5432/runs",
        "endpoint": "https://api.example.com/v1?token=***&region=eu",
        "max_tokens": 512,
    }


def test_a_param_with_a_redacted_part_still_conflicts_without_showing_either_value() -> None:
    with nbtrack.start_run():
        nbtrack.log_param("db", {"host": "h", "password": "pw-one"})
        nbtrack.log_param("db", {"host": "h", "password": "pw-one"})  # the same value: fine
        with pytest.raises(nbtrack.ParamError) as caught:
            nbtrack.log_param("db", {"host": "h", "password": "pw-two"})
    assert "redacted" in str(caught.value)
    assert "pw-" not in str(caught.value)


def test_tags_named_like_secrets_or_holding_url_credentials_are_stored_redacted(
    store_dir: Path,
) -> None:
    with nbtrack.start_run(tags={"api_key": "tag-key-5", "team": "vision"}) as run:
        nbtrack.set_tags(
            {"tracking_uri": "https://ana:tag-pw-6@mlflow.example.com/", "HF_TOKEN": "hf_tag7"}
        )
    assert leaks([store_dir], ["tag-key-5", "tag-pw-6", "hf_tag7"]) == []
    assert nbtrack.get_run(run.id).tags == {
        "api_key": "***",
        "team": "vision",
        "tracking_uri": "https://ana:***@mlflow.example.com/",
        "HF_TOKEN": "***",
    }


ARGV = [
    "train.py",
    "--password",
    "argv-pw-8",
    "--token=argv-tok-9",
    "-p",
    "api_token=argv-api-10",
    "--store",
    "postgresql://ana:argv-url-11@db/runs",
    "--epochs",
    "3",
]


def test_secrets_on_the_command_line_are_stored_redacted_in_the_environment(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ARGV)
    with nbtrack.start_run() as run:
        pass
    assert leaks([store_dir], ["argv-pw-8", "argv-tok-9", "argv-api-10", "argv-url-11"]) == []
    assert nbtrack.get_run(run.id).environment.argv == (
        "train.py",
        "--password",
        "***",
        "--token=***",
        "-p",
        "api_token=***",
        "--store",
        "postgresql://ana:***@db/runs",
        "--epochs",
        "3",
    )


def test_with_redact_secrets_off_params_tags_and_argv_are_stored_as_given(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_REDACT_SECRETS", "false")
    monkeypatch.setattr(sys, "argv", ARGV)
    with nbtrack.start_run(tags={"api_key": "tag-key-5"}) as run:
        nbtrack.log_param("db_url", "postgresql://ana:url-pw-3@db/runs")
    stored = nbtrack.get_run(run.id)
    assert stored.params[0].value == "postgresql://ana:url-pw-3@db/runs"
    assert stored.tags == {"api_key": "tag-key-5"}
    assert stored.environment.argv == tuple(ARGV)


def test_an_exception_message_with_a_url_password_is_stored_redacted_in_its_event(
    store_dir: Path,
) -> None:
    with pytest.raises(ConnectionError), nbtrack.start_run() as run:
        raise ConnectionError("cannot reach postgresql://ana:event-pw-12@db/runs")
    assert leaks([store_dir], ["event-pw-12"]) == []
    (event,) = nbtrack.get_run(run.id).events
    assert event.detail["message"] == "cannot reach postgresql://ana:***@db/runs"


def test_a_spill_file_written_while_the_store_is_down_holds_no_secret(
    down_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", down_url)
    monkeypatch.setattr(sys, "argv", ARGV)
    with pytest.warns(StoreOutageWarning):
        run = nbtrack.start_run(tags={"api_key": "tag-key-5"})
    nbtrack.log_params({"db": {"url": "postgresql://ana:url-pw-3@db/runs", "password": "pw-13"}})
    nbtrack.set_tag("HF_TOKEN", "hf_tag7")
    with pytest.warns(StoreOutageWarning, match="replay_spill"):
        nbtrack.end_run(timeout=0.5)
    (spill,) = run.spilled
    secrets = ["tag-key-5", "url-pw-3", "pw-13", "hf_tag7", "argv-pw-8", "argv-api-10"]
    assert leaks([spill.parent], secrets) == []
