"""Turning autolog on and off: ``nbtrack.autolog()`` and what ``%track_autolog`` calls.

For: :func:`autolog` (the public function) and :func:`configure` (the same,
with the source of runs given: the magic passes the kernel session's). The
process has one :class:`~nbtrack.integrations.sklearn.patching.Patcher`,
because the classes it wraps are the process's; calling ``autolog()`` again
changes its settings and wraps classes imported since, nothing more;
``autolog(disable=True)`` puts every original method back.

scikit-learn is imported here, inside the functions, and only ``sklearn.base``
(the estimator classes the notebook imported are found, not imported; see
``patching``). Without scikit-learn, ``autolog()`` is a ``UsageError``
saying how to install it, and ``autolog(disable=True)`` does nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.integrations.sklearn.patching import Patcher
from nbtrack.integrations.sklearn.recorder import Recorder, RunSource, TrackerRuns

__all__ = ["AutologState", "autolog", "configure", "state"]

NO_SKLEARN = (
    "scikit-learn is not installed, and nbtrack.autolog() records scikit-learn fits;"
    " install it with: pip install scikit-learn"
)


@dataclass(frozen=True)
class AutologState:
    """Whether autolog is on, and with what; what ``%track_autolog`` reports."""

    enabled: bool
    log_models: bool = False
    #: fit methods wrapped so far (classes imported later are added as they come)
    wrapped: int = 0


class _Autolog:
    """The process's patcher and recorder (one object, not module globals)."""

    def __init__(self) -> None:
        self.patcher = Patcher()
        self.recorder: Recorder | None = None
        self.lock = threading.Lock()


_autolog = _Autolog()


def autolog(*, disable: bool = False, log_models: bool = False) -> None:
    """Record scikit-learn fits in the active run: params, training score, steps.

    Every estimator's ``fit`` (and ``fit_transform``, ``fit_predict``) then
    logs its ``get_params(deep=True)`` with dotted names (``clf.C``), its
    ``training_score`` and ``fit_seconds``; ``partial_fit`` calls log their
    score at steps 0, 1, 2, ...; with ``log_models=True`` the fitted estimator
    is stored as ``<class>.pkl``. A ``Pipeline`` or ``GridSearchCV`` is
    recorded once, at the outermost fit. ``disable=True`` undoes it all;
    calling it again is harmless. docs/autolog.md has the details.

    >>> nbtrack.autolog()                       # doctest: +SKIP
    >>> LogisticRegression(C=0.5).fit(X, y)     # doctest: +SKIP
    """
    configure(disable=disable, log_models=log_models, runs=TrackerRuns())


def configure(*, disable: bool, log_models: bool, runs: RunSource) -> AutologState:
    """:func:`autolog` with the runs taken from *runs*; returns the new state."""
    for name, value in (("disable", disable), ("log_models", log_models)):
        if not isinstance(value, bool):
            raise UsageError(f"autolog({name}=...) takes True or False, not {value!r}.")
    with _autolog.lock:
        patcher = _autolog.patcher
        if disable:
            patcher.report = None
            patcher.uninstall()
            _autolog.recorder = None
            return AutologState(enabled=False)
        base = _base_estimator()
        recorder = _autolog.recorder
        if recorder is None:
            recorder = _autolog.recorder = Recorder(runs, log_models=log_models)
        else:  # the runs it started stay its own: a refit still moves on to a new run
            recorder.runs, recorder.log_models = runs, log_models
        patcher.install(base)
        patcher.report = recorder
        return state()


def state() -> AutologState:
    """Autolog's settings now."""
    recorder = _autolog.recorder
    if recorder is None:
        return AutologState(enabled=False)
    return AutologState(
        enabled=True, log_models=recorder.log_models, wrapped=_autolog.patcher.wrapped
    )


def _base_estimator() -> Any:
    try:
        from sklearn.base import BaseEstimator  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise UsageError(NO_SKLEARN) from None
    return BaseEstimator
