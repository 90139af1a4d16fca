"""What one scikit-learn fit records, and in which run.

For: :class:`Recorder`, the callback the patcher hands each outermost
:class:`~nbtrack.integrations.sklearn.patching.Fit`; and the two ways of
finding the run: :class:`TrackerRuns` (``nbtrack.autolog()``: the active
run, started the way ``nbtrack.log_metric`` starts one) and
:class:`SessionRuns` (``%track_autolog``: the kernel session's run).

What a fit records (docs/autolog.md is the user's copy of this list):

* ``fit``, ``fit_transform``, ``fit_predict``: the params
  (:func:`~nbtrack.integrations.sklearn.params.estimator_params`, and a
  search's ``best_params.*``), the metrics ``fit_seconds``,
  ``training_score`` (``estimator.score(X, y)`` when ``y`` was given and the
  estimator scores), ``training_accuracy`` / ``training_r2`` beside it when
  that score is scikit-learn's default one for a classifier / regressor,
  ``best_cv_score`` for a search; the tags ``autolog=sklearn`` and
  ``estimator=<class>``; with ``log_models`` the fitted estimator pickled as
  the artifact ``<class>.pkl``.
* ``partial_fit``: the same metrics at step 0, 1, 2, ... (one step per call
  of that estimator in that run; the score is on the call's batch), its
  params at the first step.

A run holds one value per param. In a run autolog started itself, a fit of
another class of model, or of the same class with other params (the model
refitted with another ``C``), ends that run and starts a new one for the fit,
with a line saying so: one run per model, as a user comparing models wants.
A run someone else started (``nbtrack.start_run``, the magics, a
``log_metric``) is never ended by autolog: its fits add to it, and params
that differ from the ones it holds are left out, with an ``AutologWarning``
naming them.

Anything that goes wrong here (a store that refuses, a score that raises,
a model that does not pickle) is an ``AutologWarning``, said once per
message; the user's fit has already returned and its result is untouched.

Not for: wrapping methods (``patching``) or turning autolog on (``switch``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from nbtrack.integrations.sklearn.params import estimator_params, search_params
from nbtrack.integrations.sklearn.patching import AutologWarning, Fit

if TYPE_CHECKING:
    from nbtrack.model import JSONValue
    from nbtrack.tracking.run import ActiveRun
    from nbtrack.tracking.session import NotebookSession

__all__ = ["TAGS", "Recorder", "RunSource", "SessionRuns", "TrackerRuns"]

#: the tag every run autolog wrote to carries
TAGS = {"autolog": "sklearn"}
#: seconds a session waits for the notebook's snapshot before autolog ends its run
_SNAPSHOT_WAIT = 30.0


class RunSource(Protocol):
    """Where a fit's run comes from."""

    def current(self) -> tuple[ActiveRun, bool]:
        """The run to record into, and whether this call started it."""

    def restart(self, run: ActiveRun) -> ActiveRun:
        """End *run* FINISHED and start the next one."""


class TrackerRuns:
    """The process's active run, started implicitly as ``nbtrack.log_metric`` does."""

    def current(self) -> tuple[ActiveRun, bool]:
        from nbtrack.tracking.api import get_tracker  # at the first fit, not at autolog()

        tracker = get_tracker()
        before = tracker.run
        run = tracker.current()
        return run, run is not before

    def restart(self, run: ActiveRun) -> ActiveRun:
        from nbtrack.tracking.api import get_tracker

        run.end()
        return get_tracker().current()


class SessionRuns:
    """The kernel session's run (``%track_autolog``): its name, tags and snapshot rules."""

    def __init__(self, session: NotebookSession) -> None:
        self.session = session

    def current(self) -> tuple[ActiveRun, bool]:
        before = self.session.tracker.run
        run = self.session.ensure_run()
        return run, run is not before

    def restart(self, run: ActiveRun) -> ActiveRun:
        self.session.wait_for_snapshot(_SNAPSHOT_WAIT)  # the ended run keeps its code
        run.end()
        return self.session.ensure_run()


class Recorder:
    """Records each fit it is handed (see the module notes); never raises."""

    def __init__(self, runs: RunSource, *, log_models: bool = False) -> None:
        self.runs = runs
        self.log_models = log_models
        self._own: set[str] = set()  # ids of the runs autolog started
        # estimator -> (run id, its next partial_fit step in that run)
        self._steps: weakref.WeakKeyDictionary[Any, tuple[str, int]] = weakref.WeakKeyDictionary()
        self._said: set[str] = set()
        self._models: dict[str, str] = {}  # run id -> the class of the last model fitted in it

    def __call__(self, fit: Fit) -> None:
        try:
            if fit.method == "partial_fit":
                self._partial_fit(fit)
            else:
                self._fit(fit)
        except Exception as exc:
            name = type(fit.estimator).__name__
            self.warn(f"nbtrack.autolog could not record {name}.{fit.method}: {exc}")

    def warn(self, message: str) -> None:
        """An ``AutologWarning``, once per distinct *message*, shown at the user's
        line (the first frame outside nbtrack: the ``fit`` call)."""
        if message in self._said:
            return
        self._said.add(message)
        level, frame = 1, sys._getframe(0)
        while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
            "nbtrack."
        ):
            frame, level = frame.f_back, level + 1
        warnings.warn(message, AutologWarning, stacklevel=level)

    # -- the two kinds of call --------------------------------------------------------------
    def _fit(self, fit: Fit) -> None:
        estimator = fit.estimator
        run = self._params(fit, search_params(estimator))
        metrics = {"fit_seconds": fit.seconds, **self._scores(fit)}
        best = getattr(estimator, "best_score_", None)
        if best is not None:
            metrics["best_cv_score"] = float(best)
        run.log_metrics(metrics)
        if self.log_models:
            _log_model(run, estimator)

    def _partial_fit(self, fit: Fit) -> None:
        run, started = self._run()
        previous = self._step_of(fit.estimator, run)
        if previous is None:
            run = self._params(fit, {}, (run, started))
        step = 0 if previous is None else previous
        self._steps[fit.estimator] = (run.id, step + 1)
        run.log_metrics({"fit_seconds": fit.seconds, **self._scores(fit)}, step)

    def _scores(self, fit: Fit) -> dict[str, float]:
        """The training scores, or {} with a warning when scoring fails (the rest
        of the fit's record does not depend on it)."""
        try:
            return _scores(fit)
        except Exception as exc:
            name = type(fit.estimator).__name__
            self.warn(f"nbtrack.autolog could not score {name}.{fit.method}: {exc}")
            return {}

    def _step_of(self, estimator: Any, run: ActiveRun) -> int | None:
        """The next partial_fit step of *estimator* in *run*; None before its first."""
        known = self._steps.get(estimator)
        return known[1] if known is not None and known[0] == run.id else None

    # -- the run and its params ----------------------------------------------------------------
    def _run(self) -> tuple[ActiveRun, bool]:
        run, started = self.runs.current()
        if started:
            self._own.add(run.id)
        return run, started

    def _params(
        self,
        fit: Fit,
        extra: dict[str, JSONValue],
        found: tuple[ActiveRun, bool] | None = None,
    ) -> ActiveRun:
        """Log the fit's params (and *extra*) in its run, by the rule of the module notes."""
        from nbtrack.printable import printable
        from nbtrack.tracking.ledger import change_summary

        run, _ = found or self._run()
        name = type(fit.estimator).__name__
        params = {**estimator_params(fit.estimator), **extra}
        changed = [(key, value) for key, value in params.items() if run.param_differs(key, value)]
        model = self._models.get(run.id)
        if run.id in self._own and (changed or model not in (None, name)):
            other_model = model not in (None, name)
            why = f"after {model}" if other_model else change_summary(run.params, changed)
            old = run
            run = self.runs.restart(old)
            self._own.add(run.id)
            message = (
                f"nbtrack.autolog: {name} ({why}): ended run {old.id[:8]}"
                f" and started run {run.id[:8]} for this fit."
            )
            print(printable(message), file=sys.stdout)
        elif changed:
            left_out = {key for key, _ in changed}
            params = {key: value for key, value in params.items() if key not in left_out}
            self.warn(
                f"nbtrack.autolog: {name} params ({change_summary(run.params, changed)}) differ"
                f" from those run {run.id[:8]} holds, so they were not logged; start a run"
                " per model (nbtrack.start_run(), or %track_run --new) to keep each one's params."
            )
        self._models[run.id] = name
        run.log_params(params)
        run.set_tags({**TAGS, "estimator": name})
        return run


def _scores(fit: Fit) -> dict[str, float]:
    """``training_score`` (and its accuracy / R² name) when the fit had ``y`` and a score."""
    estimator, y = fit.estimator, fit.y
    score = getattr(estimator, "score", None)
    if y is None or not callable(score):
        return {}
    weight = fit.kwargs.get("sample_weight")
    value = float(score(fit.X, y) if weight is None else score(fit.X, y, sample_weight=weight))
    scores = {"training_score": value}
    from sklearn.base import (  # type: ignore[import-untyped, unused-ignore]
        ClassifierMixin,
        RegressorMixin,
    )

    method = getattr(type(estimator), "score", None)
    if method is ClassifierMixin.score:
        scores["training_accuracy"] = value
    elif method is RegressorMixin.score:
        scores["training_r2"] = value
    return scores


def _log_model(run: ActiveRun, estimator: Any) -> None:
    """The fitted estimator, pickled, as the artifact ``<class>.pkl`` of *run*."""
    import pickle

    name = f"{type(estimator).__name__}.pkl"
    with tempfile.TemporaryDirectory(prefix="nbtrack-autolog-") as folder:
        path = Path(folder) / name
        with open(path, "wb") as file:
            pickle.dump(estimator, file, protocol=pickle.HIGHEST_PROTOCOL)
        run.log_artifact(os.fspath(path), name)
