"""The PostgreSQL fixture skips without a server on a laptop but fails in CI."""

from __future__ import annotations

import pytest

from tests.conftest import _missing_postgres


def test_missing_postgres_is_a_skip_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL not available: no initdb"):
        _missing_postgres("no initdb")


def test_missing_postgres_fails_when_ci_is_true(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but PostgreSQL cannot be used"):
        _missing_postgres("no initdb")


@pytest.mark.postgres
def test_each_test_gets_a_fresh_empty_database(pg_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).scalar()
    engine.dispose()
    assert tables == 0
