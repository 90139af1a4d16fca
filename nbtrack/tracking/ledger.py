"""The ledger of a run's logged params: normalisation, secret redaction, conflicts.

For: :class:`ParamLedger`, the params a run has logged (as stored, with a
digest of each real value), which raises ``ParamError`` naming both values
when one would silently change; and the rules every value meets on its way
in: turning whatever a user passes to ``log_param`` into JSON data
(:func:`normalise`), and deciding whether a name looks like a secret
(:func:`looks_secret`). What of a value is stored redacted, by name and
by shape (a secret-looking key inside a dict, a URL's credentials), is
:func:`nbtrack.redact.redact_value`; the digest is of the real value.

Not for: writing to the store (``ActiveRun`` does that) or parsing parameter
cells and config files (the magics and ``notebook/`` do that).
"""

from __future__ import annotations

import enum
import json
import math
import os
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nbtrack.config import looks_secret  # one rule for param names and URL query keys
from nbtrack.errors import ParamError
from nbtrack.model import JSONValue, Param, ParamSource
from nbtrack.redact import REDACTED, has_redaction, redact_value

__all__ = [
    "MAX_KEY_LENGTH",
    "REDACTED",
    "ParamLedger",
    "ParamWarning",
    "bad_name",
    "carried_over",
    "change_summary",
    "looks_secret",
    "normalise",
    "same_value",
]

#: longest param, metric or tag name the store keeps
MAX_KEY_LENGTH = 250


def bad_name(kind: str, key: Any) -> str | None:
    """Why *key* cannot name a param, metric or tag (*kind*), or None when it can.

    >>> bad_name("metric", "")
    "metric names must be non-empty strings, not ''."
    """
    if not isinstance(key, str) or not key.strip():
        return f"{kind} names must be non-empty strings, not {key!r}."
    if len(key) > MAX_KEY_LENGTH:
        return (
            f"{kind} name {key[:40]!r}... is {len(key)} characters long;"
            f" the limit is {MAX_KEY_LENGTH}."
        )
    return None


class ParamWarning(UserWarning):
    """A param value was stored in a lossy form (its repr)."""


def normalise(key: str, value: Any) -> JSONValue:
    """*value* as JSON data: scalars, str, None, and lists/dicts of those.

    Tuples become lists, numpy scalars and enums their Python value, paths
    their string. Anything else is stored as its ``repr`` with a
    :class:`ParamWarning` naming *key*.
    """
    converted, lossy = _normalise(value)
    if lossy:
        warnings.warn(
            f"param {key!r}: {type(value).__name__} is not a number, string, list or dict;"
            f" storing its repr {_short(converted)}",
            ParamWarning,
            stacklevel=3,
        )
    return converted


def _normalise(value: Any) -> tuple[JSONValue, bool]:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value, False
    if kind is float:
        return value, False
    if isinstance(value, enum.Enum):
        return _normalise(value.value)
    if isinstance(value, bool):
        return bool(value), False
    if isinstance(value, int):
        return int(value), False
    if isinstance(value, float):
        return float(value), False
    if isinstance(value, str):
        return str(value), False
    if isinstance(value, os.PathLike):
        return os.fspath(value), False
    if kind.__module__ == "numpy" and getattr(value, "shape", None) == ():
        # numpy scalars (and 0-d arrays) know their Python equivalent
        return _normalise(value.item())
    if isinstance(value, list | tuple):
        items = [_normalise(v) for v in value]
        return [v for v, _ in items], any(lossy for _, lossy in items)
    if isinstance(value, Mapping):
        out: dict[str, JSONValue] = {}
        lossy = False
        for k, v in value.items():
            if not isinstance(k, str | int | float | bool) and k is not None:
                return repr(value), True
            out[k if isinstance(k, str) else json.dumps(k)], item_lossy = _normalise(v)
            lossy = lossy or item_lossy
        return out, lossy
    return repr(value), True


def _canonical(value: JSONValue) -> Any:
    """A form where equal params compare equal: 1 == 1.0, True != 1, NaN == NaN."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        number = float(value)
        return ("num", "nan" if math.isnan(number) else number)
    if isinstance(value, list):
        return ("list", tuple(_canonical(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _canonical(v)) for k, v in value.items())))
    return ("other", value)


def same_value(a: JSONValue, b: JSONValue) -> bool:
    """Whether two normalised param values are the same value."""
    return bool(_canonical(a) == _canonical(b))


def _digest(value: JSONValue) -> str:
    import hashlib  # not at import time: `import nbtrack` stays light

    text = json.dumps(_canonical(value), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class _Entry:
    param: Param  # as stored (maybe redacted)
    digest: str  # of the real value, so a redacted param can still conflict


class ParamLedger:
    """The params a run has logged, in memory, so changes are caught at once.

    ``prepare`` validates and normalises a batch and raises ``ParamError`` for
    the first key whose value differs from what was logged; nothing of the
    batch is recorded then. ``commit`` records a prepared batch.
    """

    def __init__(self, run_id: str, *, redact_secrets: bool = True) -> None:
        self.run_id = run_id
        self.redact_secrets = redact_secrets
        self._entries: dict[str, _Entry] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: str) -> Param | None:
        """The param logged under *key* (its value is ``"***"`` if redacted)."""
        entry = self._entries.get(key)
        return None if entry is None else entry.param

    def as_dict(self) -> dict[str, Param]:
        return {k: e.param for k, e in self._entries.items()}

    def differs(self, key: str, value: Any) -> bool:
        """True when *key* is logged with a value other than *value*."""
        entry = self._entries.get(key)
        if entry is None:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ParamWarning)
            return entry.digest != _digest(_normalise(value)[0])

    def prepare(
        self,
        params: Mapping[str, Any],
        *,
        source: ParamSource = ParamSource.CODE,
        redact: bool | None = None,
    ) -> list[tuple[Param, str]]:
        """Validate *params*; return the new ones (as stored) with their digests."""
        redacting = self.redact_secrets if redact is None else redact
        new: list[tuple[Param, str]] = []
        seen: dict[str, str] = {}
        for key, raw in params.items():
            problem = bad_name("param", key)
            if problem:
                raise ParamError(problem, key=str(key))
            value = normalise(key, raw)
            digest = _digest(value)
            stored = redact_value(key, value) if redacting else value
            secret = not same_value(stored, value)  # something was taken out
            entry = self._entries.get(key)
            if entry is not None:
                if entry.digest == digest:
                    continue  # the same value again is a no-op
                raise ParamError(self._conflict_message(key, entry, value, secret), key=key)
            if key in seen and seen[key] != digest:
                raise ParamError(f"param {key!r} is given twice with different values.", key=key)
            seen[key] = digest
            new.append((Param(key=key, value=stored, source=source), digest))
        return new

    def commit(self, prepared: list[tuple[Param, str]]) -> list[Param]:
        for param, digest in prepared:
            self._entries[param.key] = _Entry(param, digest)
        return [param for param, _ in prepared]

    def _conflict_message(self, key: str, entry: _Entry, value: JSONValue, secret: bool) -> str:
        run = self.run_id[:8]
        if secret or has_redaction(entry.param.value):
            return (
                f"param {key!r} was already logged (redacted) for run {run};"
                " refusing to change it to a different value"
            )
        return (
            f"param {key!r} was already logged as {_short(entry.param.value)} for run {run};"
            f" refusing to change it to {_short(value)}"
        )


def carried_over(
    logged: Mapping[str, Param], relogged: Collection[str]
) -> dict[ParamSource, dict[str, JSONValue]]:
    """The *logged* params a new run takes over, by source: all but the *relogged* ones.

    A redacted value is left out too (a secret, or a value with a secret in
    it): only its ``"***"`` form is here, and its cell logs it again when re-run.
    """
    carried: dict[ParamSource, dict[str, JSONValue]] = {}
    for key, param in logged.items():
        if key not in relogged and not has_redaction(param.value):
            carried.setdefault(param.source, {})[key] = param.value
    return carried


def change_summary(logged: Mapping[str, Param], changed: Sequence[tuple[str, Any]]) -> str:
    """The first three *changed* params as they were and are now, and how many more.

    A name that looks like a secret shows no value, and a value shows no
    secret inside it (:func:`~nbtrack.redact.redact_value`).

    >>> change_summary({"lr": Param("lr", 0.1)}, [("lr", 0.2), ("api_key", "k")])
    'lr 0.1 -> 0.2, api_key changed'
    """
    shown = []
    for key, value in changed[:3]:
        before = logged.get(key)
        if looks_secret(key):
            shown.append(f"{key} changed")
        else:
            was = _short(before.value, 40) if before is not None else "?"
            now = redact_value(key, _normalise(value)[0])
            shown.append(f"{key} {was} -> {_short(now, 40)}")
    more = f" (and {len(changed) - 3} more)" if len(changed) > 3 else ""
    return f"{', '.join(shown)}{more}"
