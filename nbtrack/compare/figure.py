"""The matplotlib figure ``nbtrack.plot`` returns: a plain ``Figure`` that shows itself.

For: :mod:`nbtrack.compare.plot` only, which imports this module once it
knows matplotlib is installed (matplotlib is imported here at module level).
A figure made with ``Figure()`` rather than pyplot belongs to no pyplot
state, so a notebook shows it once (as a cell's value), never twice, and a
script keeps no global figure alive; ``_repr_png_`` is the rich-display
protocol IPython and Jupyter read, so it shows even where pyplot was never
imported.
Not for: drawing (:mod:`nbtrack.compare.plot`).
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["CurvesFigure"]


class CurvesFigure(Figure):
    """A matplotlib ``Figure`` that renders itself as PNG for rich displays."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()
