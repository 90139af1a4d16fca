"""Autolog for scikit-learn: what an estimator was fitted with, without a ``log_param``.

``nbtrack.autolog()`` wraps scikit-learn's fit methods so that every
outermost fit records its params, training score and duration in the active
run (``partial_fit`` calls as steps, the model as an artifact if asked);
``nbtrack.autolog(disable=True)`` takes the wrappers off. The user's guide is
docs/autolog.md.

* ``switch``   — :func:`autolog` and :func:`configure` (what ``%track_autolog``
  calls): the one patcher and recorder of the process, on and off.
* ``patching`` — finding the estimator classes cheaply and wrapping their fit
  methods; only the outermost of nested fits is reported.
* ``recorder`` — what a fit records and in which run; never raises.
* ``params``   — ``get_params(deep=True)`` as dotted names and JSON-safe values.

scikit-learn itself is imported only inside ``switch`` and ``recorder``'s
functions: ``import nbtrack`` never imports it.
"""

from __future__ import annotations

from nbtrack.integrations.sklearn.patching import AutologWarning
from nbtrack.integrations.sklearn.switch import AutologState, autolog, configure, state

__all__ = ["AutologState", "AutologWarning", "autolog", "configure", "state"]
