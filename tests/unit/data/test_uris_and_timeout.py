"""lakefs:// and s3:// URIs taken apart without a server, and NBTRACK_DATA_TIMEOUT."""

from __future__ import annotations

import pytest

from nbtrack.data import lakefs, s3
from nbtrack.data.timeout import DEFAULT_TIMEOUT, network_timeout
from nbtrack.errors import UsageError


def test_a_lakefs_uri_splits_at_the_first_two_slashes() -> None:
    assert lakefs.parse_uri("lakefs://repo-1/feature-x/a/b/c.parquet") == (
        "repo-1",
        "feature-x",
        "a/b/c.parquet",
    )


def test_a_lakefs_uri_with_a_password_never_shows_it() -> None:
    with pytest.raises(UsageError, match=r"ana:\*\*\*@.*holds no credentials") as raised:
        lakefs.parse_uri("lakefs://ana:s3cret@repo/main/x")
    assert "s3cret" not in str(raised.value)


def test_an_s3_uri_keeps_every_slash_of_the_key() -> None:
    assert s3.parse_uri("s3://bucket/a//b/c.csv") == ("bucket", "a//b/c.csv")


def test_an_s3_uri_with_credentials_in_it_is_refused_without_showing_them() -> None:
    with pytest.raises(UsageError, match="give s3://<bucket>/<key>") as raised:
        s3.parse_uri("s3://AKIA:s3cret@bucket/key")
    assert "s3cret" not in str(raised.value)


def test_the_data_timeout_defaults_and_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBTRACK_DATA_TIMEOUT", raising=False)
    assert network_timeout() == DEFAULT_TIMEOUT
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", " 1.5 ")
    assert network_timeout() == 1.5


@pytest.mark.parametrize("value", ["soon", "0", "-2", "inf", "nan"])
def test_a_data_timeout_that_is_not_seconds_is_named(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("NBTRACK_DATA_TIMEOUT", value)
    with pytest.raises(UsageError, match=rf"NBTRACK_DATA_TIMEOUT='{value}' is not a number"):
        network_timeout()
