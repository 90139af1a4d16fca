"""The error a kind's resolver raises when its system cannot answer now.

For: :class:`Unreachable`, in a module of its own so a kind's module (which
``refs`` imports to resolve) can raise it without importing ``refs`` back.
``nbtrack.data.refs.Unreachable`` is the same class.

Not for: turning it into an unresolved ref (``refs.resolve`` does that).
"""

from __future__ import annotations

__all__ = ["Unreachable"]


class Unreachable(Exception):
    """The system holding a data ref cannot answer now (down, no credentials, no client).

    ``str(error)`` is the reason, one sentence, kept in the ref's
    ``detail["reason"]`` and shown in the warning.
    """
