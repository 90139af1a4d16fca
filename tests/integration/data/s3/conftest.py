"""One moto S3 server for the session (each xdist worker its own), reached through env vars."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.s3 import S3Server, s3_server


@pytest.fixture(scope="session")
def s3_session() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def s3(s3_session: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The session's server, with this test's environment pointing boto3 at it."""
    for name, value in s3_session.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    return s3_session
