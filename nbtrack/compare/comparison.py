"""Runs side by side: ``compare_runs`` and the :class:`Comparison` it returns.

For: ``nbtrack compare``, ``nbtrack.compare(...)``, the static report and the
pull-request deltas. The first run is the baseline; every other run is
measured against it: the params that differ (or all), each metric's last,
best (with its step), min and max with deltas against the baseline, the data
refs (same / changed / only in some runs), git commit and dirty state, the
installed packages whose versions differ, and the code diff between the
runs' stored notebook snapshots. Runs of different notebooks compare too.

Which way a metric improves comes from ``--maximize``/``--minimize`` or else
from its name (:func:`metric_direction`); a name the rule does not know gets
no "better" or "worse" and no best value, and renderers say so.

Everything is read through a :class:`~nbtrack.compare.reader.Reader`.
Not for: rendering (``render_terminal``, ``render_markdown``, ``render_json``,
``render_html``) or parsing a door's options.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbtrack.compare.columns import varying_keys
from nbtrack.compare.comparison_model import (
    CodeChange,
    ComparisonData,
    DataRow,
    DataStatus,
    Direction,
    DirectionSource,
    MetricRow,
    MetricStats,
    PackageRow,
    ParamCell,
    ParamRow,
    RunHeader,
    Verdict,
)
from nbtrack.errors import MetricError, UsageError
from nbtrack.model import DataRef, MetricSummary, Run

if TYPE_CHECKING:
    from nbtrack.compare.lineage import Producer
    from nbtrack.compare.reader import Reader

__all__ = [
    "CodeChange",
    "Comparison",
    "DataRow",
    "MetricRow",
    "MetricStats",
    "PackageRow",
    "ParamCell",
    "ParamRow",
    "RunHeader",
    "compare",
    "compare_runs",
    "metric_direction",
    "select_runs",
]

#: name words of metrics that improve downwards
LOWER_IS_BETTER = frozenset(
    {"loss", "error", "errors", "err", "mse", "rmse", "mae", "mape", "msle", "rmsle", "nll",
     "logloss", "perplexity", "ppl", "time", "latency", "duration", "runtime", "seconds", "wer",
     "cer", "cost", "regret", "fpr", "fnr", "eer"}
)  # fmt: skip
#: name words of metrics that improve upwards
HIGHER_IS_BETTER = frozenset(
    {"acc", "accuracy", "auc", "f1", "fbeta", "precision", "recall", "r2", "score", "iou",
     "miou", "map", "ap", "bleu", "rouge", "meteor", "dice", "ndcg", "mrr", "top1", "top5",
     "sensitivity", "specificity", "kappa", "mcc", "throughput", "reward"}
)  # fmt: skip
#: words of a metric name: snake, kebab, dotted and slashed parts, then camelCase humps
_WORD = re.compile(r"[A-Z]+(?![a-z])\d*|[A-Z]?[a-z]+\d*|\d+")


def metric_direction(key: str) -> Direction | None:
    """Which way metric *key* improves, judged by the words of its name (the last that tells).

    >>> metric_direction("val_loss"), metric_direction("valAcc"), metric_direction("top5/err")
    ('lower', 'higher', 'lower')
    >>> metric_direction("lr") is None
    True
    """
    for word in reversed(_WORD.findall(key)):
        for candidate in (word.lower(), word.lower().rstrip("0123456789")):
            if candidate in LOWER_IS_BETTER:
                return "lower"
            if candidate in HIGHER_IS_BETTER:
                return "higher"
    return None


@dataclass(frozen=True, repr=False)
class Comparison(ComparisonData):
    """Runs side by side; ``runs[0]`` is the baseline. Shows itself as a table.

    In Jupyter it renders as an HTML table (``_repr_html_``); ``print()`` and
    the REPL show the plain-text table ``nbtrack compare`` prints in a pipe.
    """

    def _repr_html_(self) -> str:
        from nbtrack.compare.render_html import comparison_html

        return comparison_html(self)

    def __str__(self) -> str:
        from nbtrack.compare.render_terminal import render_plain

        return render_plain(self)

    def __repr__(self) -> str:
        return self.__str__()

    def to_markdown(self) -> str:
        """The comparison as GitHub-flavoured markdown (a pull-request comment)."""
        from nbtrack.compare.render_markdown import render_markdown

        return render_markdown(self)

    def to_json(self) -> str:
        """The comparison as strict JSON (NaN and ±inf as strings)."""
        from nbtrack.compare.render_json import render_json

        return render_json(self)


def compare_runs(
    reader: Reader,
    run_ids: Sequence[str],
    *,
    metrics: Sequence[str] | None = None,
    all_params: bool = False,
    maximize: Iterable[str] = (),
    minimize: Iterable[str] = (),
    code: bool = True,
) -> Comparison:
    """Compare the runs *run_ids* (ids or unique prefixes); the first is the baseline.

    *metrics* chooses and orders the metrics (default: every metric any run
    logged); *maximize*/*minimize* name metrics whose direction the name rule
    gets wrong or does not know; *code* False skips the code diff.
    Raises ``UsageError`` for fewer than two runs, a run given twice, a
    metric no run logged, a metric in both *maximize* and *minimize*.
    """
    ids = list(run_ids)
    if len(ids) < 2:
        given = f"only run {ids[0]}" if ids else "no run"
        raise UsageError(f"compare needs at least two runs, got {given}")
    runs = [reader.run(run_id) for run_id in ids]
    seen: dict[str, str] = {}
    for asked, run in zip(ids, runs, strict=True):
        if run.id in seen:
            raise UsageError(
                f"run {run.id[:8]} is given twice ({seen[run.id]!r} and {asked!r}); "
                "give each run once"
            )
        seen[run.id] = asked
    headers = tuple(_header(run) for run in runs)
    keys = _metric_keys(runs, metrics)
    directions = _directions(keys, maximize, minimize)
    changes: tuple[CodeChange, ...] = ()
    if code:
        from nbtrack.compare.code import code_change

        changes = tuple(code_change(i, runs[0], runs[i], headers) for i in range(1, len(runs)))
    return Comparison(
        runs=headers,
        params=_params(runs, all_params),
        all_params=all_params,
        metrics=tuple(_metric_row(runs, key, *directions[key]) for key in keys),
        data=_data(runs, _makers(reader, runs)),
        packages=_packages(runs),
        code=changes,
        code_compared=code,
        packages_captured=tuple(bool(run.environment.packages) for run in runs),
    )


def select_runs(
    reader: Reader, where: str, limit: int | None = None, experiment: Sequence[str] = ()
) -> tuple[list[str], int]:
    """The ids of the runs ``--where`` *where* matches, oldest first, and how many matched.

    With *limit*, the *limit* newest of them (still oldest first): the oldest
    run shown is the baseline, so a sweep reads from its first run onwards.
    *experiment* keeps those experiments' runs (empty: every experiment's).
    """
    listed, total = reader.page(where=where, limit=limit or None, experiment=experiment or None)
    if len(listed) < 2:
        count = "no runs" if not listed else "only 1 run"
        within = f" in experiment {', '.join(map(repr, experiment))}" if experiment else ""
        raise UsageError(f"--where {where!r} matches {count}{within}; compare needs at least two")
    return [run.id for run in reversed(listed)], total


def compare(
    *runs: Any,
    where: str | None = None,
    limit: int | None = None,
    metrics: str | Sequence[str] | None = None,
    all_params: bool = False,
    maximize: str | Iterable[str] = (),
    minimize: str | Iterable[str] = (),
    code: bool = True,
    experiment: str | Sequence[str] | None = None,
) -> Comparison:
    """Compare runs side by side; the first is the baseline.

    *runs* are run ids (or unique prefixes), or run objects (``nbtrack.start_run()``'s,
    ``nbtrack.get_run()``'s); or give *where* (the ``nbtrack runs --where``
    language) and optionally *limit* to compare the matching runs, oldest
    first; *experiment* (a name, names, ``"*"``) picks among them as
    ``nbtrack runs --experiment`` does. The result renders as an HTML table
    in Jupyter and as text elsewhere::

        nbtrack.compare("3f9c2a", "6e39af", metrics=["val_acc"], maximize="val_acc")
    """
    from nbtrack.compare.reader import Reader
    from nbtrack.config import listed_experiments, load_settings

    if len(runs) == 1 and isinstance(runs[0], list | tuple):
        runs = tuple(runs[0])  # nbtrack.compare(["3f9c2a", "6e39af"]), as nbtrack.plot takes them
    ids = [_run_id(r) for r in runs]
    if where is not None and ids:
        raise UsageError("give runs or where=..., not both")
    given = [experiment] if isinstance(experiment, str) else list(experiment or ())
    with Reader.current() as reader:
        if where is not None:
            scope = listed_experiments(given, load_settings())
            ids, _ = select_runs(reader, where, limit, scope)
        return compare_runs(
            reader,
            ids,
            metrics=[metrics] if isinstance(metrics, str) else metrics,
            all_params=all_params,
            maximize=[maximize] if isinstance(maximize, str) else maximize,
            minimize=[minimize] if isinstance(minimize, str) else minimize,
            code=code,
        )


def _run_id(run: Any) -> str:
    if isinstance(run, str):
        return run
    run_id = getattr(run, "id", None)
    if not isinstance(run_id, str):
        raise UsageError(f"compare takes run ids or runs, not {type(run).__name__} {run!r:.40}")
    return run_id


# -- the parts -----------------------------------------------------------------------


def _header(run: Run) -> RunHeader:
    return RunHeader(
        id=run.id,
        name=run.name,
        status=run.status.value,
        notebook=run.notebook,
        started_at=run.started_at,
        ended_at=run.ended_at,
        duration=run.duration,
        git_commit=run.git.commit,
        git_branch=run.git.branch,
        git_dirty=run.git.dirty,
        python=run.environment.python,
        experiment=run.experiment,
    )


def _params(runs: list[Run], all_params: bool) -> tuple[ParamRow, ...]:
    values = [{p.key: p.value for p in run.params} for run in runs]
    if all_params:
        keys = list(dict.fromkeys(key for row in values for key in row))
    else:
        keys = varying_keys(values)
    rows = []
    for key in keys:
        base = {key: values[0][key]} if key in values[0] else {}
        cells = []
        for i, row in enumerate(values):
            mine = {key: row[key]} if key in row else {}
            changed = i > 0 and bool(varying_keys([base, mine]))
            cells.append(ParamCell(key in row, row.get(key), changed))
        rows.append(ParamRow(key, tuple(cells)))
    return tuple(rows)


def _metric_keys(runs: list[Run], chosen: Sequence[str] | None) -> list[str]:
    logged = list(dict.fromkeys(m.key for run in runs for m in run.metrics))
    if chosen is None:
        return logged
    for key in chosen:
        if key not in logged:
            known = ", ".join(repr(k) for k in logged) if logged else "none"
            raise MetricError(
                f"none of the compared runs logged a metric {key!r} (their metrics: {known})",
                key=key,
            )
    return list(dict.fromkeys(chosen))


def _directions(
    keys: list[str], maximize: Iterable[str], minimize: Iterable[str]
) -> dict[str, tuple[Direction | None, DirectionSource]]:
    up, down = list(dict.fromkeys(maximize)), list(dict.fromkeys(minimize))
    for key in up:
        if key in down:
            raise UsageError(f"metric {key!r} is given both to maximize and to minimize")
    for key in up + down:
        if key not in keys:
            shown = ", ".join(repr(k) for k in keys) if keys else "none"
            raise MetricError(
                f"metric {key!r} given to maximize or minimize is not among the compared "
                f"metrics ({shown})",
                key=key,
            )
    result: dict[str, tuple[Direction | None, DirectionSource]] = {}
    for key in keys:
        if key in up:
            result[key] = ("higher", "maximize")
        elif key in down:
            result[key] = ("lower", "minimize")
        else:
            direction = metric_direction(key)
            result[key] = (direction, "name" if direction else "unknown")
    return result


def _metric_row(
    runs: list[Run], key: str, direction: Direction | None, source: DirectionSource
) -> MetricRow:
    stats: list[MetricStats | None] = []
    for run in runs:
        summary = next((m for m in run.metrics if m.key == key), None)
        stats.append(None if summary is None else _stats(summary, direction))
    base = stats[0]
    if base is not None:
        stats[1:] = [_against(s, base, direction) if s else None for s in stats[1:]]
    return MetricRow(key, direction, source, tuple(stats))


def _stats(summary: MetricSummary, direction: Direction | None) -> MetricStats:
    stats = MetricStats(
        last=summary.last,
        last_step=summary.last_step,
        min=summary.min,
        max=summary.max,
        count=summary.count,
    )
    if direction is None:
        return stats
    best = summary.max if direction == "higher" else summary.min
    if math.isnan(best):  # every point NaN: nothing is best
        return stats
    # the store keeps the step of the first point logged with the min and the max
    step = summary.max_step if direction == "higher" else summary.min_step
    return _replace(stats, best=best, best_step=step)


def _against(stats: MetricStats, base: MetricStats, direction: Direction | None) -> MetricStats:
    delta_last, relative_last = _delta(stats.last, base.last)
    delta_best, relative_best = _delta(stats.best, base.best)
    return _replace(
        stats,
        delta_last=delta_last,
        relative_last=relative_last,
        delta_best=delta_best,
        relative_best=relative_best,
        verdict=_verdict(stats.last, base.last, direction),
        verdict_best=_verdict(stats.best, base.best, direction),
    )


def _delta(value: float | None, base: float | None) -> tuple[float | None, float | None]:
    if value is None or base is None or not (math.isfinite(value) and math.isfinite(base)):
        return None, None
    delta = value - base
    return delta, (delta / abs(base) if base != 0 else None)


def _verdict(
    value: float | None, base: float | None, direction: Direction | None
) -> Verdict | None:
    if direction is None or value is None or base is None:
        return None
    if math.isnan(value) or math.isnan(base):
        return None
    if value == base:
        return "same"
    up = value > base
    return "better" if up == (direction == "higher") else "worse"


def _replace(stats: MetricStats, **changes: Any) -> MetricStats:
    from dataclasses import replace

    return replace(stats, **changes)


def _makers(reader: Reader, runs: list[Run]) -> list[dict[str, Producer]]:
    """Per run: digest -> the run that made that input (``compare.lineage.producers``)."""
    from nbtrack.compare.lineage import producers

    return [producers(reader, run.data, exclude=run.id) for run in runs]


def _data(runs: list[Run], makers: list[dict[str, Producer]]) -> tuple[DataRow, ...]:
    per_run: list[dict[str, DataRef]] = []
    for run in runs:
        latest: dict[str, DataRef] = {}
        for ref in sorted(run.data, key=lambda r: r.logged_at):
            latest[ref.path] = ref  # a path logged twice: its last version counts
        per_run.append(latest)
    paths = list(dict.fromkeys(path for refs in per_run for path in refs))
    rows = []
    for path in paths:
        refs = tuple(refs.get(path) for refs in per_run)
        status: DataStatus
        if any(ref is None for ref in refs):
            status = "partial"
        elif len({ref.digest for ref in refs if ref is not None}) == 1:
            status = "same"
        else:
            status = "changed"
        made = tuple(
            None if ref is None else found.get(ref.digest)
            for ref, found in zip(refs, makers, strict=True)
        )
        rows.append(DataRow(path, status, refs, made))
    return tuple(rows)


def _packages(runs: list[Run]) -> tuple[PackageRow, ...]:
    """Packages whose versions differ among the runs that captured their packages at all."""
    installed = [run.environment.packages for run in runs]
    captured = [packages for packages in installed if packages]
    names = sorted({name for packages in captured for name in packages}, key=str.lower)
    rows = []
    for name in names:
        if len({packages.get(name) for packages in captured}) > 1:
            rows.append(PackageRow(name, tuple(packages.get(name) for packages in installed)))
    return tuple(rows)
