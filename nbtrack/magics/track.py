"""The ``%track_*`` magics: parse the line, look names up, hand values to the session."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from nbtrack.magics.door import (
    argument,
    as_number,
    door,
    magic_arguments,
    parse_argstring,
    strip_comment,
    unquote,
    usage_error,
)
from nbtrack.magics.shell import state_of
from nbtrack.magics.status import render_status

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from nbtrack.tracking.session import NotebookSession

__all__ = ["TrackMagics"]


@magics_class
class TrackMagics(Magics):
    """The ``%track_*`` magics; the hooks and session live in the shell's state."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self._shell: InteractiveShell = shell
        self._state = state_of(shell)

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
        text = unquote(text)
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
        with door():
            if args.file:
                loaded = self.session.log_param_file(unquote(args.file))
                self._shell.user_ns.update(loaded)
            if args.names:
                values = {name: self._lookup(name) for name in args.names}
                self.session.log_notebook_params(values)

    def _run_parameters_cell(self, cell: str) -> None:
        # IPython leaves frames that set this out of a traceback: an error in the
        # cell shows the user's line, as in a plain cell, not nbtrack's insides
        __tracebackhide__ = True
        shell = self._shell
        transform: Callable[[str], str] = shell.transform_cell
        code = transform(cell)
        filename = shell.compile.cache(code, shell.execution_count, raw_code=cell)
        compiled = shell.compile(code, filename, "exec")
        # errors propagate: the cell fails the way a plain cell would
        exec(compiled, shell.user_global_ns, shell.user_ns)
        with door():
            # its note prints under this cell, which it names
            self.session.defer_params_cell(cell)

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
            values[key] = as_number(key, self._lookup(expr.strip() if sep else key))
        step = self._step(args.step)
        with door():
            self.session.log_metrics(values, step)

    @magic_arguments()
    @argument("key", help="metric name")
    @argument("value", help="a number, or a variable holding one")
    @argument("--step", metavar="STEP", help="step of this point: a number or a variable")
    @line_magic
    def track_metric(self, line: str) -> None:
        """Log one metric point: ``%track_metric loss 0.31 --step 7``."""
        args = parse_argstring(self.track_metric, line)
        text = unquote(args.value)
        try:
            value: object = float(text)
        except ValueError:
            if text.isidentifier() and text not in self._shell.user_ns:
                raise usage_error(
                    f"metric {args.key!r}: {text!r} is neither a number nor a variable."
                ) from None
            value = self._lookup(text)
        number = as_number(args.key, value)
        step = self._step(args.step)
        with door():
            self.session.log_metrics({args.key: number}, step)

    @magic_arguments()
    @argument(
        "--version",
        help="pin this version (a Delta Lake table version, an S3 version id), not the latest",
    )
    @argument(
        "targets",
        nargs="+",
        help="data files, directories, Delta tables or s3://, lakefs://, dolt://, pfs:// URIs",
    )
    @line_magic
    def track_data(self, line: str) -> None:
        """Record the version of data the run reads: a content hash, or its system's version.

        ``%track_data data/train.csv data/labels/`` records one data ref per
        target; a directory's hash is stable over file order; a Delta Lake
        table records its version, a URI the commit or version id it resolves
        to now (unresolved, with one warning, if its system cannot answer).
        """
        args = parse_argstring(self.track_data, line)
        with door():
            for target in args.targets:
                self.session.track_data(unquote(target), version=args.version)

    @magic_arguments()
    @argument("paths", nargs="+", help="files to store with the run")
    @line_magic
    def track_artifact(self, line: str) -> None:
        """Store files with the current run (content-addressed under the store)."""
        args = parse_argstring(self.track_artifact, line)
        with door():
            for path in args.paths:
                self.session.log_artifact(unquote(path))

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
        name = None if args.name is None else unquote(args.name)
        tags: dict[str, str] = {}
        for item in map(unquote, args.tag):
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise usage_error(f"--tag {item!r} must look like KEY=VALUE.")
            tags[key.strip()] = unquote(value)
        with door():
            session = self.session
            if args.notebook:
                session.set_notebook(unquote(args.notebook))
            if args.end:
                session.end_run()
                return
            if args.new:
                session.new_run(name=name, tags=tags)
                return
            session.annotate(name=name, tags=tags)

    @magic_arguments()
    @argument("--disable", action="store_true", help="stop recording fits (the wrappers come off)")
    @argument(
        "--log-models",
        action="store_true",
        help="also store each fitted estimator with the run, pickled, as <class>.pkl",
    )
    @line_magic
    def track_autolog(self, line: str) -> None:
        """Record scikit-learn fits in this notebook's run (``nbtrack.autolog()``).

        Each fit logs the estimator's params (nested ones with dotted names,
        ``clf.C``), ``training_score`` and ``fit_seconds``; ``partial_fit``
        calls log at steps 0, 1, 2, ...; a Pipeline or a GridSearchCV is
        recorded once. ``--log-models`` stores the fitted estimator too;
        ``--disable`` turns it off. Running it again changes the options.
        """
        args = parse_argstring(self.track_autolog, line)
        if args.disable and args.log_models:
            raise usage_error("%track_autolog --disable cannot be combined with --log-models.")
        from nbtrack.integrations.sklearn import configure
        from nbtrack.integrations.sklearn.recorder import SessionRuns

        with door():
            state = configure(
                disable=args.disable, log_models=args.log_models, runs=SessionRuns(self.session)
            )
            if not state.enabled:
                print("nbtrack: autolog is off; scikit-learn fits are no longer recorded.")
                return
            models = " and the fitted models" if state.log_models else ""
            print(
                f"nbtrack: autolog is on; scikit-learn fits record their params, scores{models}"
                " in this notebook's run."
            )

    @line_magic
    def track_status(self, line: str) -> None:
        """Show the current run: id, store, notebook, and what has been logged so far."""
        if strip_comment(line).strip():
            raise usage_error("%track_status takes no arguments.")
        with door():
            print(render_status(self.session.status()))
