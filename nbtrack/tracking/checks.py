"""What a live run is given, checked before it is queued: steps, artifact names, PNG bytes.

For: the rules ``ActiveRun`` applies to a metric's or an artifact's step, to an
artifact's name, and to the bytes of an image it is handed, each refusing bad
input with one sentence that names the value. Metrics and artifacts share the
step rule (an integer a signed 64-bit column keeps); an artifact's step must
also be 0 or more, because a series of figures is paged by step and
TensorBoard's global steps are counted from 0.
Not for: the metric hot path's quick checks (``run.ActiveRun.log_metric``
inlines them and calls :func:`step_problem` only for what they let through),
or storing anything.
"""

from __future__ import annotations

import numbers
from io import BytesIO
from typing import Any

from nbtrack.errors import UsageError

__all__ = [
    "PNG_SIGNATURE",
    "STEP_MAX",
    "STEP_MIN",
    "artifact_name_problem",
    "artifact_step",
    "check_artifact_name",
    "check_png",
    "figure_png",
    "png_name",
    "step_value",
]

#: the steps a store keeps: a signed 64-bit integer in SQLite and PostgreSQL
STEP_MIN, STEP_MAX = -(2**63), 2**63 - 1
#: the eight bytes every PNG file starts with (PNG specification, section 5.2)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def step_value(step: Any) -> int | str:
    """*step* as an int, or why it cannot be one (a sentence, to follow "name: ").

    An int, a numpy integer or a float with no fraction (``3.0``) is a step;
    a bool is not, though Python counts it as a number.

    >>> step_value(3.0), step_value("3")
    (3, "step must be an integer, not '3'.")
    """
    integral = isinstance(step, numbers.Integral) or (isinstance(step, float) and step.is_integer())
    if not integral or isinstance(step, bool):
        return f"step must be an integer, not {step!r}."
    number = int(step)
    if not STEP_MIN <= number <= STEP_MAX:
        # SQLite and PostgreSQL both store a step as a signed 64-bit integer
        return (
            f"step {number} does not fit a signed 64-bit integer ({STEP_MIN} to {STEP_MAX}),"
            " which is what the store keeps."
        )
    return number


def artifact_step(name: str, step: Any) -> int | None:
    """The step an artifact named *name* is logged at; ``UsageError`` naming a bad one."""
    if step is None:
        return None
    number = step if type(step) is int and 0 <= step <= STEP_MAX else step_value(step)
    if isinstance(number, str):
        raise UsageError(f"artifact {name!r}: {number}")
    if number < 0:
        raise UsageError(
            f"artifact {name!r}: step must be 0 or more, not {number}"
            " (an artifact's steps page a series, counted from 0 like TensorBoard's)."
        )
    return number


def artifact_name_problem(name: object) -> str | None:
    """Why *name* cannot name an artifact, as the end of a sentence; None when it can."""
    if not isinstance(name, str) or not name:
        return "it is not a non-empty string"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name):
        return "it holds a control character (NUL, a newline, ...)"
    if "\\" in name:
        return "it holds a backslash"
    if name.startswith("/"):
        return "it is an absolute path"
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "it has an empty, '.' or '..' part"
    return None


def check_artifact_name(name: object) -> None:
    """Refuse a name an artifact cannot be saved under by anyone who downloads it.

    An artifact name is a relative path of plain parts, ``model.pkl`` or
    ``plots/loss.png`` (nbtrack itself stores ``executed/<notebook>``).
    """
    problem = artifact_name_problem(name)
    if problem is not None:
        raise UsageError(
            f"cannot log an artifact named {name!r}: {problem}; an artifact name is a relative"
            " path of plain parts such as 'model.pkl' or 'plots/loss.png' (give name=...)."
        )


def png_name(name: str) -> str:
    """The artifact name of an image logged as *name*: ``.png`` added unless it is there.

    >>> png_name("confusion_matrix"), png_name("plots/loss.PNG")
    ('confusion_matrix.png', 'plots/loss.PNG')
    """
    return name if name.lower().endswith(".png") else f"{name}.png"


def check_png(data: object, name: str) -> bytes:
    """*data* when it is the bytes of a PNG file; ``UsageError`` naming *name* otherwise.

    Only the signature is checked: decoding the image would cost a dependency
    (Pillow) and the time of a decode on every epoch, and the signature is what
    tells a PNG from a JPEG, a path or a numpy array handed over by mistake.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UsageError(
            f"log_image({name!r}) takes the bytes of a PNG file, not {type(data).__name__};"
            " for a matplotlib figure use log_figure."
        )
    raw = bytes(data)
    if not raw.startswith(PNG_SIGNATURE):
        head = raw[:8]
        raise UsageError(
            f"log_image({name!r}) was given {len(raw)} bytes that are not a PNG file"
            f" (they start with {head!r}, not the PNG signature {PNG_SIGNATURE!r})."
        )
    return raw


def figure_png(figure: Any, name: str) -> bytes:
    """The PNG bytes of a matplotlib figure (anything with ``savefig``)."""
    if not callable(getattr(figure, "savefig", None)):
        raise UsageError(
            f"log_figure({name!r}) needs a figure with a savefig method,"
            f" not {type(figure).__name__}."
        )
    buffer = BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
