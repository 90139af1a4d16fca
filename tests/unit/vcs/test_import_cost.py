"""The diff path must not pay for nbformat / nbdime / jupytext imports (0.5 s budget)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers.notebooks import code, load, notebook, write

PROBE = """
import sys
from nbtrack.cli import cli
cli.main(sys.argv[1:], standalone_mode=False)
heavy = sorted(m for m in ("nbformat", "nbdime", "jupytext", "rich", "yaml") if m in sys.modules)
print("HEAVY:", ",".join(heavy))
"""


def test_markdown_diff_of_two_files_imports_no_heavy_library(tmp_path: Path) -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = 2"
    a, b = write(tmp_path / "a.ipynb", old), write(tmp_path / "b.ipynb", new)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "diff", str(a), str(b), "--format", "markdown"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "+x = 2" in done.stdout
    assert done.stdout.strip().endswith("HEAVY:")
