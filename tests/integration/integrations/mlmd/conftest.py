"""MLMD export tests run in an empty tmp project whose store is the test's."""

from __future__ import annotations

from tests.helpers.project import in_project

__all__ = ["in_project"]
