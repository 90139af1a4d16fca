"""The package keeps the shape docs/architecture.md draws.

The layers, the package each module belongs to and the few allowed exceptions
are read from docs/architecture.md itself, so the map and this test cannot
drift apart. Every import counts: module level, inside functions (the lazy
ones) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbtrack

PACKAGE = Path(nbtrack.__file__).resolve().parent
MAP = PACKAGE.parent / "docs" / "architecture.md"

#: a row of the layer table: | 3 | `nbtrack.smoke` | its one job |
_ROW = re.compile(r"^\|\s*(\d)\s*\|\s*`(nbtrack[\w.]*)`\s*\|", re.M)
#: an allowed exception: - `nbtrack` -> `nbtrack.magics`: why
_EXCEPTION = re.compile(r"^- `(nbtrack[\w.]*)` -> `(nbtrack[\w.]*)`", re.M)
_DOOR_LAYER = 6


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(modules: dict[str, Path]) -> list[Import]:
    """Every nbtrack module each module imports (the nearest existing module)."""
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    found.append(Import(name, target, node.lineno))
    return found


def _layers() -> dict[str, int]:
    layers = {pkg: int(layer) for layer, pkg in _ROW.findall(MAP.read_text(encoding="utf-8"))}
    assert layers, f"{MAP} has no layer table"
    return layers


def _home(module: str, layers: dict[str, int]) -> str | None:
    """The package of the map that *module* belongs to: the longest name that prefixes it."""
    # the top package ``nbtrack`` is the public API module only, not a home for the rest
    candidates = [
        p for p in layers if module == p or (p != "nbtrack" and module.startswith(p + "."))
    ]
    return max(candidates, key=len) if candidates else None


def test_every_module_belongs_to_a_package_of_the_map() -> None:
    layers = _layers()
    unmapped = [m for m in _modules() if _home(m, layers) is None]
    assert unmapped == [], f"add these to the layer table of {MAP.name}: {unmapped}"


def test_every_package_of_the_map_exists() -> None:
    modules = _modules()
    missing = [p for p in _layers() if p not in modules]
    assert missing == [], f"{MAP.name} names packages that do not exist: {missing}"


def _against_layers(
    imports: list[Import], layers: dict[str, int], allowed: set[tuple[str, str]]
) -> list[str]:
    """The imports that break the map, each as one line naming module, line and target."""
    wrong = []
    for imp in imports:
        source, target = _home(imp.source, layers), _home(imp.target, layers)
        assert source is not None, imp.source
        assert target is not None, imp.target
        if source == target or (source, target) in allowed:
            continue
        # a package may use its own sub-packages (not a door that lives inside it)
        inside = target.startswith(source + ".") and layers[target] < _DOOR_LAYER
        if inside or layers[target] < layers[source]:
            continue
        door = layers[source] == _DOOR_LAYER and layers[target] == _DOOR_LAYER
        kind = "a door imports another door" if door else "not downward"
        wrong.append(f"{imp.source}:{imp.line} imports {imp.target} ({kind})")
    return wrong


def test_imports_point_down_the_layers() -> None:
    allowed = set(_EXCEPTION.findall(MAP.read_text(encoding="utf-8")))
    wrong = _against_layers(_imports(_modules()), _layers(), allowed)
    assert wrong == [], f"imports against the layers of {MAP.name}:\n" + "\n".join(wrong)


def test_no_import_loops() -> None:
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in _imports(modules):
        graph[imp.source].add(imp.target)
    loops = [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]
    assert loops == [], f"modules that import each other (directly or round a loop): {loops}"


def test_no_module_is_imported_by_a_string() -> None:
    """``__import__("nbtrack.x")`` or ``import_module("nbtrack.x")`` hides an arrow from the map."""
    hidden = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.args[0]
            if called in {"__import__", "import_module"} and (
                isinstance(first, ast.Constant) and str(first.value).startswith("nbtrack")
            ):
                hidden.append(f"{name}:{node.lineno}")
    assert hidden == []


def test_the_checks_catch_an_upward_arrow_a_door_to_door_arrow_and_a_loop() -> None:
    layers = {"nbtrack.low": 1, "nbtrack.high": 3, "nbtrack.cli": 6, "nbtrack.magics": 6}
    imports = [
        Import("nbtrack.high.a", "nbtrack.low.b", 1),  # down: fine
        Import("nbtrack.low.b", "nbtrack.high.a", 2),  # up
        Import("nbtrack.cli", "nbtrack.magics", 3),  # door to door
    ]
    assert _against_layers(imports, layers, set()) == [
        "nbtrack.low.b:2 imports nbtrack.high.a (not downward)",
        "nbtrack.cli:3 imports nbtrack.magics (a door imports another door)",
    ]
    assert _against_layers(imports[2:], layers, {("nbtrack.cli", "nbtrack.magics")}) == []
    loops = _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(sorted(c) for c in loops if len(c) > 1) == [["a", "b", "c"]]


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; every strongly connected component of *graph*."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


#: functions allowed over the limit, each with its reason
_LONG_ON_PURPOSE = {
    # a shipped schema migration is a frozen record of one schema: never edited, never split
    "nbtrack/store/migrations/versions/0001_initial.py:upgrade",
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def test_modules_and_functions_stay_small() -> None:
    """No module over 500 lines, no function body over 80 (decorators not counted)."""
    too_long = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(PACKAGE.parent).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                key = f"{where}:{node.name}"
                if lines > MAX_FUNCTION_LINES and key not in _LONG_ON_PURPOSE:
                    too_long.append(f"{key} ({name}): {lines} lines")
    assert too_long == []
