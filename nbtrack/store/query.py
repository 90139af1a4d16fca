"""The ``--where`` and ``--sort`` languages of ``nbtrack runs``: parsing only.

For: turning ``params.lr < 0.1 and (metrics.val_acc >= 0.9 or tags.team = vision)``
into a small AST, and ``-metrics.val_acc`` into a sort key, with a
``QueryError`` naming the expression and the position at fault.
Not for: SQL. ``sql_where.py`` compiles the AST into SQLAlchemy expressions.

Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | "(" expr ")" | compare
    compare := field op value
    field   := status | name | notebook | id | started | ended | user | host
             | branch | commit | experiment | params.KEY | metrics.KEY | tags.KEY
    op      := = | == | != | < | <= | > | >= | contains | like
    value   := number | 'string' | "string" | bareword

KEY may contain dots, slashes and dashes (``params.optimizer.lr``,
``metrics.train/loss``); quote it with double quotes (``params."my key"``,
``\"`` for a quote inside) or backticks (``params.`batch size```) for
anything else. ``metrics.X`` means the run's last value of X (by step, then
time). A comparison on a key the run does not have is false. ``like`` takes
SQL wildcards (``%``, ``_``); ``contains`` a plain substring.

``and``/``or`` chains parse into one flat :class:`And`/:class:`Or` of any
length, iteratively; only nesting recurses, so parentheses and ``not``
together may nest at most :data:`MAX_NESTING` levels (a ``QueryError`` says
so), which keeps parsing and SQL compilation far from Python's recursion
limit.

Types: ``<``, ``<=``, ``>``, ``>=`` compare like with like. A number is
compared with numbers (a param stored as a number, a metric, a time); a
string with strings (a param stored as a string, a tag, a name). A number
against a text field (tags, names, ...) is refused here; the compiler makes a
string never match a numeric param and a number never match a string param.
``=`` and ``!=`` compare the value as written (the string param ``"32"``
equals ``32``, ``true`` a boolean param), and ``contains``/``like`` match
string values only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nbtrack.errors import QueryError

__all__ = [
    "ATTRIBUTES",
    "MAX_NESTING",
    "TEXT_ATTRIBUTES",
    "And",
    "Compare",
    "Expr",
    "Field",
    "Not",
    "Or",
    "SortKey",
    "fields_of",
    "parse_sort",
    "parse_where",
]

#: plain run attributes a query may name (the CLI's names)
ATTRIBUTES = (
    "id",
    "name",
    "status",
    "notebook",
    "started",
    "ended",
    "user",
    "host",
    "branch",
    "commit",
    "experiment",
)
#: run attributes that hold text (a number cannot be ordered against them)
TEXT_ATTRIBUTES = ("id", "name", "notebook", "user", "host", "branch", "commit", "experiment")
_NAMESPACES = ("params", "metrics", "tags")
OPERATORS = ("=", "==", "!=", "<", "<=", ">", ">=", "contains", "like")
ORDERING = ("<", "<=", ">", ">=")
#: how deep parentheses and ``not`` may nest (each counts one level); SQLite's
#: parser overflows its stack not far beyond
MAX_NESTING = 16


@dataclass(frozen=True)
class Field:
    """``namespace`` is params/metrics/tags, or "" for a run attribute (``key``)."""

    namespace: str
    key: str

    def __str__(self) -> str:
        return f"{self.namespace}.{self.key}" if self.namespace else self.key


@dataclass(frozen=True)
class Compare:
    field: Field
    op: str  # one of OPERATORS, with == folded into =
    value: str | float
    #: the literal as typed (numbers compared with tags keep their spelling)
    text: str


@dataclass(frozen=True, init=False)
class And:
    """All of ``terms`` (two or more; never an ``And`` among them)."""

    terms: tuple[Expr, ...]

    def __init__(self, *terms: Expr) -> None:
        object.__setattr__(self, "terms", terms)


@dataclass(frozen=True, init=False)
class Or:
    """Any of ``terms`` (two or more; never an ``Or`` among them)."""

    terms: tuple[Expr, ...]

    def __init__(self, *terms: Expr) -> None:
        object.__setattr__(self, "terms", terms)


@dataclass(frozen=True)
class Not:
    inner: Expr


Expr = Compare | And | Or | Not


@dataclass(frozen=True)
class SortKey:
    field: Field
    descending: bool


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<op>==|!=|<=|>=|=|<|>)
  | (?P<paren>[()])
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.\-/:]))
  | (?P<word>(?:[A-Za-z_\d][\w\-/:]*|`[^`]*`)(?:\.(?:[\w\-/:]+|`[^`]*`|"(?:[^"\\]|\\.)*"))*\.?)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # op, paren, string, number, word, end
    text: str
    pos: int


_SHOWN = 120  # a longer expression is shown by its start and its length


def _shown(expression: str) -> str:
    if len(expression) <= _SHOWN:
        return repr(expression)
    return f"{expression[: _SHOWN - 40] + '…'!r} ({len(expression)} characters)"


def _fail(expression: str, message: str, pos: int | None = None) -> QueryError:
    where = f" at position {pos + 1}" if pos is not None else ""
    return QueryError(
        f"Cannot read --where {_shown(expression)}{where}: {message}.", expression=expression
    )


def _tokenize(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(expression):
        match = _TOKEN.match(expression, pos)
        if match is None:
            bad = expression[pos]
            hint = "an unclosed quote" if bad in "'\"`" else f"unexpected character {bad!r}"
            raise _fail(expression, hint, pos)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(expression)))
    return tokens


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


_KEY_PART = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|[^"`]+')


def _key(rest: str) -> str:
    """The key after ``params.``: quoted parts (``"my key"``, ```a b```) unquoted."""
    parts = []
    for match in _KEY_PART.finditer(rest):
        part = match.group()
        if part[0] == '"':
            parts.append(_unquote(part))
        elif part[0] == "`":
            parts.append(part[1:-1])
        else:
            parts.append(part)
    return "".join(parts)


def _field(expression: str, token: _Token) -> Field:
    text = token.text
    head, dot, rest = text.partition(".")
    if head.lower() in _NAMESPACES:
        if not dot or not rest:
            raise _fail(expression, f"{head}. needs a key, as in {head}.lr", token.pos)
        return Field(head.lower(), _key(rest))
    if not dot and text.lower() in ATTRIBUTES:
        return Field("", text.lower())
    known = ", ".join((*ATTRIBUTES, "params.KEY", "metrics.KEY", "tags.KEY"))
    raise _fail(expression, f"unknown field {text!r} (one of {known})", token.pos)


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokenize(expression)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def keyword(self, word: str) -> bool:
        token = self.token
        if token.kind == "word" and token.text.lower() == word:
            self.index += 1
            return True
        return False

    def fail(self, message: str) -> QueryError:
        token = self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        return _fail(self.expression, f"{message}, found {found}", token.pos)

    def parse(self) -> Expr:
        if self.token.kind == "end":
            raise _fail(self.expression, "the expression is empty")
        expr = self.parse_or(0)
        if self.token.kind != "end":
            raise self.fail("expected 'and', 'or' or the end")
        return expr

    def parse_or(self, depth: int) -> Expr:
        terms = [self.parse_and(depth)]
        while self.keyword("or"):
            terms.append(self.parse_and(depth))
        return _joined(Or, terms)

    def parse_and(self, depth: int) -> Expr:
        terms = [self.parse_not(depth)]
        while self.keyword("and"):
            terms.append(self.parse_not(depth))
        return _joined(And, terms)

    def parse_not(self, depth: int) -> Expr:
        token = self.token
        opens = token.kind == "paren" and token.text == "("
        if not opens and not (token.kind == "word" and token.text.lower() == "not"):
            return self.parse_compare()
        if depth >= MAX_NESTING:
            raise _fail(
                self.expression,
                f"it nests deeper than {MAX_NESTING} levels (each parenthesis and 'not' opens one)",
                token.pos,
            )
        self.index += 1
        if not opens:
            return Not(self.parse_not(depth + 1))
        inner = self.parse_or(depth + 1)
        if not (self.token.kind == "paren" and self.token.text == ")"):
            raise self.fail("expected ')'")
        self.index += 1
        return inner

    def parse_compare(self) -> Expr:
        token = self.token
        if token.kind != "word" or token.text.lower() in ("and", "or"):
            raise self.fail("expected a field such as params.lr, metrics.acc or status")
        field = _field(self.expression, token)
        self.index += 1
        op_token = self.token
        if op_token.kind == "op":
            op = "=" if op_token.text == "==" else op_token.text
        elif op_token.kind == "word" and op_token.text.lower() in ("contains", "like"):
            op = op_token.text.lower()
        else:
            raise self.fail(
                f"expected a comparison (=, !=, <, <=, >, >=, contains, like) after {field}"
            )
        self.index += 1
        value_token = self.token
        value: str | float
        if value_token.kind == "number":
            value = float(value_token.text)
        elif value_token.kind == "string":
            value = _unquote(value_token.text)
        elif value_token.kind == "word" and value_token.text.lower() not in ("and", "or", "not"):
            value = value_token.text
        else:
            raise self.fail(f"expected a value after {field} {op_token.text}")
        text = value if isinstance(value, str) else value_token.text
        problem = _check_value(field, op, value, text)
        if problem:
            raise _fail(self.expression, problem, value_token.pos)
        self.index += 1
        return Compare(field, op, value, text)


def _joined(kind: type[And] | type[Or], terms: list[Expr]) -> Expr:
    """One term, or one flat *kind* of them (an inner *kind* is spliced in)."""
    if len(terms) == 1:
        return terms[0]
    flat: list[Expr] = []
    for term in terms:
        flat.extend(term.terms if isinstance(term, kind) else (term,))
    return kind(*flat)


_STATUSES = ("RUNNING", "FINISHED", "FAILED", "KILLED", "CRASHED")


def _check_value(field: Field, op: str, value: str | float, text: str) -> str | None:
    """Why *value* cannot be compared with *field*, or None when it can."""
    text_op = op in ("contains", "like")
    text_field = field.namespace == "tags" or (not field.namespace and field.key in TEXT_ATTRIBUTES)
    if text_field and op in ORDERING and isinstance(value, float):
        return (
            f"{field} is text and {text} a number, which cannot be ordered against each "
            f"other; quote the number ({field} {op} '{text}') to compare it as text"
        )
    if field.namespace == "metrics":
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is None or text_op:
            return f"{field} compares with numbers, not {text!r}"
        if number != number and op not in ("=", "!="):
            return f"{field} {op} nan is never true; use = or !="
    elif field.key == "status" and not field.namespace:
        if not text_op and text.upper() not in _STATUSES:
            return f"{text!r} is not a status (one of {', '.join(_STATUSES)})"
    elif field.key in ("started", "ended") and not field.namespace and isinstance(value, str):
        from datetime import datetime

        try:
            datetime.fromisoformat(value)
        except ValueError:
            return (
                f"{field} {op} {text!r} needs a time such as 2024-05-01 or "
                "2024-05-01T12:30 (or unix seconds)"
            )
    return None


def parse_where(expression: str) -> Expr:
    """Parse a ``--where`` expression.

    >>> parse_where("params.lr < 0.1")
    Compare(field=Field(namespace='params', key='lr'), op='<', value=0.1, text='0.1')
    """
    return _Parser(expression).parse()


def fields_of(expr: Expr) -> list[Field]:
    """The fields *expr* compares, in the order they are written (repeats kept).

    >>> [str(f) for f in fields_of(parse_where('params."my key" = 1 or metrics.acc > 0'))]
    ['params.my key', 'metrics.acc']
    """
    found: list[Field] = []
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Compare):
            found.append(node.field)
        elif isinstance(node, Not):
            stack.append(node.inner)
        else:
            stack.extend(reversed(node.terms))
    return found


_SORT_ALIASES = {"started_at": "started", "ended_at": "ended", "start": "started"}


def parse_sort(spec: str) -> SortKey:
    """Parse one ``--sort`` key: ``[-|+]field``; ``-`` means descending.

    >>> parse_sort("-metrics.val_acc")
    SortKey(field=Field(namespace='metrics', key='val_acc'), descending=True)
    """
    text = spec.strip()
    descending = text.startswith("-")
    body = text[1:] if text[:1] in "-+" else text
    body = _SORT_ALIASES.get(body.lower(), body)
    if not body:
        raise QueryError(f"Cannot read --sort {spec!r}: it names no field.", expression=spec)
    try:
        tokens = _tokenize(body)
    except QueryError:
        tokens = []
    if len(tokens) != 2 or tokens[0].kind != "word":
        raise QueryError(
            f"Cannot read --sort {spec!r}: expected a field such as started, "
            "-metrics.val_acc or params.lr.",
            expression=spec,
        )
    try:
        field = _field(body, tokens[0])
    except QueryError as error:
        message = str(error).replace("--where", "--sort", 1)
        raise QueryError(message, expression=spec) from None
    return SortKey(field, descending)
