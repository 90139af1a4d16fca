"""What a kind's resolver raises when its system cannot answer now: :class:`Unreachable`.

For: the one exception type the resolvers (``dolt``, ``pachyderm``, ...) and
``refs`` share. It lives in a module of its own, importing nothing of
``nbtrack.data``, because ``refs`` imports each resolver to call it: a
resolver importing ``refs`` back would close an import loop.

Not for: a target that can never resolve (that is ``UsageError``) or the
warning users see (``refs.DataUnresolvedWarning``). ``refs`` re-exports
:class:`Unreachable`, so ``nbtrack.data.refs.Unreachable`` is this class.
"""

from __future__ import annotations

__all__ = ["Unreachable"]


class Unreachable(Exception):
    """The system holding a data ref cannot answer now (down, no credentials, no client).

    ``str(error)`` is the reason, one sentence, kept in the ref's
    ``detail["reason"]`` and shown in the warning.
    """
