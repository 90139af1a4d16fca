"""IPython magics: ``%load_ext nbtrack`` and the ``%track_*`` family.

A door, not a room: each magic parses its line with ``@magic_arguments`` (so
``%track_params?`` shows real help), looks variables up in the user
namespace, and hands plain values to the kernel's
:class:`~nbtrack.tracking.session.NotebookSession`, which owns the
run. A user's mistake becomes a ``UsageError`` (:func:`usage_error`) with
one sentence, shown under the cell and not recorded on the run; a
store that cannot be reached prints a warning and the data stays buffered.
Nothing here kills or wedges the kernel.

Loading the extension must stay cheap (no store, SQLAlchemy, nbformat or
jupytext import): the session module is imported on the first tracking call.

* ``track``: the ``%track_*`` magics themselves.
* ``door``: what they share: argument parsing, ``usage_error``, nbtrack's
  errors said IPython's way.
* ``shell``: per shell, the cell hooks and the tracking session.
* ``status``: the text of ``%track_status``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtrack.magics.door import is_magic_usage_error, usage_error
from nbtrack.magics.shell import forget_shell, session_of
from nbtrack.magics.status import render_status
from nbtrack.magics.track import TrackMagics

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = [
    "TrackMagics",
    "forget_shell",
    "is_magic_usage_error",
    "load_ipython_extension",
    "render_status",
    "session_of",
    "unload_ipython_extension",
    "usage_error",
]


def load_ipython_extension(ip: InteractiveShell) -> None:
    """``%load_ext nbtrack``: register the tracking magics (and their cell hooks).

    It binds no name in the user's namespace: a cell that calls the Python API
    writes ``import nbtrack`` itself, as a linter and a reader expect.
    """
    ip.register_magics(TrackMagics)


def unload_ipython_extension(ip: InteractiveShell) -> None:
    """``%unload_ext nbtrack``: stop listening to cell events (the run stays open)."""
    forget_shell(ip)
