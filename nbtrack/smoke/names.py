"""Which names each cell defines and uses, read statically with :mod:`ast`.

Good enough to find hidden state, not a type checker: a name bound in any
branch counts as bound, and ``del`` is ignored. Uses are split into
*immediate* (evaluated when the cell runs: module level, class bodies,
default values, decorators) and *deferred* (function and lambda bodies, which
run only when called). A cell that can bind names we cannot see (``import
*``, ``%run``, ``exec``, ``globals()``) is *opaque*, and the linter then stays
quiet about undefined names rather than guess.
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

from nbtrack.notebook import cell_magic_name, parse_cell

__all__ = ["CellNames", "analyse_cell", "is_builtin"]

#: names an IPython kernel provides without any cell defining them
_IPYTHON_NAMES = frozenset(
    {"get_ipython", "display", "In", "Out", "exit", "quit", "_ih", "_oh", "_dh", "__builtins__"}
    | {"_exit_code"}  # set by every `!cmd` line
)
_HISTORY_NAME = re.compile(r"^_+$|^_i{1,3}$|^_i?\d+$")
_OPAQUE_MAGIC = re.compile(
    r"^\s*%(run|store|load|reset|macro|recall|pylab|aimport)\b", re.MULTILINE
)
_OPAQUE_CALLS = frozenset({"exec", "globals", "vars", "locals", "__import__"})


def is_builtin(name: str) -> bool:
    """True for Python builtins and the names IPython puts in every namespace."""
    return (
        name in _IPYTHON_NAMES
        or hasattr(builtins, name)
        or name in {"__name__", "__doc__"}
        or bool(_HISTORY_NAME.match(name))
    )


@dataclass(frozen=True)
class CellNames:
    """Names of one cell; uses carry the 1-based line of their first use."""

    defines: frozenset[str]
    uses: tuple[tuple[str, int], ...]
    deferred: tuple[tuple[str, int], ...]
    opaque: bool
    syntax_error: str | None = None


def _bound_in_function(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    args = node.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    body = node.body if isinstance(node.body, list) else [node.body]
    for stmt in body:
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
                names.add(sub.id)
            elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(sub.name)
            elif isinstance(sub, ast.alias):
                names.add((sub.asname or sub.name).split(".")[0])
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                names.add(sub.name)
            elif isinstance(sub, ast.arg):
                names.add(sub.arg)
            elif isinstance(sub, ast.MatchAs | ast.MatchStar) and sub.name:
                names.add(sub.name)
    return names


class _Visitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.defines: set[str] = set()
        self.uses: dict[str, int] = {}
        self.deferred: dict[str, int] = {}
        self.opaque = False
        self._local: list[set[str]] = []  # comprehension / class scopes

    def _bind(self, name: str) -> None:
        if self._local:
            self._local[-1].add(name)
        else:
            self.defines.add(name)

    def _is_bound(self, name: str) -> bool:
        return name in self.defines or any(name in scope for scope in self._local)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        elif isinstance(node.ctx, ast.Load):
            if node.id in _OPAQUE_CALLS:
                self.opaque = True
            if not self._is_bound(node.id):
                self.uses.setdefault(node.id, node.lineno)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            if not self._is_bound(node.target.id):
                self.uses.setdefault(node.target.id, node.lineno)
            self._bind(node.target.id)
        else:
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.defines.add(node.target.id)  # walrus binds in the enclosing (cell) scope

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.opaque = True
            else:
                self._bind((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_Global(self, node: ast.Global) -> None:
        self.defines.update(node.names)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self.visit(decorator)
            self._bind(node.name)
        local = _bound_in_function(node)
        body = node.body if isinstance(node.body, list) else [node.body]
        for stmt in body:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Global):
                    self.defines.update(sub.names)
                elif (
                    isinstance(sub, ast.Name)
                    and isinstance(sub.ctx, ast.Load)
                    and sub.id not in local
                    and not self._is_bound(sub.id)
                ):
                    if sub.id in _OPAQUE_CALLS:
                        self.opaque = True
                    self.deferred.setdefault(sub.id, sub.lineno)

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        self._local.append(set())
        for stmt in node.body:
            self.visit(stmt)
        self._local.pop()
        self._bind(node.name)

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp
    ) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        self._local.append(set())
        self.visit(first.target)
        for cond in first.ifs:
            self.visit(cond)
        for gen in rest:
            self.visit(gen.iter)
            self.visit(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        if isinstance(node, ast.DictComp):
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)
        self._local.pop()

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension


def _capture_name(source: str) -> str | None:
    """``out`` for a cell starting ``%%capture out``."""
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("%%capture"):
            args = [a for a in stripped.split()[1:] if not a.startswith("-")]
            return args[0] if args else None
        if stripped and not stripped.startswith("#"):
            return None
    return None


def analyse_cell(source: str) -> CellNames:
    """Names *source* defines and uses (IPython syntax neutralised first)."""
    tree = parse_cell(source)
    if tree is None:
        try:
            ast.parse(source)
        except SyntaxError as exc:
            detail = f"line {exc.lineno}: {exc.msg}" if exc.lineno else str(exc.msg)
        except ValueError as exc:
            detail = str(exc)
        else:  # pragma: no cover - parse_cell failed, so ast.parse does too
            detail = "unknown"
        return CellNames(frozenset(), (), (), opaque=False, syntax_error=detail)
    visitor = _Visitor()
    for stmt in tree.body:
        visitor.visit(stmt)
    defines = set(visitor.defines)
    if cell_magic_name(source) == "capture":
        name = _capture_name(source)
        if name:
            defines.add(name)
    opaque = visitor.opaque or bool(_OPAQUE_MAGIC.search(source))
    return CellNames(
        defines=frozenset(defines),
        uses=tuple(visitor.uses.items()),
        deferred=tuple(visitor.deferred.items()),
        opaque=opaque,
    )
