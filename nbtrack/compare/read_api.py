"""The public read API: ``nbtrack.runs``, ``metric_history``, ``get_run``, ``load_artifact``.

For: notebooks and scripts reading runs back as DataFrames and objects. Every
function reads through ``Reader.current()``: the active run's store (flushed
first, so a notebook sees what it just logged) or the project's store.
pandas is imported only when a DataFrame is asked for.
Not for: the CLI (its doors open their own ``Reader``) or writing runs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.compare import artifacts, frames
from nbtrack.compare.reader import Reader
from nbtrack.model import Run

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["artifact_path", "get_run", "load_artifact", "metric_history", "run_pages", "runs"]


def runs(
    where: str | None = None,
    sort: str | Sequence[str] = (),
    limit: int | None = None,
    experiment: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Runs as a pandas DataFrame, newest first, filtered like ``nbtrack runs --where``.

    >>> df = nbtrack.runs(where="params.lr < 0.1", sort="-metrics.val_acc")  # doctest: +SKIP

    *experiment* (a name, several, or ``"*"`` for all) picks the experiments
    as ``nbtrack runs --experiment`` does; None: the one the project sets
    (``[tool.nbtrack] experiment``, ``NBTRACK_EXPERIMENT``), else all.
    Columns: ``run_id, name, status, notebook, started, ended, duration,
    experiment``, then ``params.*``, ``metrics.*`` (last value) and
    ``tags.*``; an empty store gives an empty frame with the fixed columns
    (docs/api.md).
    """
    from nbtrack.config import listed_experiments, load_settings

    keys = (sort,) if isinstance(sort, str) else tuple(sort)
    given = [experiment] if isinstance(experiment, str) else list(experiment or ())
    scope = listed_experiments(given, load_settings())
    with Reader.current() as reader:
        return frames.runs_frame(reader, where=where, sort=keys, limit=limit, experiment=scope)


def run_pages(
    where: str | None = None,
    sort: str | Sequence[str] = (),
    size: int = 1000,
    *,
    after: str | None = None,
    experiment: str | Sequence[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """The runs of :func:`runs` as DataFrames of *size* runs each, page by page.

    >>> for frame in nbtrack.run_pages(where="params.lr < 0.1", size=10_000):  # doctest: +SKIP
    ...     frame.attrs["next_page"]  # the cursor after this page (None on the last)

    Pages come by keyset (each starts after the last run of the one before,
    through the store's index), so a million runs are read in equal steps, not
    re-reading what came before as offsets would. *after* resumes after a
    cursor: ``attrs["next_page"]`` of a frame, or what ``nbtrack runs`` printed
    for the same *where* and *sort*; *experiment* as in :func:`runs`.
    """
    from nbtrack.config import listed_experiments, load_settings
    from nbtrack.errors import UsageError
    from nbtrack.store.base import summaries_table

    if size < 1:
        raise UsageError(f"Cannot list pages of {size} runs: size must be at least 1.")
    keys = (sort,) if isinstance(sort, str) else tuple(sort)
    given = [experiment] if isinstance(experiment, str) else list(experiment or ())
    scope = listed_experiments(given, load_settings())
    cursor = after
    while True:
        with Reader.current() as reader:
            page = reader.run_page(
                where=where, sort=keys, limit=size, after=cursor, count_cap=0, experiment=scope
            )
        frame = frames.run_table_frame(summaries_table(page.runs))
        frame.attrs["next_page"] = page.next
        yield frame
        if page.next is None:
            return
        cursor = page.next


def metric_history(run: str | Run, key: str) -> pd.DataFrame:
    """Every point of metric *key* of *run* (an id, prefix or ``Run``): ``step, value, time``."""
    with Reader.current() as reader:
        return frames.history_frame(reader, _id(run), key)


def get_run(run: str) -> Run:
    """Everything stored about one run, by id or unique prefix; ``run.history(key)`` works on it."""
    with Reader.current() as reader:
        found = reader.run(run)
    return dataclasses.replace(found, _history=functools.partial(metric_history, found.id))


def artifact_path(run: str | Run, name: str, step: int | None = None) -> Path:
    """The local path of the bytes of *run*'s artifact *name* (read it, don't write it).

    A name logged at several steps (a figure per epoch) gives its latest step's
    file unless *step* names another.
    """
    with Reader.current() as reader:
        return artifacts.local_path(reader, reader.run(_id(run)), name, step)


def load_artifact(
    run: str | Run, name: str, *, step: int | None = None, allow_pickle: bool = False
) -> Any:
    """*run*'s artifact *name* as an object: JSON parsed, CSV/parquet as DataFrames,
    ``.npy`` as an array, text as ``str``, pickles only with ``allow_pickle=True``,
    anything else as its local ``Path`` (docs/api.md has the rules); the latest
    step's unless *step* names another."""
    with Reader.current() as reader:
        found = reader.run(_id(run))
        return artifacts.load(reader, found, name, step=step, allow_pickle=allow_pickle)


def _id(run: str | Run) -> str:
    return run.id if isinstance(run, Run) else run
