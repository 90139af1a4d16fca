"""pfs:// URIs: their parts and the malformed ones (no pachd needed to refuse them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtrack.data import pachyderm
from nbtrack.errors import UsageError


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        ("pfs://images@master", ("default", "images", "master", None)),
        ("pfs://images@master/", ("default", "images", "master", None)),
        ("pfs://vision/labels@main/a/b.csv", ("vision", "labels", "main", "/a/b.csv")),
        ("pfs://images@master=0a1b2c/train/", ("default", "images", "master=0a1b2c", "/train")),
    ],
)
def test_a_uri_is_taken_apart_as_pachctl_reads_it(
    uri: str, parts: tuple[str, str, str, str | None]
) -> None:
    target = pachyderm.parse(uri)
    assert (target.project, target.repo, target.ref, target.path) == parts


@pytest.mark.parametrize(
    "uri",
    ["pfs://images", "pfs://images/train", "pfs://@master", "pfs://a/b/c@master", "pfs://images@"],
)
def test_a_malformed_uri_is_one_usage_error_naming_it(uri: str) -> None:
    with pytest.raises(UsageError, match=rf"cannot track data '{uri}': a Pachyderm URI reads"):
        pachyderm.resolve(uri, version=None, root=Path("."))
