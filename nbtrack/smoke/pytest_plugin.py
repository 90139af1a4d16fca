"""pytest plugin: ``pytest --nbtrack-smoke`` collects notebooks as test items.

Registered through the ``pytest11`` entry point, so it is loaded by every
pytest run in an environment where nbtrack is installed: it imports nothing
but pytest at start-up and does nothing unless ``--nbtrack-smoke`` is given.
Each ``*.ipynb`` becomes one item that runs exactly what ``nbtrack smoke``
runs and fails with the same text. Items are plain files and node ids, so
pytest-xdist (``-n 2``) distributes them like any test. SIGTERM (a cancelled
CI job) stops the running notebook, as it does for ``nbtrack smoke``, and
ends the session with exit code 143.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nbtrack.smoke.options import SmokeOptions
    from nbtrack.smoke.result import SmokeResult


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbtrack", "nbtrack notebook smoke tests")
    group.addoption(
        "--nbtrack-smoke",
        action="store_true",
        default=False,
        help="collect *.ipynb files as smoke-test items (run as clean scripts)",
    )
    group.addoption(
        "--nbtrack-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="inject a parameter into every notebook (like nbtrack smoke -p)",
    )
    group.addoption(
        "--nbtrack-param-file",
        action="append",
        default=[],
        metavar="FILE",
        help="inject parameters from a YAML/TOML/JSON file (like -f)",
    )
    group.addoption(
        "--nbtrack-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="kill a notebook that runs longer than this (like nbtrack smoke --timeout)",
    )
    group.addoption(
        "--nbtrack-cell-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="kill a notebook when one cell runs longer than this",
    )
    group.addoption(
        "--nbtrack-strict",
        action="store_true",
        default=False,
        help="static hidden-state warnings fail the notebook",
    )
    group.addoption(
        "--nbtrack-isolate",
        action="store_true",
        default=False,
        help="run in a temporary copy of the repository's git-tracked files",
    )
    group.addoption(
        "--nbtrack-engine",
        choices=["script", "kernel"],
        default="script",
        help="script: fresh IPython process (default); kernel: nbclient + the kernelspec",
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if (
        file_path.suffix == ".ipynb"
        and parent.config.getoption("nbtrack_smoke")
        and ".ipynb_checkpoints" not in file_path.parts
    ):
        from nbtrack.smoke.options import project_smoke_config

        if project_smoke_config(file_path.parent).excluded(file_path):
            return None  # [tool.nbtrack.smoke] exclude, as for `nbtrack smoke folder/`
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFailed(Exception):
    """Carries the result of a failed notebook to :meth:`NotebookItem.repr_failure`."""

    def __init__(self, result: SmokeResult) -> None:
        super().__init__(result.status)
        self.result = result


def _options(config: pytest.Config) -> SmokeOptions:
    from nbtrack.notebook import parse_param_assignments
    from nbtrack.smoke.options import SmokeOptions

    return SmokeOptions(
        params=parse_param_assignments(config.getoption("nbtrack_param")),
        param_files=tuple(Path(p) for p in config.getoption("nbtrack_param_file")),
        timeout=config.getoption("nbtrack_timeout"),
        cell_timeout=config.getoption("nbtrack_cell_timeout"),
        strict=config.getoption("nbtrack_strict"),
        isolate=config.getoption("nbtrack_isolate"),
        engine=config.getoption("nbtrack_engine"),
    )


class NotebookFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        yield NotebookItem.from_parent(self, name=self.path.name)


class NotebookItem(pytest.Item):
    """One notebook, smoke-run in a fresh process."""

    def runtest(self) -> None:
        from nbtrack.smoke.options import project_smoke_config
        from nbtrack.smoke.runner import run_notebook

        config = project_smoke_config(self.path.parent)
        options = _options(self.config)
        if config.strict and not options.strict:
            from dataclasses import replace

            options = replace(options, strict=True)
        path = self.path
        with contextlib.suppress(ValueError):  # messages name it as the user would
            path = path.relative_to(Path.cwd())
        try:
            result = run_notebook(path, options, config)
        except SystemExit as stop:  # SIGTERM: the notebook is stopped; so is the session
            code = stop.code if isinstance(stop.code, int) else None
            pytest.exit(f"{path}: stopped by SIGTERM; its notebook was stopped too", code)
        if result.status == "skipped":
            from nbtrack.printable import printable

            pytest.skip(printable(result.reason or "skipped"))
        if not result.ok:
            raise NotebookFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        from nbtrack.errors import NbtrackError
        from nbtrack.printable import ANSI_SEQUENCE, printable

        if isinstance(excinfo.value, NotebookFailed):
            from nbtrack.smoke.report import render_failure

            result = excinfo.value.result
            text = render_failure(result)
            if result.failure and result.failure.traceback:
                # a kernel's traceback is coloured; what the notebook wrote in it must not act
                trace = "\n".join(result.failure.traceback)
                text += "\n\n" + printable(ANSI_SEQUENCE.sub("", trace), lines=True)
            return text
        if isinstance(excinfo.value, NbtrackError):
            return f"Error: {printable(str(excinfo.value), lines=True)}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"notebook {self.path.name}"
