"""dolt:// URIs: their parts, the malformed ones, and how they are shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtrack.config import mask_url
from nbtrack.data import dolt
from nbtrack.errors import UsageError


def test_a_full_uri_is_taken_apart() -> None:
    assert dolt.parse("dolt://ana@db.example.org:3307/sales@v1.2/orders") == dolt.DoltTarget(
        host="db.example.org",
        port=3307,
        user="ana",
        password=None,
        database="sales",
        ref="v1.2",
        table="orders",
    )


def test_the_defaults_are_dolts_root_user_and_port_3306() -> None:
    target = dolt.parse("dolt://localhost/mydb")
    assert (target.user, target.port, target.ref, target.table) == ("root", 3306, None, None)


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("dolt://localhost", "a Dolt URI reads"),
        ("dolt:///mydb@main", "a Dolt URI reads"),
        ("dolt://localhost:http/mydb@main", "the port 'http' is not a number"),
        ("dolt://localhost:0/mydb@main", "the port '0' is not a number"),
        ("dolt://localhost/mydb@", "the ref after @ is empty"),
        ("dolt://localhost/mydb@main/", "a Dolt URI reads"),
        ("dolt://localhost/mydb@main/t/extra", "a Dolt URI reads"),
    ],
)
def test_a_malformed_uri_is_one_usage_error_naming_it(uri: str, says: str) -> None:
    with pytest.raises(UsageError, match=says) as caught:
        dolt.resolve(uri, version=None, root=Path("."))
    assert repr(mask_url(uri)) in str(caught.value)


def test_a_dolt_uri_with_a_port_and_a_ref_is_shown_as_it_is() -> None:
    # the generic URL grammar would read "3306/mydb" as a password and hide the database
    assert mask_url("dolt://localhost:3306/mydb@main") == "dolt://localhost:3306/mydb@main"


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("dolt://ana:pw@localhost:3306/mydb@main", "dolt://ana:***@localhost:3306/mydb@main"),
        ("dolt://ana:p/w@localhost/mydb@main", "dolt://ana:***@localhost/mydb@main"),
    ],
)
def test_a_password_in_a_dolt_uri_is_hidden(uri: str, shown: str) -> None:
    assert mask_url(uri) == shown
