"""nbtrack: trustworthy notebook experiments.

The public Python API. Importing it is cheap (no SQLAlchemy, no nbformat):
the run store is opened by the first tracking call.

    import nbtrack

    with nbtrack.start_run(name="baseline", tags={"team": "vision"}):
        nbtrack.log_params({"lr": 0.01, "epochs": 20})
        nbtrack.log_metric("loss", 0.25, step=1)
"""

from __future__ import annotations

from nbtrack._version import __version__
from nbtrack.errors import (
    MetricError,
    NbtrackError,
    ParamError,
    RunError,
    StoreError,
    UsageError,
)
from nbtrack.model import ParamSource, RunStatus
from nbtrack.tracking.api import (
    active_run,
    end_run,
    get_run,
    list_runs,
    log_artifact,
    log_figure,
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
from nbtrack.tracking.params import ParamWarning
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.spill import replay_spill

# IPython extension: `load_ipython_extension` (from nbtrack.magics) is added
# here, and to __all__, by the magics work. Keep it a thin import.

__all__ = [
    "ActiveRun",
    "MetricError",
    "NbtrackError",
    "ParamError",
    "ParamSource",
    "ParamWarning",
    "RunError",
    "RunStatus",
    "StoreError",
    "StoreOutageWarning",
    "UsageError",
    "__version__",
    "active_run",
    "end_run",
    "get_run",
    "list_runs",
    "log_artifact",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "replay_spill",
    "set_tag",
    "set_tags",
    "start_run",
    "track_data",
]
