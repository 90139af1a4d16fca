"""An estimator's params as a run stores them: dotted names, JSON-safe values.

For: :func:`estimator_params` (``get_params(deep=True)`` flattened) and
:func:`json_safe` (one value). The names are sklearn's own, with its ``__``
separator written as a dot (``clf__C`` -> ``clf.C``,
``preprocess__num__scaler__with_mean`` -> ``preprocess.num.scaler.with_mean``):
the dotted form is what ``%track_params -f params.yaml`` logs for nested
keys, so one run's params read the same whichever way they came in.

The values are what a reader of a comparison wants to see, never a pickle:
an estimator is its class name (its own params are beside it under its
dotted prefix), a function or class its name, an array a summary of its shape
and dtype, a splitter or any other object its ``repr`` when that is short
and says nothing about memory addresses, otherwise its class name.

Not for: deciding which run the params go to (``recorder``). No scikit-learn
import: the values are recognised by what they can do, so this module also
reads estimators that only follow sklearn's conventions.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.model import JSONValue

__all__ = [
    "LIST_LIMIT",
    "MAX_KEY_LENGTH",
    "REPR_LIMIT",
    "estimator_params",
    "json_safe",
    "search_params",
]

#: a list or tuple longer than this is stored as its length, not its items
LIST_LIMIT = 50
#: an object's repr longer than this is stored as its class name
REPR_LIMIT = 200
#: nesting below this depth is stored as the class name (a cycle cannot recurse forever)
_DEPTH_LIMIT = 6
#: longest param name the store keeps (``tracking.ledger.MAX_KEY_LENGTH``, which a test
#: keeps equal: importing the tracking layer here would make ``autolog()`` pay for it)
MAX_KEY_LENGTH = 250


def estimator_params(estimator: Any) -> dict[str, JSONValue]:
    """``estimator.get_params(deep=True)`` with dotted names and JSON-safe values.

    Names longer than the store keeps (250 characters, a very deep pipeline)
    are left out rather than failing the whole set.
    """
    raw = estimator.get_params(deep=True)
    out: dict[str, JSONValue] = {}
    for name in sorted(raw):
        dotted = name.replace("__", ".")
        if len(dotted) <= MAX_KEY_LENGTH:
            out[dotted] = json_safe(raw[name])
    return out


def search_params(estimator: Any) -> dict[str, JSONValue]:
    """A fitted search's ``best_params_`` as ``best_params.<dotted name>``; {} otherwise.

    ``GridSearchCV``, ``RandomizedSearchCV`` and the halving searches all set
    ``best_params_`` when they refit; the candidates themselves are not logged.
    """
    best = getattr(estimator, "best_params_", None)
    if not isinstance(best, Mapping):
        return {}
    return {
        f"best_params.{str(name).replace('__', '.')}": json_safe(value)
        for name, value in sorted(best.items(), key=lambda item: str(item[0]))
        if len(str(name)) + len("best_params.") <= MAX_KEY_LENGTH
    }


def json_safe(value: Any, depth: int = 0) -> JSONValue:
    """*value* as JSON data a comparison can show (see the module notes)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)  # numpy.str_ too
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(value)
    if depth >= _DEPTH_LIMIT:
        return _type_name(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value, depth + 1)
    if isinstance(value, type):
        return value.__name__  # a class passed as a param: dtype=np.float64, an estimator class
    if callable(getattr(value, "get_params", None)):
        return _type_name(value)  # an estimator: its params sit beside it, dotted
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and hasattr(value, "dtype"):
        if shape == () and callable(getattr(value, "item", None)):
            return json_safe(value.item(), depth + 1)  # a numpy scalar
        return f"{_type_name(value)} of shape {shape}, dtype {value.dtype}"
    if isinstance(value, functools.partial):
        return f"partial({json_safe(value.func, depth + 1)})"
    if isinstance(value, Mapping):
        return {str(key): json_safe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
        if len(items) > LIST_LIMIT:
            return f"{_type_name(value)} of {len(items)} items"
        return [json_safe(item, depth + 1) for item in items]
    if callable(value):
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        return str(name) if name else _type_name(value)
    return _short_repr(value)


def _short_repr(value: Any) -> str:
    """``KFold(n_splits=5, ...)`` as written; a long or address-bearing repr as the class."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ is not worth failing a fit's record over
        return _type_name(value)
    if len(text) > REPR_LIMIT or " at 0x" in text or "\n" in text:
        return _type_name(value)
    return text


def _type_name(value: Any) -> str:
    return type(value).__name__
