"""Numbers, deltas and values of a comparison as short text, shared by its renderers.

For: the terminal, markdown and HTML renderers of a comparison (and the
report), so ``0.9312``, ``+2.3%``, ``nan`` and ``-inf`` read the same
everywhere. Returns unescaped text: each renderer escapes it for its medium.
JSON keeps numbers as numbers; :func:`strict_json` only turns the floats
JSON cannot carry into the strings ``nbtrack runs`` and ``nbtrack compare``
both print (``"NaN"``, ``"Infinity"``, ``"-Infinity"``).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.compare.comparison_model import MetricRow, MetricStats, RunHeader
    from nbtrack.compare.lineage import Producer
    from nbtrack.model import DataRef

__all__ = [
    "DIRECTION_UNKNOWN",
    "MISSING",
    "best_text",
    "commit_text",
    "data_text",
    "delta_text",
    "direction_text",
    "duration_text",
    "number",
    "param_text",
    "strict_json",
    "time_text",
]

#: what a cell shows for a value a run does not have
MISSING = "—"
#: the note beside a metric whose direction nobody knows
DIRECTION_UNKNOWN = "direction unknown: no better/worse; say it with --maximize/--minimize"


def number(value: float | None) -> str:
    """``0.9312``, ``1.235e+06``, ``nan``, ``inf``, ``-inf`` (4 significant digits)."""
    if value is None:
        return MISSING
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def delta_text(delta: float | None, relative: float | None) -> str:
    """``+0.02 (+2.2%)``, ``-3`` (no relative: the baseline was 0), or '' (none)."""
    if delta is None:
        return ""
    text = f"{delta:+.4g}"
    if relative is not None:
        text += f" ({relative * 100:+.1f}%)"
    return text


def best_text(stats: MetricStats) -> str:
    """``0.94 @ step 9``, ``0.94`` (points without steps), or ``—`` (no direction)."""
    if stats.best is None:
        return MISSING
    step = f" @ step {stats.best_step}" if stats.best_step is not None else ""
    return number(stats.best) + step


def direction_text(row: MetricRow) -> str:
    """``higher`` / ``lower`` with where it came from, or ``?``."""
    if row.direction is None:
        return "?"
    via = {"name": "", "maximize": " (--maximize)", "minimize": " (--minimize)"}
    return f"{row.direction}{via.get(row.direction_source, '')}"


def param_text(value: Any) -> str:
    """A param value as text: strings as they are, everything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return number(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def commit_text(run: RunHeader) -> str:
    """``1a2b3c4 (dirty)``, ``1a2b3c4``, or ``—`` outside git."""
    if not run.git_commit:
        return MISSING
    state = {True: " (dirty)", False: "", None: " (dirty: unknown)"}[run.git_dirty]
    return run.git_commit[:7] + state


def data_text(ref: DataRef | None, maker: Producer | None, *, width: int = 15) -> str:
    """A run's version of a data path, and the run that made it when one did.

    ``sha256:1a2b3c4d  made by run 3f9c2a1b (prepare)``; ``unresolved`` for a
    ref tracked while its system could not answer; ``—`` when the run did not
    read the path.
    """
    if ref is None:
        return MISSING
    text = ref.digest[:width] if ref.resolved else "unresolved"
    if maker is not None:
        name = f" ({maker.run_name})" if maker.run_name else ""
        text += f"  made by run {maker.run_id[:8]}{name}"
    return text


def time_text(ts: float | None) -> str:
    """Local time to the minute: ``2026-12-02 15:47``."""
    if ts is None:
        return MISSING
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def duration_text(seconds: float | None) -> str:
    """``850ms``, ``12.5s``, ``3m 07s``, ``2h 05m``; empty when unknown.

    >>> duration_text(0.25), duration_text(12.46), duration_text(187), duration_text(7500)
    ('250ms', '12.5s', '3m 07s', '2h 05m')
    """
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def strict_json(value: Any) -> Any:
    """*value* with non-finite floats as strings (nested too), ready for strict JSON.

    >>> strict_json({"a": [1.5, float("nan")], "b": float("-inf")})
    {'a': [1.5, 'NaN'], 'b': '-Infinity'}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value
