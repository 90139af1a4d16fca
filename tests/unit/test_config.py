"""Settings are found by walking up, validated once, and errors name the key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtrack.config import find_project_root, load_settings, store_url_from_setting
from nbtrack.errors import ConfigError


def _project(tmp_path: Path, body: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(f'[project]\nname = "x"\n{body}')
    sub = tmp_path / "notebooks" / "deep"
    sub.mkdir(parents=True)
    return sub


def test_project_root_is_nearest_ancestor_with_pyproject(tmp_path: Path) -> None:
    sub = _project(tmp_path)
    assert find_project_root(sub) == tmp_path.resolve()


def test_project_root_is_nearest_ancestor_with_git(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_project_root(sub) == tmp_path.resolve()


def test_default_store_is_sqlite_under_dot_nbtrack_at_root(tmp_path: Path) -> None:
    sub = _project(tmp_path)
    settings = load_settings(sub, env={})
    assert settings.store_url == f"sqlite:///{tmp_path.resolve()}/.nbtrack/runs.db"
    assert settings.heartbeat_timeout == 60.0
    assert settings.redact_secrets is True


def test_pyproject_store_path_is_relative_to_root(tmp_path: Path) -> None:
    sub = _project(tmp_path, '[tool.nbtrack]\nstore = "var/runs.sqlite"\n')
    settings = load_settings(sub, env={})
    assert settings.store_url == f"sqlite:///{tmp_path.resolve()}/var/runs.sqlite"


def test_environment_overrides_pyproject(tmp_path: Path) -> None:
    sub = _project(tmp_path, '[tool.nbtrack]\nstore = "a.db"\nheartbeat_timeout = 5\n')
    env = {"NBTRACK_STORE": "postgresql://u:pw@h/db", "NBTRACK_HEARTBEAT_TIMEOUT": "2.5"}
    settings = load_settings(sub, env=env)
    assert settings.store_url == "postgresql+psycopg://u:pw@h/db"
    assert settings.heartbeat_timeout == 2.5


def test_postgres_scheme_alias_is_accepted() -> None:
    assert store_url_from_setting("postgres://h/db", Path("/")) == "postgresql+psycopg://h/db"


def test_unknown_key_is_named_with_the_file(tmp_path: Path) -> None:
    sub = _project(tmp_path, '[tool.nbtrack]\nstroe = "x.db"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'stroe'") as info:
        load_settings(sub, env={})
    assert str(tmp_path / "pyproject.toml") in str(info.value)
    assert info.value.key == "stroe"


def test_bad_heartbeat_value_names_the_key(tmp_path: Path) -> None:
    sub = _project(tmp_path, '[tool.nbtrack]\nheartbeat_timeout = "soon"\n')
    with pytest.raises(ConfigError, match=r"heartbeat_timeout must be a number of seconds"):
        load_settings(sub, env={})


def test_negative_heartbeat_from_environment_is_refused(tmp_path: Path) -> None:
    sub = _project(tmp_path)
    with pytest.raises(ConfigError, match=r"NBTRACK_HEARTBEAT_TIMEOUT must be greater than 0"):
        load_settings(sub, env={"NBTRACK_HEARTBEAT_TIMEOUT": "-1"})


def test_redaction_opt_out(tmp_path: Path) -> None:
    sub = _project(tmp_path, "[tool.nbtrack]\nredact_secrets = false\n")
    assert load_settings(sub, env={}).redact_secrets is False
    with pytest.raises(ConfigError, match=r"must be true or false, not 'maybe'"):
        load_settings(sub, env={"NBTRACK_REDACT_SECRETS": "maybe"})


def test_broken_pyproject_is_one_sentence_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nbtrack\nstore=")
    with pytest.raises(ConfigError, match=r"pyproject.toml cannot be read as TOML"):
        load_settings(tmp_path, env={})


def test_mask_url_hides_a_password_holding_colons_and_slashes() -> None:
    from nbtrack.config import mask_url

    assert mask_url("postgresql://ana:a/b:c@db/runs") == "postgresql://ana:***@db/runs"


def test_mask_url_masks_a_url_sqlalchemy_cannot_parse() -> None:
    from nbtrack.config import mask_url

    assert (
        mask_url("postgresql://ana:pw@db:notaport/runs") == "postgresql://ana:***@db:notaport/runs"
    )


def test_mask_url_leaves_urls_without_a_password_alone() -> None:
    from nbtrack.config import mask_url

    for url in ("postgresql://ana@db/runs", "sqlite:////tmp/a:b@c.db", "runs.db"):
        assert mask_url(url) == url


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql://ana@db/runs?password=hunter2",
            "postgresql://ana@db/runs?password=***",
        ),
        (
            "postgresql://ana@db/runs?sslmode=require&sslpassword=k3y&application_name=nb",
            "postgresql://ana@db/runs?sslmode=require&sslpassword=***&application_name=nb",
        ),
        (
            "postgresql://ana:pw@db/runs?PassWord=a%26b&auth_token=t0k&api-key=x",
            "postgresql://ana:***@db/runs?PassWord=***&auth_token=***&api-key=***",
        ),
        # a key spelled with percent-escapes is the same key to the driver
        ("postgresql://db/runs?pass%77ord=hunter2", "postgresql://db/runs?pass%77ord=***"),
        # names that only look alike, and empty values, stay as they are
        (
            "postgresql://db/runs?max_tokens=5&passfile=/home/ana/.pgpass&password=",
            "postgresql://db/runs?max_tokens=5&passfile=/home/ana/.pgpass&password=",
        ),
        ("sqlite:////tmp/a:b@c.db?password=x", "sqlite:////tmp/a:b@c.db?password=***"),
    ],
)
def test_mask_url_hides_secrets_in_the_query_string(url: str, masked: str) -> None:
    from nbtrack.config import mask_url

    assert mask_url(url) == masked


def test_mask_url_drop_leaves_secret_query_keys_out() -> None:
    from nbtrack.config import mask_url

    assert (
        mask_url("postgresql://ana:pw@db/runs?sslpassword=k&sslmode=require&token=t", drop=True)
        == "postgresql://ana@db/runs?sslmode=require"
    )
    assert mask_url("postgresql://ana@db/runs?password=hunter2", drop=True) == (
        "postgresql://ana@db/runs"
    )
