"""The parameters cell: which cell it is, and when and how its values are logged.

For: :class:`ParametersCell`, a session's policy for papermill's convention
(a cell tagged ``parameters`` or holding ``%%track_params`` is the parameters
cell; the values injected after it are what gets logged):

* the names of a ``%%track_params`` cell are logged *lazily*: remembered, and
  their values read when the next cell starts, or, when that cell is an
  injected-parameters cell (:func:`is_injected_cell`: nbtrack's
  :data:`~nbtrack.notebook.params.INJECTED_MARKER` or papermill's
  ``# Parameters``), after it ran; so the values logged are the ones the code
  used. A parameters cell re-run with new values in an interactive session is
  logged at once instead (the session then starts a new run, under that cell).
* the parameters cell's own names are logged with source ``notebook``; the
  names an injected cell assigns with source ``cli``, or ``file`` for those
  ``nbtrack run -f`` took from a file (``NBTRACK_PARAM_SOURCES`` says which;
  a file's mapping as dotted keys); papermill's path variables not at all.
* under ``nbtrack run`` a cell only tagged ``parameters`` (its code is in
  ``NBTRACK_PARAMETERS_CELL``) counts, once it ran without error, as if it
  held ``%%track_params`` naming its literal assignments: its defaults.
* only literal assignments are params (:meth:`ParametersCell.literal_names`);
  the names a parameters cell computes (``frac = 1/1000``, f-strings) are
  named once in a note, so none is left out silently.

Not for: logging itself, starting runs, or what a changed value does to a
run (:class:`~nbtrack.tracking.session.NotebookSession`, which hands this
class those two callables). Nothing here imports IPython.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from nbtrack.envvars import PARAM_SOURCES_ENV, PARAMETERS_CELL_ENV
from nbtrack.model import ParamSource
from nbtrack.tracking.run import ActiveRun

__all__ = ["ParamGroups", "ParametersCell", "is_injected_cell"]

#: params to log, by the source they are logged with
ParamGroups = Mapping[ParamSource, Mapping[str, Any]]

_PAPERMILL_HEADER = "# Parameters"
#: what ``papermill --inject-paths`` adds to the injected cell: not parameters
_PAPERMILL_PATHS = frozenset({"PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH"})


def is_injected_cell(source: str) -> bool:
    """True for a cell ``nbtrack run`` or papermill injected after the parameters cell."""
    from nbtrack.notebook.params import INJECTED_MARKER

    first = source.lstrip().split("\n", 1)[0].rstrip()
    return first.startswith(INJECTED_MARKER) or first == _PAPERMILL_HEADER


class ParametersCell:
    """The parameters cell of one session: deferred names, the injected cell, the tagged cell.

    *log* logs groups of params on the current run (starting it if need be);
    *ensure_run* returns the current run, started if there is none. In a
    *batch* session (``nbtrack run``) every injected cell is settled after
    it ran, and a re-run parameters cell is never logged early.
    """

    def __init__(
        self,
        namespace: Mapping[str, Any],
        env: Mapping[str, str],
        *,
        batch: bool,
        log: Callable[[ParamGroups], object],
        ensure_run: Callable[[], ActiveRun],
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.ns = namespace
        self._note = note
        #: the sets of computed names a note was given for (each said once)
        self._noted: set[tuple[str, ...]] = set()
        self._env = env
        self._batch = batch
        self._log = log
        self._ensure_run = ensure_run
        #: the names of the last ``%%track_params`` cell, not logged yet
        self._pending: list[str] | None = None
        #: the injected cell running now, settled after it ran
        self._injected_source: str | None = None
        #: a parameters cell only tagged ``parameters`` (``nbtrack run`` says which)
        self._tagged_params = (env.get(PARAMETERS_CELL_ENV) or "").strip()
        self._tagged_running = False

    def literal_names(self, source: str, execution_count: int | None = None) -> list[str]:
        """The names the parameters cell *source* binds to literals (and that exist).

        The names it binds to anything else are not params; the first time
        a set of them is seen, a note names them and the cell (``In [n]``).
        """
        from nbtrack.notebook.source import literal_assignments, non_literal_names

        computed = tuple(non_literal_names(source))
        if computed and computed not in self._noted and self._note is not None:
            self._noted.add(computed)
            where = "" if execution_count is None else f" (In [{execution_count}])"
            one = len(computed) == 1
            shown = computed[0] if one else f"{', '.join(computed[:-1])} and {computed[-1]}"
            what = (
                "is not a literal value, so it is not logged as a param; log it"
                if one
                else "are not literal values, so they are not logged as params; log one"
            )
            self._note(
                f"nbtrack note: {shown} in the parameters cell{where} {what} "
                "with %track_params NAME in a later cell."
            )
        return [name for name in literal_assignments(source) if name in self.ns]

    def defer(self, names: list[str]) -> None:
        """``%%track_params`` ran: log these names once their final values are known.

        That is after the next cell, in case it is an injected one, except when
        the cell was re-run with new values in an interactive session: then
        they are logged at once.
        """
        self.settle()
        run = self._ensure_run()
        self._pending = list(names)
        if not self._batch and any(run.param_differs(n, self.ns[n]) for n in names if n in self.ns):
            self.settle()

    def settle(self, injected: str | None = None) -> None:
        """Log the deferred names (and those *injected* assigns) with their values now."""
        names, self._pending = self._pending or [], None
        sources: dict[str, ParamSource] = {name: ParamSource.NOTEBOOK for name in names}
        if injected is not None:
            from nbtrack.notebook.source import assigned_names

            origin = json.loads(self._env.get(PARAM_SOURCES_ENV) or "{}")
            for name in assigned_names(injected):
                if name in _PAPERMILL_PATHS:
                    continue
                file = origin.get(name) == "file"
                sources[name] = ParamSource.FILE if file else ParamSource.CLI
        groups = self._values(sources)
        if groups:
            self._log(groups)

    def _values(self, sources: Mapping[str, ParamSource]) -> dict[ParamSource, dict[str, Any]]:
        """The namespace's values of *sources*' names, grouped by source; a file's dict dotted."""
        groups: dict[ParamSource, dict[str, Any]] = {}
        for name, source in sources.items():
            if name not in self.ns:
                continue
            value = self.ns[name]
            group = groups.setdefault(source, {})
            if source is ParamSource.FILE and isinstance(value, Mapping) and value:
                from nbtrack.notebook.params import flatten_params

                group.update(flatten_params(value, prefix=f"{name}."))
            else:
                group[name] = value
        return groups

    def cell_started(self, raw_cell: str) -> None:
        """Before a cell: note an injected cell, or log the deferred names now."""
        if is_injected_cell(raw_cell) and (self._pending is not None or self._batch):
            self._injected_source = raw_cell  # settle after it ran, with its values
        elif self._pending is not None:
            self.settle()
        self._tagged_running = bool(self._tagged_params) and raw_cell.strip() == self._tagged_params

    def cell_finished(
        self, raw_cell: str, error: BaseException | None, execution_count: int | None = None
    ) -> None:
        """After a cell: log an injected cell's values; defer a tagged cell's defaults."""
        if self._injected_source is not None:
            injected, self._injected_source = self._injected_source, None
            self.settle(injected)
        if self._tagged_running and error is None:
            # as if it held %%track_params: its literals, settled after injection
            self.defer(self.literal_names(raw_cell, execution_count))
        self._tagged_running = False
