"""IPython magics: ``%load_ext nbtrack`` and the ``%track_*`` family.

A door, not a room: each magic parses its line with ``@magic_arguments`` (so
``%track_params?`` shows real help), looks variables up in the user
namespace, and hands plain values to the kernel's
:class:`~nbtrack.tracking.session.NotebookSession`, which owns the
run. A user's mistake becomes a ``UsageError`` (:func:`usage_error`) with
one sentence, shown under the cell and not recorded on the run; a
store that cannot be reached prints a warning and the data stays buffered.
Nothing here kills or wedges the kernel.

Loading the extension must stay cheap (no store, SQLAlchemy, nbformat or
jupytext import): the session module is imported on the first tracking call.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, cast

from IPython.core import magic_arguments as _margs
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from nbtrack.config import NOTEBOOK_ENV, RUN_ID_FILE_ENV, mask_url
from nbtrack.errors import NbtrackError, StoreError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    from nbtrack.tracking.session import NotebookSession, SessionStatus

__all__ = [
    "TrackMagics",
    "forget_shell",
    "is_magic_usage_error",
    "load_ipython_extension",
    "render_status",
    "session_of",
    "unload_ipython_extension",
    "usage_error",
]

_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


#: set on the UsageErrors the %track_* magics raise (IPython shows a UsageError as
#: one line only when its type is exactly UsageError, so no subclass)
_OWN = "nbtrack_magic"


def usage_error(message: str) -> UsageError:
    """A ``UsageError`` for a mistake in calling a ``%track_*`` magic.

    IPython shows it under the cell as one line. The cell hooks do not record
    it on the run as a ``cell_error`` (see :func:`is_magic_usage_error`): the
    experiment did not fail, only the call to nbtrack did, and nothing was logged.
    """
    error = UsageError(message)
    setattr(error, _OWN, True)
    return error


def is_magic_usage_error(error: BaseException | None) -> bool:
    """True for an error :func:`usage_error` made."""
    return bool(getattr(error, _OWN, False))


# IPython's magic_arguments module is untyped; typed views of its three helpers
_new_magic_arguments: Callable[[], Any] = _margs.magic_arguments
_new_argument: Callable[..., Any] = _margs.argument
_parse_argstring: Callable[[Any, str], Any] = _margs.parse_argstring


def magic_arguments() -> _Decorator:
    return cast(_Decorator, _new_magic_arguments())


def argument(*args: Any, **kwargs: Any) -> _Decorator:
    return cast(_Decorator, _new_argument(*args, **kwargs))


def parse_argstring(magic: Callable[..., Any], line: str) -> Any:
    """The parsed line; a bad option is a :func:`usage_error` with argparse's words."""
    try:
        return _parse_argstring(magic, line)
    except UsageError as exc:
        raise usage_error(str(exc)) from None


def load_ipython_extension(ip: InteractiveShell) -> None:
    """``%load_ext nbtrack``: register the tracking magics (and their cell hooks)."""
    ip.register_magics(TrackMagics)


def unload_ipython_extension(ip: InteractiveShell) -> None:
    """``%unload_ext nbtrack``: stop listening to cell events (the run stays open)."""
    forget_shell(ip)


@contextmanager
def _door() -> Iterator[None]:
    """nbtrack errors as IPython's way of saying them.

    Store trouble is a warning (the tracker keeps the data and retries); every
    other ``NbtrackError`` is the user's to fix, so a ``UsageError`` sentence.
    """
    try:
        yield
    except StoreError as exc:
        from nbtrack.tracking.api import get_tracker

        if get_tracker().run is None:  # the run could not even start
            outcome = "Nothing from this cell was recorded; run it again once the store works."
        else:
            outcome = "What was logged is kept in memory and retried."
        print(f"nbtrack warning: {exc} {outcome}", file=sys.stderr)
    except NbtrackError as exc:
        raise usage_error(str(exc)) from None


def _unquote(text: str) -> str:
    """IPython's argument splitter keeps quotes: ``--name "wider net"`` -> ``wider net``."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def _number(name: str, value: object) -> float:
    """A metric value as float; a ``UsageError`` naming *name* otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        item = getattr(value, "item", None)  # numpy 0-d arrays, torch scalars
        if callable(item) and getattr(value, "shape", None) in ((), (1,), [1]):
            value = item()
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise usage_error(f"metric {name!r} is {shown} ({type(value).__name__}), not a number.")
    return float(value)


class _ShellState:
    """The cell hooks and the tracking session of one shell.

    Kept per shell, not per ``TrackMagics``, so loading the extension twice
    (``nbtrack run`` loads it at kernel start, the notebook loads it again)
    never registers the hooks twice or splits the session.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.session: NotebookSession | None = None
        self.cell_started_at: float | None = None
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        if os.environ.get(RUN_ID_FILE_ENV):
            # ``nbtrack run`` loads this at kernel start: start the run now, so its
            # cost is not charged to the first cell's --timeout
            try:
                self.get_session().ensure_run()
            except Exception as exc:  # retried at the first cell
                print(f"nbtrack warning: {exc}", file=sys.stderr)

    def disconnect(self) -> None:
        for event, hook in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            with suppress(ValueError):
                self.shell.events.unregister(event, hook)

    def get_session(self) -> NotebookSession:
        if self.session is None:
            from nbtrack.tracking.session import NotebookSession

            self.session = NotebookSession(self.shell.user_ns, last_cell_at=self.cell_started_at)
        return self.session

    def pre_run_cell(self, info: ExecutionInfo) -> None:
        self.cell_started_at = time.time()
        if self.session is None and not os.environ.get(RUN_ID_FILE_ENV):
            return  # nothing tracked yet: this is all the hook costs
        try:
            self.get_session().cell_started(info.raw_cell or "")
        except Exception as exc:  # a hook must never break the user's cell
            print(f"nbtrack warning: {exc}", file=sys.stderr)

    def post_run_cell(self, result: ExecutionResult) -> None:
        if self.session is None:
            return
        info = result.info
        error = result.error_in_exec
        if is_magic_usage_error(error):
            error = None  # a mistyped %track_* call is not the experiment failing
        try:
            self.session.cell_finished(
                error=error,
                execution_count=result.execution_count,
                cell_id=getattr(info, "cell_id", None) if info is not None else None,
                raw_cell=(info.raw_cell or "") if info is not None else "",
            )
        except Exception as exc:
            print(f"nbtrack warning: {exc}", file=sys.stderr)


_STATES: weakref.WeakKeyDictionary[InteractiveShell, _ShellState] = weakref.WeakKeyDictionary()


def _state(shell: InteractiveShell) -> _ShellState:
    state = _STATES.get(shell)
    if state is None:
        state = _STATES[shell] = _ShellState(shell)
    return state


def session_of(shell: InteractiveShell) -> NotebookSession | None:
    """The tracking session of *shell*, if a tracking call has made one."""
    state = _STATES.get(shell)
    return state.session if state is not None else None


def forget_shell(shell: InteractiveShell) -> None:
    """Unregister the cell hooks of *shell* and drop its session (the run stays open)."""
    state = _STATES.pop(shell, None)
    if state is not None:
        state.disconnect()


@magics_class
class TrackMagics(Magics):
    """The ``%track_*`` magics; the hooks and session live in the shell's state."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self._shell: InteractiveShell = shell
        self._state = _state(shell)

    @property
    def session(self) -> NotebookSession:
        """The kernel's tracking session, created on first use."""
        return self._state.get_session()

    def _lookup(self, name: str) -> Any:
        """The value of a variable (or expression) in the user namespace."""
        ns = self._shell.user_ns
        if name in ns:
            return ns[name]
        if name.isidentifier():
            raise usage_error(f"variable {name!r} is not defined in this notebook.")
        try:
            return eval(name, self._shell.user_global_ns, ns)  # the user's own expression
        except NameError as exc:
            raise usage_error(f"{exc} (in {name!r}).") from None
        except Exception as exc:
            raise usage_error(
                f"{name!r} cannot be evaluated: {type(exc).__name__}: {exc}."
            ) from None

    def _step(self, text: str | None) -> int | None:
        """``--step`` as an int: a number, a variable, ``{expr}`` or an expression."""
        if text is None:
            return None
        text = _unquote(text)
        if text.startswith("{") and text.endswith("}"):
            # IPython expands {expr} before we see it; still braced means it failed
            text = text[1:-1].strip()
        try:
            return int(text)
        except ValueError:
            pass
        value = self._lookup(text)
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        raise usage_error(f"--step {text} is {value!r}, not a whole number.")

    # -- magics -------------------------------------------------------------------
    @magic_arguments()
    @argument("names", nargs="*", help="variables whose current values are logged as params")
    @argument(
        "-f",
        "--file",
        metavar="FILE",
        help="YAML, TOML or JSON file: its top-level keys become variables, its (nested)"
        " keys are logged as params (optimizer.lr) and its content hash as a data ref",
    )
    @line_cell_magic
    def track_params(self, line: str, cell: str | None = None) -> None:
        """Log parameters of the current run.

        As a cell magic (``%%track_params`` first in the cell) the cell is the
        notebook's parameters cell: it runs as usual, then every top-level
        assignment of a literal (numbers, strings, bools, None, lists, dicts,
        tuples) is logged with source "notebook". Values injected after it by
        ``nbtrack run -p`` or papermill are logged instead, with source "cli".

        As a line magic it logs the named variables' current values, and/or
        loads a config file (``-f params.yaml``) into the namespace.

        Examples::

            %%track_params
            lr = 0.01
            epochs = 20

            %track_params batch_size seed
            %track_params -f params.yaml
        """
        __tracebackhide__ = True
        args = parse_argstring(self.track_params, line)
        if cell is not None:
            if args.names or args.file:
                raise usage_error(
                    "%%track_params takes no arguments; use the line magic"
                    " (%track_params NAMES or %track_params -f FILE) in another cell."
                )
            self._run_parameters_cell(cell)
            return
        if not args.names and not args.file:
            raise usage_error("%track_params needs variable names or -f FILE (see %track_params?).")
        with _door():
            if args.file:
                loaded = self.session.log_param_file(_unquote(args.file))
                self._shell.user_ns.update(loaded)
            if args.names:
                values = {name: self._lookup(name) for name in args.names}
                self.session.log_notebook_params(values)

    def _run_parameters_cell(self, cell: str) -> None:
        # IPython leaves frames that set this out of a traceback: an error in the
        # cell shows the user's line, as in a plain cell, not nbtrack's insides
        __tracebackhide__ = True
        from nbtrack.notebook.source import literal_assignments

        shell = self._shell
        transform: Callable[[str], str] = shell.transform_cell
        code = transform(cell)
        filename = shell.compile.cache(code, shell.execution_count, raw_code=cell)
        compiled = shell.compile(code, filename, "exec")
        # errors propagate: the cell fails the way a plain cell would
        exec(compiled, shell.user_global_ns, shell.user_ns)
        names = [name for name in literal_assignments(cell) if name in shell.user_ns]
        with _door():
            self.session.defer_params(names)

    @magic_arguments()
    @argument("names", nargs="+", help="variables to log (NAME, or KEY=EXPRESSION to rename)")
    @argument(
        "--step",
        metavar="STEP",
        help="step of these points: a number, a variable, or {expression}",
    )
    @line_magic
    def track_metrics(self, line: str) -> None:
        """Log variables of the notebook as metrics of the current run.

        ``%track_metrics val_acc val_loss --step {epoch}`` logs both variables'
        current values at the step ``epoch`` holds. Values must be real numbers
        (numpy scalars are fine); NaN and infinities are kept as such.
        """
        args = parse_argstring(self.track_metrics, line)
        values: dict[str, float] = {}
        for item in args.names:
            key, sep, expr = item.partition("=")
            key = key.strip()
            values[key] = _number(key, self._lookup(expr.strip() if sep else key))
        step = self._step(args.step)
        with _door():
            self.session.log_metrics(values, step)

    @magic_arguments()
    @argument("key", help="metric name")
    @argument("value", help="a number, or a variable holding one")
    @argument("--step", metavar="STEP", help="step of this point: a number or a variable")
    @line_magic
    def track_metric(self, line: str) -> None:
        """Log one metric point: ``%track_metric loss 0.31 --step 7``."""
        args = parse_argstring(self.track_metric, line)
        text = _unquote(args.value)
        try:
            value: object = float(text)
        except ValueError:
            if text.isidentifier() and text not in self._shell.user_ns:
                raise usage_error(
                    f"metric {args.key!r}: {text!r} is neither a number nor a variable."
                ) from None
            value = self._lookup(text)
        number = _number(args.key, value)
        step = self._step(args.step)
        with _door():
            self.session.log_metrics({args.key: number}, step)

    @magic_arguments()
    @argument("paths", nargs="+", help="data files or directories the run uses")
    @line_magic
    def track_data(self, line: str) -> None:
        """Record the version (size and sha256, or the Git LFS / DVC version) of data.

        ``%track_data data/train.csv data/labels/`` records one data ref per
        path; a directory's hash is stable over file order.
        """
        args = parse_argstring(self.track_data, line)
        with _door():
            for path in args.paths:
                self.session.track_data(_unquote(path))

    @magic_arguments()
    @argument("paths", nargs="+", help="files to store with the run")
    @line_magic
    def track_artifact(self, line: str) -> None:
        """Store files with the current run (content-addressed under the store)."""
        args = parse_argstring(self.track_artifact, line)
        with _door():
            for path in args.paths:
                self.session.log_artifact(_unquote(path))

    @magic_arguments()
    @argument("--name", help="name of the run")
    @argument(
        "--tag",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="tag the run (repeatable)",
    )
    @argument("--new", action="store_true", help="end the current run and start another")
    @argument("--end", action="store_true", help="end the current run (FINISHED)")
    @argument("--notebook", metavar="PATH", help="this notebook's path, when nbtrack cannot tell")
    @line_magic
    def track_run(self, line: str) -> None:
        """Start, name, tag or end this notebook's run.

        Without options it starts the run (if none is active) and prints its
        id. ``--new`` ends the current run and starts another; ``--end`` ends
        it; ``--name``/``--tag`` label the current (or new) run.
        """
        args = parse_argstring(self.track_run, line)
        if args.end and (args.new or args.name or args.tag):
            raise usage_error("%track_run --end cannot be combined with --new, --name or --tag.")
        name = None if args.name is None else _unquote(args.name)
        tags: dict[str, str] = {}
        for item in map(_unquote, args.tag):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise usage_error(f"--tag {item!r} must look like KEY=VALUE.")
            tags[key.strip()] = _unquote(value)
        with _door():
            session = self.session
            if args.notebook:
                session.set_notebook(_unquote(args.notebook))
            if args.end:
                session.end_run()
                return
            if args.new:
                session.new_run(name=name, tags=tags)
                return
            session.annotate(name=name, tags=tags)

    @line_magic
    def track_status(self, line: str) -> None:
        """Show the current run: id, store, notebook, and what has been logged so far."""
        if line.strip():
            raise usage_error("%track_status takes no arguments.")
        with _door():
            print(render_status(self.session.status()))


def _short(value: object, limit: int = 30) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


#: how %track_status names the clue that found the notebook (NotebookLocation.how)
_CLUES = {
    "override": "%track_run --notebook",
    "env": NOTEBOOK_ENV,
    "papermill": "PAPERMILL_INPUT_PATH",
    "vscode": "VS Code",
    "jupyter-server": "the Jupyter server's session",
    "script": "the script being run",
}


def render_status(status: SessionStatus) -> str:
    """``%track_status``: the run, the store (password masked), what was logged."""
    run, location = status.run, status.location
    if run is None:
        return "nbtrack: no active run; the next %track_* magic or nbtrack.log_* call starts one."
    name = f"  {run.name!r}" if run.name else ""
    lines = [f"run       {run.id}{name}  RUNNING", f"store     {mask_url(run.store.url)}"]
    if location.path is not None:
        from nbtrack.tracking.locate import recorded_path

        # as the run records it: relative to the project root when inside it
        recorded = recorded_path(location.path, run.settings.root)
        clue = _CLUES.get(location.how, location.how)
        lines.append(f"notebook  {recorded} (found via {clue})")
    else:
        lines.append(f"notebook  unknown (set {NOTEBOOK_ENV} or %track_run --notebook PATH)")
    if run.params:
        shown = (f"{k}={_short(p.value)} ({p.source.value})" for k, p in run.params.items())
        lines.append(f"params    {', '.join(shown)}")
    stored = status.stored
    if stored is None:
        lines.append(f"(the store cannot be read right now: {status.read_error})")
        return "\n".join(lines)
    for metric in stored.metrics:
        step = "" if metric.last_step is None else f" at step {metric.last_step}"
        points = "1 point" if metric.count == 1 else f"{metric.count} points"
        lines.append(
            f"metric    {metric.key}: last {metric.last:.6g}{step}"
            f" (min {metric.min:.6g}, max {metric.max:.6g}, {points})"
        )
    lines += [f"data      {r.path} [{r.kind}] {r.digest[:19]}" for r in stored.data]
    lines += [f"artifact  {a.name} ({a.size} bytes)" for a in stored.artifacts]
    lines += [
        f"error     In [{e.detail.get('execution_count')}] {e.detail.get('exception')}"
        for e in stored.events
        if e.kind == "cell_error"
    ]
    return "\n".join(lines)
