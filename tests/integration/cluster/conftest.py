"""A real Dask cluster for the ``--dask`` tests: one scheduler and two workers per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.dask import DaskCluster, dask_cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[DaskCluster]:
    """``dask scheduler`` and two one-thread ``dask worker`` processes on loopback."""
    with dask_cluster(2) as running:
        yield running
