"""A store that cannot be reached right now is a StoreUnreachableError; other faults are not."""

from __future__ import annotations

import pytest
from sqlalchemy import exc

from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.store._engine import translate

PG = "postgresql+psycopg://ana:hunter2@db.example:5433/runs"


def driver_error(kind: type[exc.DBAPIError], text: str) -> exc.DBAPIError:
    return kind("SELECT 1", {}, Exception(text))


@pytest.mark.parametrize(
    "text",
    [
        'connection failed: connection to server at "10.0.0.5", port 5433 failed:'
        " Connection refused",
        "connection timeout expired",
        "server closed the connection unexpectedly",
        "terminating connection due to administrator command",
    ],
)
def test_a_server_a_retry_may_reach_is_unreachable(text: str) -> None:
    error = translate(driver_error(exc.OperationalError, text), PG)
    assert isinstance(error, StoreUnreachableError)
    assert str(error).startswith("Cannot reach the PostgreSQL store at db.example:5433")
    assert "hunter2" not in str(error)
    assert error.uri == "postgresql+psycopg://ana:***@db.example:5433/runs"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            'connection failed: FATAL: password authentication failed for user "ana"',
            "password authentication failed",
        ),
        ('connection failed: FATAL: database "runs" does not exist', "does not exist"),
        ("connection failed: could not translate host name to address", "translate"),
        ("failed to resolve host 'db.example'", "resolve"),
    ],
)
def test_a_fault_no_retry_cures_stays_a_plain_store_error(text: str, reason: str) -> None:
    error = translate(driver_error(exc.OperationalError, text), PG)
    assert type(error) is StoreError
    assert str(error).startswith("Cannot reach the PostgreSQL store at db.example:5433")
    assert reason in str(error)


def test_other_driver_errors_and_sqlite_are_never_unreachable() -> None:
    pg = translate(driver_error(exc.ProgrammingError, "connection refused"), PG)
    assert type(pg) is StoreError
    sqlite = translate(
        driver_error(exc.OperationalError, "unable to open database file"), "sqlite:///x/runs.db"
    )
    assert type(sqlite) is StoreError
