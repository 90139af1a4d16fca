"""The public API: what `import nbtrack` costs and what it exports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbtrack

HEAVY = ["sqlalchemy", "nbformat", "jupytext", "nbdime", "papermill", "matplotlib", "pandas"]


def test_import_nbtrack_loads_no_heavy_library() -> None:
    code = (
        f"import sys, json, nbtrack\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_all_is_sorted_and_names_exactly_what_the_module_imports() -> None:
    assert nbtrack.__all__ == sorted(nbtrack.__all__)
    source = Path(nbtrack.__file__).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module not in ("__future__", "typing"):
            imported.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            imported.add(node.name)
    assert set(nbtrack.__all__) == imported
    for name in nbtrack.__all__:
        assert hasattr(nbtrack, name), name


def test_version_is_the_package_version() -> None:
    from nbtrack._version import __version__

    assert nbtrack.__version__ == __version__
