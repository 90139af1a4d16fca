"""Which params tell runs apart: the columns worth showing beside a list of runs.

For: ``nbtrack runs``' default columns, the params a comparison shows, the
legend of a plot and the report, so "the params that vary" is one rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["varying_keys"]

_MISSING = object()


def varying_keys(mappings: Iterable[Mapping[str, Any]]) -> list[str]:
    """Keys whose value is not the same in every mapping, in order of first appearance.

    A key missing from some mappings varies. Values compare by their JSON form
    (so ``1`` and ``1.0`` differ, like the stored text does, and NaN equals NaN).

    >>> varying_keys([{"lr": 0.1, "seed": 1}, {"lr": 0.01, "seed": 1}, {"lr": 0.1, "seed": 1}])
    ['lr']
    >>> varying_keys([{"a": 1}, {"a": 1, "b": 2}])
    ['b']
    """
    rows = list(mappings)
    order: dict[str, None] = {}
    for row in rows:
        order.update(dict.fromkeys(row))
    varying = []
    for key in order:
        seen = {_fingerprint(row.get(key, _MISSING)) for row in rows}
        if len(seen) > 1:
            varying.append(key)
    return varying


def _fingerprint(value: Any) -> str:
    if value is _MISSING:
        return "\0missing"
    try:
        return json.dumps(value, sort_keys=True, allow_nan=True)
    except (TypeError, ValueError):
        return repr(value)
