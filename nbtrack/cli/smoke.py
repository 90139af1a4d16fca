"""``nbtrack smoke`` and ``nbtrack lint``: thin doors into :mod:`nbtrack.smoke`.

They parse options, plan every notebook first (so bad input is exit code 2
before anything runs), run, and hand the results to the renderers. Exit
codes: 0 all passed (skipped counts as passed), 1 a notebook failed or timed
out (or, for lint and ``--strict``, a hidden-state warning), 2 usage error or
an unreadable notebook.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nbtrack.smoke.options import Engine, SmokeConfig, SmokeOptions
    from nbtrack.smoke.plan import Plan
    from nbtrack.smoke.process import Child
    from nbtrack.smoke.report import ConsoleReporter
    from nbtrack.smoke.result import SmokeResult

__all__ = ["lint", "smoke"]

_POSITIVE = click.FloatRange(min=0, min_open=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Inject a parameter (value read as a Python literal, else a string).",
)
@click.option(
    "-f",
    "--param-file",
    "param_files",
    multiple=True,
    metavar="FILE",
    type=click.Path(path_type=Path),
    help="Inject parameters from YAML/TOML/JSON.",
)
@click.option(
    "--timeout",
    type=_POSITIVE,
    metavar="SECONDS",
    help="Kill a notebook that runs longer than this.",
)
@click.option(
    "--cell-timeout",
    type=_POSITIVE,
    metavar="SECONDS",
    help="Kill a notebook when one cell runs longer than this.",
)
@click.option("--strict", is_flag=True, help="Static hidden-state warnings fail the notebook.")
@click.option(
    "--isolate", is_flag=True, help="Run in a temporary copy of the repository's git-tracked files."
)
@click.option(
    "--keep-script",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Write each converted script (with cell markers) below DIR.",
)
@click.option(
    "--track", is_flag=True, help="Record tracked runs in the real store, not a throwaway one."
)
@click.option(
    "--engine",
    type=click.Choice(["script", "kernel"]),
    default="script",
    show_default=True,
    help="script: fresh IPython process; kernel: nbclient + kernelspec.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="With --engine kernel: write executed notebooks below DIR.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run this many notebooks in parallel.",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Run the notebooks on the Dask cluster at ADDRESS (tcp://host:8786); -j caps them.",
)
@click.option(
    "--junit-xml",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Write a JUnit XML report.",
)
@click.option(
    "--json", "json_out", metavar="FILE", help="Write results as JSON to FILE ('-' for stdout)."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only failures, warnings and the summary.")
@click.pass_context
def smoke(
    ctx: click.Context,
    paths: tuple[Path, ...],
    params: tuple[str, ...],
    param_files: tuple[Path, ...],
    timeout: float | None,
    cell_timeout: float | None,
    strict: bool,
    isolate: bool,
    keep_script: Path | None,
    track: bool,
    engine: str,
    output_dir: Path | None,
    jobs: int,
    dask: str | None,
    junit_xml: Path | None,
    json_out: str | None,
    quiet: bool,
) -> None:
    """Run notebooks as clean scripts in fresh processes and explain failures.

    PATHS are notebooks or folders (searched for *.ipynb, checkpoints
    skipped). Each runs with its folder as working directory, MPLBACKEND=Agg
    and a throwaway run store. With --dask, on the workers of a Dask cluster
    (they need nbtrack and the project's files at the same paths).
    """
    from nbtrack.errors import UsageError

    if output_dir is not None and engine != "kernel":
        raise UsageError("--output-dir writes executed notebooks, so it needs --engine kernel.")
    if not paths:
        raise UsageError("Give at least one notebook or folder of notebooks.")
    kind: Engine = "kernel" if engine == "kernel" else "script"
    with _warming(kind, paths, jobs, dask) as warm:
        from nbtrack.notebook import parse_param_assignments
        from nbtrack.smoke.options import SmokeOptions, project_smoke_config
        from nbtrack.smoke.plan import plan_paths
        from nbtrack.smoke.report import ConsoleReporter
        from nbtrack.smoke.runner import run_notebooks

        config = project_smoke_config()
        options = SmokeOptions(
            params=parse_param_assignments(params),
            param_files=param_files,
            timeout=timeout,
            cell_timeout=cell_timeout,
            strict=strict or config.strict,
            isolate=isolate,
            keep_script=keep_script,
            track=track,
            engine=kind,
            output_dir=output_dir,
        )
        plans = plan_paths(paths, options, config)
        stream = sys.stderr if json_out == "-" else sys.stdout
        from nbtrack.cli._output import is_tty

        reporter = ConsoleReporter(len(plans), stream=stream, quiet=quiet, rich=is_tty())
        started = time.monotonic()
        try:
            if dask is not None:
                results = _on_cluster(ctx, dask, jobs, plans, options, config, reporter)
            else:
                results = run_notebooks(
                    plans,
                    options,
                    config,
                    jobs=jobs,
                    on_start=lambda plan: reporter.started(plan.path),
                    on_result=reporter.result,
                    warm=warm,
                )
        except BaseException:
            reporter.stop()  # Ctrl-C: leave the terminal as it was
            raise
    seconds = time.monotonic() - started
    reporter.close(results, seconds)
    _write_reports(results, seconds, junit_xml, json_out)
    ctx.exit(0 if all(r.ok for r in results) else 1)


def _warming(
    kind: Engine, paths: tuple[Path, ...], jobs: int, dask: str | None
) -> contextlib.AbstractContextManager[list[Child]]:
    """Local children start first: they import IPython while the notebooks are planned.

    With ``--dask`` nothing runs here, so none are started.
    """
    from nbtrack.smoke.process import started_children

    if dask is not None:
        return contextlib.nullcontext([])
    return started_children(kind, paths, jobs)


def _on_cluster(
    ctx: click.Context,
    address: str,
    jobs: int,
    plans: list[Plan],
    options: SmokeOptions,
    config: SmokeConfig,
    reporter: ConsoleReporter,
) -> list[SmokeResult]:
    """``--dask``: the plans run on the cluster; ``-j``, when given, caps the tasks in flight."""
    from nbtrack.smoke.distributed import run_on_cluster

    explicit = ctx.get_parameter_source("jobs") != click.core.ParameterSource.DEFAULT
    limit = jobs if explicit else None
    return run_on_cluster(plans, options, config, address, limit=limit, on_result=reporter.result)


def _write_reports(
    results: list[SmokeResult], seconds: float, junit_xml: Path | None, json_out: str | None
) -> None:
    """The JUnit and JSON files, and GitHub annotations when in GitHub Actions."""
    from nbtrack.smoke import report

    if junit_xml is not None:
        with _report_file("--junit-xml", junit_xml):
            report.write_junit(results, junit_xml, seconds)
    if json_out == "-":
        click.echo(report.to_json(results, seconds))
    elif json_out:
        with _report_file("--json", Path(json_out)) as target:
            target.write_text(report.to_json(results, seconds) + "\n", encoding="utf-8")
    if report.in_github_actions():
        # the runner reads workflow commands from stderr too; stdout may be the JSON
        for line in report.github_annotations(results):
            click.echo(line, err=json_out == "-")


@contextlib.contextmanager
def _report_file(option: str, path: Path) -> Iterator[Path]:
    """Write a report to *path* (its folder made first); an OSError is one sentence."""
    from nbtrack.errors import UsageError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
    except FileExistsError:
        raise UsageError(f"{option} {path} cannot be written: {path.parent} is a file.") from None
    except OSError as exc:
        raise UsageError(f"{option} {path} cannot be written: {exc.strerror}.") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--notes/--no-notes",
    default=True,
    show_default=True,
    help="Also print notes (e.g. stripped execution counts); they never fail.",
)
@click.pass_context
def lint(ctx: click.Context, paths: tuple[Path, ...], notes: bool) -> None:
    """Static hidden-state checks on saved notebooks; nothing is executed.

    Finds execution counts out of order, cells never run, names used before
    (or without) a defining cell, and absolute paths into a home folder.
    Exit code 1 when a warning is found, so it works as a pre-commit hook.
    """
    from nbtrack.notebook import read_notebook
    from nbtrack.printable import printable
    from nbtrack.smoke import report
    from nbtrack.smoke.lint import lint_notebook, lint_summary
    from nbtrack.smoke.options import project_smoke_config
    from nbtrack.smoke.plan import collect_notebooks
    from nbtrack.smoke.result import SmokeResult

    config = project_smoke_config()
    notebooks = collect_notebooks(paths, config)
    found = [(path, lint_notebook(read_notebook(path))) for path in notebooks]
    warned = 0
    for path, warnings in found:
        shown = report.display_path(path)
        serious = [w for w in warnings if w.severity == "warning"]
        warned += bool(serious)
        for warning in warnings:
            if warning.severity == "note" and not notes:
                continue
            click.echo(f"{printable(shown)}: {report.render_warning(warning)}")
    total = sum(len([w for w in ws if w.severity == "warning"]) for _, ws in found)
    click.echo(lint_summary(total, warned, len(found)), err=True)
    if report.in_github_actions():
        results = [SmokeResult(path, "passed", warnings=ws) for path, ws in found]
        for line in report.github_annotations(results):
            click.echo(line)
    ctx.exit(1 if total else 0)
