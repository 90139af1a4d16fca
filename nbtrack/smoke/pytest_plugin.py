"""pytest plugin: ``pytest --nbtrack-smoke`` collects notebooks as test items.

Registered through the ``pytest11`` entry point, so it is loaded by every
pytest run in an environment where nbtrack is installed: it must import
nothing heavy and do nothing unless ``--nbtrack-smoke`` is given.
"""

from __future__ import annotations

from typing import Any


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("nbtrack", "nbtrack notebook smoke tests")
    group.addoption(
        "--nbtrack-smoke",
        action="store_true",
        default=False,
        help="collect *.ipynb files as smoke-test items (run as clean scripts)",
    )
