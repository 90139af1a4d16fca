"""``nbtrack diff``: the CLI door to the cell-aware notebook diff.

Parses arguments (splitting paths off at ``--`` like git), calls
``nbtrack.vcs.revisions.diff_arguments`` and hands the result to the chosen
renderer. No diff logic lives here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["diff"]

_PATHS_KEY = "nbtrack_diff_paths"


class _DiffCommand(click.Command):
    """Keeps what follows ``--`` apart: those are paths, the rest files or revisions.

    Unlike git, nbtrack's own options may also follow the paths
    (``nbtrack diff main HEAD -- train.ipynb --format html -o diff.html``): after
    ``--``, a word that is one of this command's options (with its value) is an
    option, anything else a path.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" in args:
            split = args.index("--")
            paths, options = self._split_paths(ctx, args[split + 1 :])
            ctx.meta[_PATHS_KEY] = paths
            args = args[:split] + options
        return super().parse_args(ctx, args)

    def _split_paths(self, ctx: click.Context, words: list[str]) -> tuple[list[str], list[str]]:
        takes_value: dict[str, bool] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in param.opts:
                    takes_value[name] = not param.is_flag
        paths: list[str] = []
        options: list[str] = []
        k = 0
        while k < len(words):
            word = words[k]
            name = word.split("=", 1)[0] if word.startswith("--") else word
            if not word.startswith("--") and takes_value.get(word[:2]) and len(word) > 2:
                options.append(word)  # -U5, -odiff.html: the value attached
            elif name in takes_value:
                options.append(word)
                if takes_value[name] and "=" not in word and k + 1 < len(words):
                    options.append(words[k + 1])
                    k += 1
            else:
                paths.append(word)
            k += 1
        return paths, options


@click.command(cls=_DiffCommand)
@click.argument("args", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["terminal", "markdown", "html", "json"]),
    default="terminal",
    show_default=True,
    help="terminal (colour on a tty), markdown (PR comment), html (side by side), json.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE instead of stdout.")  # fmt: skip
@click.option("--outputs", "show_outputs", is_flag=True,
              help="Show whole text-output diffs and execution counts.")  # fmt: skip
@click.option("--metadata", "show_metadata", is_flag=True,
              help="Show volatile metadata too (timings, collapsed, ...).")  # fmt: skip
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences (like git).")
@click.option("-U", "--unified", "context", type=click.IntRange(0, 1000), default=3,
              show_default=True, help="Lines of context around source changes.")  # fmt: skip
@click.option("--max-chars", type=click.IntRange(5_000, None), default=None,
              help="Markdown: cap the text at this many characters (default 60000).")  # fmt: skip
@click.option("--runs", "with_runs", is_flag=True,
              help="Add the runs recorded at both commits: for each changed notebook, "
              "param changes and metric deltas (needs two git revisions, e.g. "
              "origin/main...HEAD).")  # fmt: skip
@click.option("--runs-where", metavar="EXPR", default=None,
              help="With --runs: only runs matching EXPR, in the `nbtrack runs --where` "
              "language (e.g. \"tags.purpose = 'ci'\"); implies --runs.")  # fmt: skip
@click.option("--maximize", metavar="METRIC", multiple=True,
              help="With --runs: a higher METRIC is better (for names the "
              "direction rule does not know).")  # fmt: skip
@click.option("--minimize", metavar="METRIC", multiple=True,
              help="With --runs: a lower METRIC is better (for names the "
              "direction rule does not know).")  # fmt: skip
@click.pass_context
def diff(
    ctx: click.Context,
    args: tuple[str, ...],
    fmt: str,
    output: Path | None,
    show_outputs: bool,
    show_metadata: bool,
    exit_code: bool,
    context: int,
    max_chars: int | None,
    with_runs: bool,
    runs_where: str | None,
    maximize: tuple[str, ...],
    minimize: tuple[str, ...],
) -> None:
    """Cell-aware diff of notebooks: two files, or git revisions.

    \b
      nbtrack diff a.ipynb b.ipynb       two files
      nbtrack diff                       working tree vs HEAD, every changed notebook
      nbtrack diff main                  main vs the working tree
      nbtrack diff main HEAD             two revisions (also main..HEAD)
      nbtrack diff origin/main...HEAD    from the merge base, as a pull request shows it
      nbtrack diff main HEAD -- notebooks/train.ipynb --format html -o diff.html
      nbtrack diff origin/main...HEAD --runs --format markdown   the PR comment, with run deltas

    --runs adds, for each changed notebook, the newest finished run recorded at
    each side's exact commit (runs with uncommitted changes are skipped), and
    their param changes and metric deltas; a side without a run is named.

    Exits 0 whether or not notebooks differ, unless --exit-code is given.
    """
    from nbtrack.vcs.diffmodel import DiffOptions
    from nbtrack.vcs.revisions import diff_arguments

    if runs_where is not None or maximize or minimize:
        with_runs = True
    if with_runs and fmt == "html":
        from nbtrack.errors import UsageError

        raise UsageError(
            "--runs renders in the terminal, markdown and json formats, not html "
            "(nbtrack compare and nbtrack report draw runs as HTML)"
        )
    paths: list[str] = ctx.meta.get(_PATHS_KEY, [])
    options = DiffOptions(outputs=show_outputs, metadata=show_metadata, context=context)
    result = diff_arguments(args, paths, options=options)
    deltas = None
    if with_runs:
        from nbtrack.compare.pr import run_deltas
        from nbtrack.compare.reader import Reader

        with Reader.open() as reader:
            deltas = run_deltas(
                reader, result, where=runs_where, maximize=maximize, minimize=minimize
            )
    _emit(result, deltas, fmt, output, max_chars)
    if exit_code and result.has_changes:
        ctx.exit(1)


def _emit(result: Any, deltas: Any, fmt: str, output: Path | None, max_chars: int | None) -> None:
    if fmt == "markdown":
        from nbtrack.vcs.render_markdown import MARKDOWN_CAP, render_markdown

        cap = max_chars or MARKDOWN_CAP
        insert = ""
        if deltas is not None:
            from nbtrack.compare.render_pr import deltas_markdown

            insert = deltas_markdown(deltas, cap=cap // 3)
        text = render_markdown(result, cap=cap, insert=insert)
    elif fmt == "html":
        from nbtrack.vcs.render_html import render_html

        text = render_html(result)
    elif fmt == "json" and deltas is not None:
        from nbtrack.compare.render_pr import render_pr_json

        text = render_pr_json(result, deltas)
    elif fmt == "json":
        from nbtrack.vcs.render_json import render_json

        text = render_json(result)
    else:
        text = _terminal(result, deltas, output)
        if not text:
            return
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        from nbtrack.errors import UsageError

        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _terminal(result: Any, deltas: Any, output: Path | None) -> str:
    """Print to a terminal (and return ''), or return the plain text for *output*/a pipe."""
    from nbtrack.cli._output import is_tty
    from nbtrack.vcs.render_terminal import print_terminal, render_plain

    lines = []
    if deltas is not None:
        from nbtrack.compare.render_pr import deltas_lines, plain_text, print_lines

        lines = deltas_lines(deltas)
    if output is None:
        color = is_tty()
        print_terminal(result, color=color)
        if lines:
            print_lines(lines, color=color)
        return ""
    return render_plain(result) + (plain_text(lines) if lines else "")
