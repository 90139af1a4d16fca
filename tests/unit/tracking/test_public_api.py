"""The public API: what `import nbtrack` costs and what it exports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

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
    imported: dict[str, str] = {}  # name -> module, from the imports type checkers see
    defined: set[str] = set()
    body = ast.parse(source).body
    for node in body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:`
            body.extend(node.body)
        elif isinstance(node, ast.ImportFrom) and node.module not in ("__future__", "typing"):
            imported.update({alias.asname or alias.name: str(node.module) for alias in node.names})
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            defined.add(node.name)
    assert set(nbtrack.__all__) == set(imported) | defined
    # the lazy table resolves every name to the module the typed import names
    lazy = {name: module for name, module in imported.items() if name != "__version__"}
    assert lazy == nbtrack._LAZY
    for name in nbtrack.__all__:
        assert hasattr(nbtrack, name), name


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        nbtrack.no_such_thing  # type: ignore[attr-defined]  # noqa: B018


def test_import_nbtrack_does_not_import_the_tracking_layer() -> None:
    code = "import sys, nbtrack\nprint('nbtrack.tracking' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_version_is_the_package_version() -> None:
    from nbtrack._version import __version__

    assert nbtrack.__version__ == __version__
