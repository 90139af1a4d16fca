"""The columns a list of runs shows beside its fixed ones: which params, metrics and tags.

For: ``nbtrack runs`` (and any later list of runs, the web UI's): the
``--columns params.lr,metrics.val_acc,tags.team`` a user picks, checked; and
the default when they pick none: the keys their ``--where``/``--sort``
names, then the params that vary across the listed runs
(:func:`~nbtrack.compare.columns.varying_keys`) and the metrics most of them
have. Not for: rendering (the door), or reading runs (``reader``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nbtrack.compare.columns import varying_keys
from nbtrack.errors import UsageError
from nbtrack.model import RunSummary

__all__ = [
    "MAX_METRICS",
    "MAX_PARAMS",
    "MISSING",
    "NAMESPACES",
    "Column",
    "default_columns",
    "parse_columns",
]

#: what a column may show: a run's params, metrics (last value) or tags
NAMESPACES = ("params", "metrics", "tags")
#: at most this many param and metric columns by default (--columns shows any number)
MAX_PARAMS = 4
MAX_METRICS = 3
#: what :meth:`Column.value` returns for a run without the key
MISSING: Any = object()


@dataclass(frozen=True)
class Column:
    """One ``namespace.key`` column."""

    namespace: str
    key: str

    def __str__(self) -> str:
        return f"{self.namespace}.{self.key}"

    def value(self, run: RunSummary) -> Any:
        """The run's value in this column; :data:`MISSING` when it has none."""
        found: dict[str, Any] = getattr(run, self.namespace)
        return found.get(self.key, MISSING)

    def present_in(self, runs: Sequence[RunSummary]) -> bool:
        return any(self.key in getattr(run, self.namespace) for run in runs)


def _split(text: str) -> list[str]:
    """*text* cut at commas outside quotes (``params."a,b"`` stays one item)."""
    items: list[str] = []
    current: list[str] = []
    quote = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char == ",":
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "\"'`":
        return key[1:-1]
    return key


def parse_columns(specs: Sequence[str]) -> list[Column]:
    """The columns ``--columns`` names (each spec comma-separated); a bad one is a UsageError.

    >>> [str(c) for c in parse_columns(["params.lr,metrics.val_acc", 'tags."my team"'])]
    ['params.lr', 'metrics.val_acc', 'tags.my team']
    """
    columns: dict[Column, None] = {}
    for spec in specs:
        for item in _split(spec):
            head, dot, key = item.partition(".")
            if head.lower() not in NAMESPACES or not dot or not key.strip():
                raise UsageError(
                    f"Cannot show the column {item!r}: name it params.KEY, metrics.KEY or"
                    " tags.KEY (id, name, status, notebook, started and duration are always"
                    " shown)."
                )
            columns[Column(head.lower(), _unquote(key.strip()))] = None
    return list(columns)


def _mentioned(where: str | None, sort: Sequence[str]) -> list[Column]:
    """The keys the user filtered or sorted on, in order of mention (the store parsed them)."""
    from nbtrack.store.query import fields_of, parse_sort, parse_where

    fields = fields_of(parse_where(where)) if where and where.strip() else []
    fields += [parse_sort(spec).field for spec in sort]
    found = (Column(f.namespace, f.key) for f in fields if f.namespace in NAMESPACES)
    return list(dict.fromkeys(found))


def default_columns(
    runs: Sequence[RunSummary], where: str | None = None, sort: Sequence[str] = ()
) -> list[Column]:
    """The columns worth a glance: the keys mentioned, the params that vary, common metrics.

    A param with the same value in every listed run says nothing about how
    they differ, so it gets no column (a single run shows its params). Metrics
    are ranked by how many runs have them, then by name.
    """
    mentioned = _mentioned(where, sort)
    chosen: dict[Column, None] = dict.fromkeys(mentioned)
    present = Counter(k for run in runs for k in run.params)
    if len(runs) == 1:
        params = list(runs[0].params)
    else:
        params = sorted(varying_keys(run.params for run in runs), key=lambda k: -present[k])
    extra = [Column("params", k) for k in params if Column("params", k) not in chosen]
    chosen.update(dict.fromkeys(extra[: max(0, MAX_PARAMS - _count(chosen, "params"))]))
    counts = Counter(k for run in runs for k in run.metrics)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    extra = [Column("metrics", k) for k in ranked if Column("metrics", k) not in chosen]
    chosen.update(dict.fromkeys(extra[: max(0, MAX_METRICS - _count(chosen, "metrics"))]))
    order = {name: i for i, name in enumerate(NAMESPACES)}
    return sorted(chosen, key=lambda c: order[c.namespace])


def _count(columns: dict[Column, None], namespace: str) -> int:
    return sum(1 for c in columns if c.namespace == namespace)
