"""JSON rendering of a comparison, for tools, bots and the web UI.

A stable document (``"format": "nbtrack-compare", "version": 1``) in strict
JSON: NaN and ±inf metric values are the strings ``"NaN"``, ``"Infinity"``
and ``"-Infinity"`` as in ``nbtrack runs --format json``; times are ISO 8601
in UTC; a value a run does not have is ``null`` (a param also says
``"present": false``, since ``null`` is a value a param can hold). The code
diff of each run is ``nbtrack diff``'s JSON for its notebook.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from nbtrack.compare.comparison_model import ComparisonData, MetricStats
from nbtrack.compare.formatting import strict_json

__all__ = ["comparison_jsonable", "render_json"]


def render_json(c: ComparisonData) -> str:
    return json.dumps(comparison_jsonable(c), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def comparison_jsonable(c: ComparisonData) -> dict[str, Any]:
    """Plain data (dicts, lists, strings, numbers) of the whole comparison."""
    return {
        "format": "nbtrack-compare",
        "version": 1,
        "baseline": c.baseline.id,
        "runs": [
            {
                "id": run.id,
                "name": run.name,
                "status": run.status,
                "notebook": run.notebook,
                "started_at": _iso(run.started_at),
                "ended_at": _iso(run.ended_at),
                "duration": run.duration,
                "git": {"commit": run.git_commit, "branch": run.git_branch, "dirty": run.git_dirty},
                "python": run.python or None,
                "experiment": run.experiment,
            }
            for run in c.runs
        ],
        "params": {
            "all": c.all_params,
            "rows": [
                {
                    "key": row.key,
                    "values": [
                        {
                            "present": cell.present,
                            "value": strict_json(cell.value),
                            "changed": cell.changed,
                        }
                        for cell in row.cells
                    ],
                }
                for row in c.params
            ],
        },
        "metrics": [
            {
                "key": row.key,
                "direction": row.direction,
                "direction_source": row.direction_source,
                "runs": [_stats(s) for s in row.runs],
            }
            for row in c.metrics
        ],
        "data": [
            {
                "path": row.path,
                "status": row.status,
                "runs": [
                    None
                    if ref is None
                    else {
                        "kind": ref.kind,
                        "digest": ref.digest,
                        "size": ref.size,
                        "resolved": ref.resolved,
                        "made_by_run": None if maker is None else maker.run_id,
                    }
                    for ref, maker in zip(
                        row.refs, row.makers or (None,) * len(row.refs), strict=True
                    )
                ],
            }
            for row in c.data
        ],
        "packages": {
            "captured": list(c.packages_captured),
            "differ": [{"name": row.name, "versions": list(row.versions)} for row in c.packages],
        },
        "code": None if not c.code_compared else [_code(c, i) for i in range(len(c.code))],
    }


def _stats(stats: MetricStats | None) -> dict[str, Any] | None:
    if stats is None:
        return None
    data: dict[str, Any] = strict_json(
        {
            "last": stats.last,
            "last_step": stats.last_step,
            "best": stats.best,
            "best_step": stats.best_step,
            "min": stats.min,
            "max": stats.max,
            "count": stats.count,
            "delta_last": stats.delta_last,
            "relative_last": stats.relative_last,
            "delta_best": stats.delta_best,
            "relative_best": stats.relative_best,
            "verdict": stats.verdict,
            "verdict_best": stats.verdict_best,
        }
    )
    return data


def _code(c: ComparisonData, index: int) -> dict[str, Any]:
    from nbtrack.vcs.diffmodel import DiffResult, to_jsonable

    change = c.code[index]
    result: dict[str, Any] = {
        "run": c.runs[change.run].id,
        "same": change.same,
        "note": change.note,
    }
    if change.diff is not None:
        nb = change.diff
        (result["diff"],) = to_jsonable(DiffResult(nb.old_label, nb.new_label, (nb,)))["notebooks"]
    else:
        result["diff"] = None
    return result


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()
