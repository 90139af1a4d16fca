"""What a smoke run or a lint produces: frozen values, no behaviour.

The runner and the linter return these; the console, JUnit, JSON and GitHub
renderers and the pytest plugin only read them (:class:`CellFailure` is
:mod:`nbtrack.notebook`'s, shared with ``nbtrack run``). Cells are named by their
0-based ``cell`` index here and rendered 1-based ("cell 7"), counting every
cell of the notebook, markdown included, as a reader scrolling it would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nbtrack.notebook.failure import CellFailure

__all__ = ["CellFailure", "LintWarning", "SmokeResult", "Status"]

Status = Literal["passed", "failed", "skipped", "timeout"]


@dataclass(frozen=True)
class LintWarning:
    """One finding of the static hidden-state check (or, ``early-exit``, of the run).

    ``severity`` is ``warning`` (``--strict`` fails on it) or ``note`` (said,
    never fatal: e.g. stripped execution counts).
    """

    code: str
    message: str
    cell: int | None = None
    severity: Literal["warning", "note"] = "warning"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "cell_index": self.cell,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class SmokeResult:
    """The outcome of smoke-running one notebook."""

    notebook: Path
    status: Status
    failure: CellFailure | None = None
    seconds: float = 0.0
    warnings: tuple[LintWarning, ...] = ()
    #: why it was skipped, or why it failed without a cell failure (``--strict``)
    reason: str | None = None
    #: the tail of what the notebook printed (stdout and stderr, interleaved)
    output: str = ""
    #: where ``--keep-script`` / ``--output-dir`` wrote files for this notebook
    artifacts: tuple[Path, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": str(self.notebook),
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "reason": self.reason,
            "failure": self.failure.to_dict() if self.failure else None,
            "warnings": [w.to_dict() for w in self.warnings],
            "output": self.output,
            "artifacts": [str(p) for p in self.artifacts],
        }
