"""``nbtrack run NOTEBOOK -p k=v -f params.yaml``: execute a notebook as a tracked run.

A door: options are parsed here and handed to
:func:`nbtrack.execute.runner.run_notebook`, whose result is rendered. The run
id goes to stdout (so ``RUN=$(nbtrack run ...)`` works); the one-line summary
to stderr. Exit codes: 0 the notebook ran, 1 a cell failed (named), 2 bad
input (missing or malformed notebook, unknown ``-p`` name, bad file) or an
``-o`` file that cannot be written, 128 + the signal when Ctrl-C or SIGTERM
stopped it (the run is KILLED).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nbtrack.cli._output import echo_err

__all__ = ["run"]


def _skip_iri_checker() -> None:
    """Keep jsonschema from building its optional IRI checker in this process.

    nbformat (which reads the notebook to run) imports jsonschema, which imports
    ``rfc3987_syntax`` when it is installed to check the ``iri`` string
    format, compiling some forty grammars: about a second of every
    ``nbtrack run`` on a 2-core machine. Nothing here validates IRIs
    (nbformat's schemas use no formats), so this process goes without it; the
    kernel, the user's code, is untouched.
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        # None in sys.modules: `import rfc3987_syntax` raises ImportError, which
        # jsonschema expects of an optional checker
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]


def _pairs(option: str, items: tuple[str, ...]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} must look like KEY=VALUE.", param_hint=option)
        pairs[key.strip()] = value
    return pairs


@click.command("run")
@click.argument("notebook", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a parameter (repeatable); VALUE is read as a Python literal when it is one."
    " NAME must be defined in the parameters cell.",
)
@click.option(
    "-f",
    "--param-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML, TOML or JSON file of parameters (-p wins over it); its hash is recorded.",
)
@click.option("--name", help="Name of the run.")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag the run (repeatable).")
@click.option(
    "--experiment",
    metavar="NAME",
    help="The experiment the run belongs to (default: [tool.nbtrack] experiment,"
    " NBTRACK_EXPERIMENT, else the project's name).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the executed notebook here (it is always stored with the run).",
)
@click.option(
    "--cwd",
    type=click.Path(path_type=Path, file_okay=False),
    help="Working directory of the kernel (default: the notebook's directory).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds any one cell may run, more than 0 (default: no limit).",
)
def run(
    notebook: Path,
    params: tuple[str, ...],
    param_file: Path | None,
    name: str | None,
    tags: tuple[str, ...],
    output: Path | None,
    cwd: Path | None,
    timeout: float | None,
    experiment: str | None,
) -> None:
    """Execute NOTEBOOK in a fresh kernel, with parameters, as one tracked run.

    Values given with -p/-f are injected after the notebook's parameters cell
    (tagged `parameters`, or the cell holding %%track_params), as papermill
    does, and logged with their source. The run is recorded even when the
    notebook never calls nbtrack: params, git, environment, a snapshot of the
    notebook, and the executed notebook as an artifact.

    \b
      nbtrack run notebooks/train.ipynb -p lr=0.05 -p epochs=3 --name sweep-1
    """
    from nbtrack.execute.runner import run_notebook
    from nbtrack.notebook.params import parse_param_assignments

    values = parse_param_assignments(params)
    _skip_iri_checker()
    result = run_notebook(
        notebook,
        params=values,
        param_file=param_file,
        name=name,
        tags=_pairs("--tag", tags),
        output=output,
        cwd=cwd,
        timeout=timeout,
        warn=lambda text: echo_err(f"nbtrack: warning: {text}"),
        experiment=experiment,
    )
    click.echo(result.run_id)
    if result.signal is not None:
        import signal

        name = signal.Signals(result.signal).name
        echo_err(f"nbtrack: {notebook} was stopped by {name}; run {result.run_id[:8]} is KILLED.")
        raise SystemExit(128 + result.signal)
    run_label = f"run {result.run_id[:8]} is {result.status.value}"
    if result.failure is not None:
        echo_err(f"Error: {notebook} failed: {result.failure.describe().rstrip('.')}; {run_label}.")
        raise SystemExit(1)
    if result.error is not None:
        echo_err(f"Error: {notebook} did not finish: {result.error}; {run_label}.")
        raise SystemExit(1)
    if result.output_error is not None:
        echo_err(
            f"Error: {result.output_error}; run {result.run_id[:8]} is {result.status.value}"
            " and keeps the executed notebook as an artifact."
        )
        raise SystemExit(2)
    kept = f", executed notebook in {result.output}" if result.output else ""
    if result.early_exit is not None:
        echo_err(f"nbtrack: warning: {notebook}: {result.early_exit.describe()}.")
    echo_err(
        f"nbtrack: run {result.run_id[:8]} {result.status.value} in {result.seconds:.1f} s"
        f" ({notebook}{kept})."
    )
