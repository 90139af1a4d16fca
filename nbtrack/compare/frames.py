"""Runs and metric histories as pandas DataFrames (``nbtrack.runs``, ``metric_history``).

For: the DataFrame half of the read API. Frames are built column by column
from the store's columnar reads (``Reader.table``, ``Reader.history``), never
from a dict per row, and pandas is imported only when one is asked for.
Not for: SQL, filtering (the ``--where`` language is the store's) or rendering.

Column types, written once here and in docs/api.md:

* ``run_id, name, notebook`` and ``tags.*``: text (pandas' string type);
  a run without the tag has a missing value.
* ``status``: a categorical of the five ``RunStatus`` values.
* ``started, ended``: ``datetime64[ns, UTC]`` (``NaT`` while a run runs).
* ``duration``: float seconds (end, or last heartbeat, minus start), not a
  timedelta: it sorts, averages, filters and plots as a plain number, and
  ``pd.to_timedelta(df.duration, unit="s")`` is one call away.
* ``params.*``: numbers (int64, or float64 when a run lacks it) when every
  value is a number; anything else (bools included) keeps its Python value
  in an object column. ``metrics.*``: float64, the last value, NaN/±inf kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbtrack.errors import MetricError
from nbtrack.model import RunStatus, RunTable

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from nbtrack.compare.reader import Reader
    from nbtrack.store.base import HistoryArrays

__all__ = [
    "HISTORY_COLUMNS",
    "RUN_COLUMNS",
    "arrays_frame",
    "history_frame",
    "run_table_frame",
    "runs_frame",
]

#: the columns every ``runs_frame`` has, first and in this order
RUN_COLUMNS = (
    "run_id",
    "name",
    "status",
    "notebook",
    "started",
    "ended",
    "duration",
    "experiment",
)
#: the columns of a ``history_frame``
HISTORY_COLUMNS = ("step", "value", "time")


def runs_frame(
    reader: Reader,
    *,
    where: str | None = None,
    sort: Sequence[str] = (),
    limit: int | None = None,
    experiment: Sequence[str] = (),
) -> pd.DataFrame:
    """The runs *where* matches as a DataFrame, newest first (or by *sort*).

    One row per run: the fixed ``RUN_COLUMNS``, then ``params.*``,
    ``metrics.*`` and ``tags.*`` (each sorted by key), the union over the
    runs listed (runs of different notebooks leave each other's params empty).
    *experiment* keeps those experiments' runs (empty: every experiment's).
    """
    table = reader.table(where=where, sort=sort, limit=limit, experiment=experiment or None)
    return run_table_frame(table)


def run_table_frame(table: RunTable) -> pd.DataFrame:
    """A :class:`~nbtrack.model.RunTable` as the DataFrame of :func:`runs_frame`."""
    import numpy as np
    import pandas as pd

    n = len(table)
    started = np.array(table.started_at, dtype=np.float64)
    ended = np.array(table.ended_at, dtype=np.float64)  # None -> nan
    beat = np.array(table.heartbeat_at, dtype=np.float64)
    end = np.where(np.isnan(ended), beat, ended)
    columns: dict[str, Any] = {
        "run_id": pd.array(table.ids, dtype="string"),
        "name": pd.array(table.names, dtype="string"),
        "status": pd.Categorical(
            [s.value for s in table.statuses], categories=[s.value for s in RunStatus]
        ),
        "notebook": pd.array(table.notebooks, dtype="string"),
        "started": _times(started),
        "ended": _times(ended),
        "duration": np.maximum(end - started, 0.0),
        "experiment": pd.array(table.experiments or [None] * n, dtype="string"),
    }
    for key in sorted(table.params):
        columns[f"params.{key}"] = _param_column(table.params[key], n)
    for key in sorted(table.metrics):
        values = np.full(n, np.nan)
        cells = table.metrics[key]
        values[list(cells)] = list(cells.values())
        columns[f"metrics.{key}"] = values
    for key in sorted(table.tags):
        text: list[str | None] = [None] * n
        for i, tag in table.tags[key].items():
            text[i] = tag
        columns[f"tags.{key}"] = pd.array(text, dtype="string")
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


def _times(seconds: Any) -> Any:
    """Unix seconds (float64, NaN for none) as ``datetime64[ns, UTC]`` (NaT for none)."""
    import numpy as np
    import pandas as pd

    missing = np.isnan(seconds)
    filled = np.where(missing, 0.0, seconds)
    whole = np.floor(filled)  # seconds * 1e9 in one float would lose the last digits
    nanos = whole.astype(np.int64) * 1_000_000_000 + ((filled - whole) * 1e9).round().astype(
        np.int64
    )
    nanos[missing] = np.iinfo(np.int64).min  # NaT
    return pd.DatetimeIndex(nanos.view("datetime64[ns]")).tz_localize("UTC")


def _param_column(cells: dict[int, Any], n: int) -> Any:
    """One ``params.*`` column: int64, float64 or object (see the module's rules)."""
    import numpy as np

    values = list(cells.values())
    kinds = set(map(type, values))
    numeric = kinds <= {int, float}  # bool is its own type: it stays a bool
    whole = numeric and len(cells) == n and kinds == {int}
    if whole and all(-(2**63) <= v < 2**63 for v in values):
        column = np.zeros(n, dtype=np.int64)
        column[list(cells)] = values
        return column
    if numeric:
        floats = np.full(n, np.nan)
        floats[list(cells)] = [float(v) for v in values]
        return floats
    if kinds == {str}:
        import pandas as pd

        text: list[str | None] = [None] * n
        for i, value in cells.items():
            text[i] = value
        return pd.array(text, dtype="string")
    objects = np.full(n, None, dtype=object)
    for i, value in cells.items():
        objects[i] = value
    return objects


def history_frame(reader: Reader, run: str, key: str) -> pd.DataFrame:
    """Every point of metric *key* of *run* (an id or unique prefix): ``step, value, time``.

    ``step`` is int64, or the nullable ``Int64`` when some points have no step
    (those come first); ``value`` float64 with NaN/±inf as logged; ``time``
    ``datetime64[ns, UTC]``. A metric the run never logged raises
    ``MetricError`` naming the metrics it has.
    """
    run_id = reader.resolve(run)
    arrays = reader.history_arrays(run_id, key)
    if not len(arrays.values):
        raise _unknown_metric(reader, run_id, key)
    return arrays_frame(arrays)


def arrays_frame(arrays: HistoryArrays) -> pd.DataFrame:
    """A history's arrays (``Reader.history_arrays``) as the frame of :func:`history_frame`."""
    import pandas as pd

    steps: Any = arrays.steps
    if not arrays.has_step.all():
        steps = pd.arrays.IntegerArray(arrays.steps, ~arrays.has_step)
    return pd.DataFrame(
        {"step": steps, "value": arrays.values, "time": _times(arrays.timestamps)},
        index=pd.RangeIndex(len(arrays.values)),
    )


def _unknown_metric(reader: Reader, run_id: str, key: str) -> MetricError:
    have = [m.key for m in reader.run(run_id).metrics]
    listed = "it has " + ", ".join(repr(k) for k in have) if have else "it logged no metrics"
    return MetricError(
        f"Run {run_id[:12]} has no metric {key!r}; {listed}.",
        key=key,
    )
