"""What every ``%track_*`` magic shares: argument parsing and errors in IPython's words.

A user's mistake becomes a ``UsageError`` (:func:`usage_error`) with one
sentence; :func:`door` turns nbtrack's own errors into that sentence, or into a
warning when the store is the trouble (the data stays buffered).
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from IPython.core import magic_arguments as _margs
from IPython.core.error import UsageError

from nbtrack.errors import NbtrackError, StoreError

__all__ = [
    "argument",
    "as_number",
    "door",
    "is_magic_usage_error",
    "magic_arguments",
    "parse_argstring",
    "strip_comment",
    "unquote",
    "usage_error",
    "warn",
]

_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


#: set on the UsageErrors the %track_* magics raise (IPython shows a UsageError as
#: one line only when its type is exactly UsageError, so no subclass)
_OWN = "nbtrack_magic"


def usage_error(message: str) -> UsageError:
    """A ``UsageError`` for a mistake in calling a ``%track_*`` magic.

    IPython shows it under the cell as one line. The cell hooks do not record
    it on the run as a ``cell_error`` (see :func:`is_magic_usage_error`): the
    experiment did not fail, only the call to nbtrack did, and nothing was logged.
    """
    error = UsageError(message)
    setattr(error, _OWN, True)
    return error


def is_magic_usage_error(error: BaseException | None) -> bool:
    """True for an error :func:`usage_error` made."""
    return bool(getattr(error, _OWN, False))


# IPython's magic_arguments module is untyped; typed views of its three helpers
_new_magic_arguments: Callable[[], Any] = _margs.magic_arguments
_new_argument: Callable[..., Any] = _margs.argument
_parse_argstring: Callable[[Any, str], Any] = _margs.parse_argstring


def magic_arguments() -> _Decorator:
    return cast(_Decorator, _new_magic_arguments())


def argument(*args: Any, **kwargs: Any) -> _Decorator:
    return cast(_Decorator, _new_argument(*args, **kwargs))


def strip_comment(line: str) -> str:
    """*line* without a trailing ``# comment``, as IPython users expect of a magic.

    A ``#`` starts a comment at the start of the line or after whitespace, and
    outside quotes (the way a POSIX shell reads it): ``--name "run #2"`` and
    ``data/#1.csv`` keep theirs. IPython hands a line magic the raw rest of the
    line, comment included; every ``%track_*`` magic reads its line through here.
    """
    quote = ""
    escaped = False
    previous = " "
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#" and previous.isspace():
            return line[:index].rstrip()
        previous = char
    return line


def parse_argstring(magic: Callable[..., Any], line: str) -> Any:
    """The parsed line (a trailing ``# comment`` left out); a bad option is a
    :func:`usage_error` with argparse's words."""
    try:
        return _parse_argstring(magic, strip_comment(line))
    except UsageError as exc:
        raise usage_error(str(exc)) from None


@contextmanager
def door() -> Iterator[None]:
    """nbtrack errors as IPython's way of saying them.

    Store trouble is a warning (the tracker keeps the data and retries); every
    other ``NbtrackError`` is the user's to fix, so a ``UsageError`` sentence.
    """
    try:
        yield
    except StoreError as exc:
        from nbtrack.tracking.api import get_tracker

        if get_tracker().run is None:  # the run could not even start
            outcome = "Nothing from this cell was recorded; run it again once the store works."
        else:
            outcome = "What was logged is kept in memory and retried."
        warn(f"{exc} {outcome}")
    except NbtrackError as exc:
        raise usage_error(str(exc)) from None


def warn(message: str) -> None:
    """``nbtrack warning: ...`` on stderr, one line whatever the message quotes."""
    from nbtrack.printable import printable

    print(printable(f"nbtrack warning: {message}", tabs=True), file=sys.stderr)


def unquote(text: str) -> str:
    """IPython's argument splitter keeps quotes: ``--name "wider net"`` -> ``wider net``."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def as_number(name: str, value: object) -> float:
    """A metric value as float; a ``UsageError`` naming *name* otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        item = getattr(value, "item", None)  # numpy 0-d arrays, torch scalars
        if callable(item) and getattr(value, "shape", None) in ((), (1,), [1]):
            value = item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise usage_error(f"metric {name!r} is {shown} ({type(value).__name__}), not a number.")
    return float(value)
