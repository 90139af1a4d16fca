"""Fixtures for smoke integration tests: run ``nbtrack smoke`` / ``lint`` for real."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


Invoke = Callable[..., Outcome]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (with a pyproject.toml) as the working directory."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return root


@pytest.fixture
def nbtrack_cli(project: Path) -> Invoke:
    """Run an nbtrack command in-process (its notebooks still run in child processes)."""
    from nbtrack.cli import cli

    def invoke(*args: str, env: dict[str, str] | None = None) -> Outcome:
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return invoke
