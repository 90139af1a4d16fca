"""nbtrack: trustworthy notebook experiments.

The public Python API. Importing it is cheap (no SQLAlchemy, no nbformat):
the run store is opened by the first tracking call.

    import nbtrack

    with nbtrack.start_run(name="baseline", tags={"team": "vision"}):
        nbtrack.log_params({"lr": 0.01, "epochs": 20})
        nbtrack.log_metric("loss", 0.25, step=1)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nbtrack._version import __version__

if TYPE_CHECKING:
    from nbtrack.compare.comparison import compare
    from nbtrack.compare.plot import plot
    from nbtrack.compare.read_api import (
        artifact_path,
        get_run,
        load_artifact,
        metric_history,
        run_pages,
        runs,
    )
    from nbtrack.data.refs import DataUnresolvedWarning
    from nbtrack.errors import (
        MetricError,
        NbtrackError,
        ParamError,
        QueryError,
        RunError,
        RunNotFoundError,
        StoreError,
        StoreUnreachableError,
        UsageError,
    )
    from nbtrack.integrations.sklearn import AutologWarning, autolog
    from nbtrack.integrations.tensorboard.sync import sync_tensorboard
    from nbtrack.model import ParamSource, Run, RunStatus, RunSummary
    from nbtrack.tracking.api import (
        active_run,
        end_run,
        list_runs,
        log_artifact,
        log_figure,
        log_image,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        set_tag,
        set_tags,
        start_run,
        track_data,
    )
    from nbtrack.tracking.flusher import StoreOutageWarning
    from nbtrack.tracking.ledger import ParamWarning
    from nbtrack.tracking.run import ActiveRun
    from nbtrack.tracking.spill import replay_spill

#: public name -> the module that defines it. Imported on first attribute access
#: (PEP 562), so `import nbtrack` and the `nbtrack` command's start-up stay cheap;
#: a test keeps this table, the imports above and ``__all__`` in step.
_LAZY: dict[str, str] = {
    "compare": "nbtrack.compare.comparison",
    **dict.fromkeys(
        ["artifact_path", "get_run", "load_artifact", "metric_history", "run_pages", "runs"],
        "nbtrack.compare.read_api",
    ),
    **dict.fromkeys(
        [
            "MetricError",
            "NbtrackError",
            "ParamError",
            "QueryError",
            "RunError",
            "RunNotFoundError",
            "StoreError",
            "StoreUnreachableError",
            "UsageError",
        ],
        "nbtrack.errors",
    ),
    **dict.fromkeys(["AutologWarning", "autolog"], "nbtrack.integrations.sklearn"),
    **dict.fromkeys(["ParamSource", "Run", "RunStatus", "RunSummary"], "nbtrack.model"),
    **dict.fromkeys(
        [
            "active_run",
            "end_run",
            "list_runs",
            "log_artifact",
            "log_figure",
            "log_image",
            "log_metric",
            "log_metrics",
            "log_param",
            "log_params",
            "set_tag",
            "set_tags",
            "start_run",
            "track_data",
        ],
        "nbtrack.tracking.api",
    ),
    "StoreOutageWarning": "nbtrack.tracking.flusher",
    "DataUnresolvedWarning": "nbtrack.data.refs",
    "ParamWarning": "nbtrack.tracking.ledger",
    "ActiveRun": "nbtrack.tracking.run",
    "replay_spill": "nbtrack.tracking.spill",
    "plot": "nbtrack.compare.plot",
    "sync_tensorboard": "nbtrack.integrations.tensorboard.sync",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbtrack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbtrack``: register the ``%track_*`` magics (docs/magics.md).

    A forwarder, so ``import nbtrack`` never imports IPython.
    """
    from nbtrack.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext nbtrack``: stop the magics' cell hooks (the run stays open)."""
    from nbtrack.magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "ActiveRun",
    "AutologWarning",
    "DataUnresolvedWarning",
    "MetricError",
    "NbtrackError",
    "ParamError",
    "ParamSource",
    "ParamWarning",
    "QueryError",
    "Run",
    "RunError",
    "RunNotFoundError",
    "RunStatus",
    "RunSummary",
    "StoreError",
    "StoreOutageWarning",
    "StoreUnreachableError",
    "UsageError",
    "__version__",
    "active_run",
    "artifact_path",
    "autolog",
    "compare",
    "end_run",
    "get_run",
    "list_runs",
    "load_artifact",
    "load_ipython_extension",
    "log_artifact",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "metric_history",
    "plot",
    "replay_spill",
    "run_pages",
    "runs",
    "set_tag",
    "set_tags",
    "start_run",
    "sync_tensorboard",
    "track_data",
    "unload_ipython_extension",
]
