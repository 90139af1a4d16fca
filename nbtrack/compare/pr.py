"""Run deltas for a pull request: the runs recorded at a diff's two commits, compared.

For: ``nbtrack diff A...B --runs``. Given the :class:`~nbtrack.vcs.diffmodel.DiffResult`
of two git revisions, find for each changed notebook the run that stands for
it on each side, and compare the two (param changes, metric deltas, better or
worse by the metric's direction) through :func:`~nbtrack.compare.comparison.compare_runs`.
Not for: rendering (``render_pr``) or the code diff (``nbtrack.vcs``).

The rules, each chosen so that a reviewer can trust the table:

* **Exact commit.** A side's run is one whose recorded ``git_commit`` is the
  side's commit (for ``A...B`` the old side is the merge base). A run at a
  descendant or an ancestor ran other code; no rule tells when that code
  does not matter (a notebook imports modules), so none is guessed.
* **Finished, newest first.** The newest FINISHED run of the notebook at that
  commit; ``--runs-where EXPR`` narrows the candidates further with the
  ``--where`` language (``tags.purpose = 'ci'``); an expression that names
  ``status`` decides the status itself.
* **Clean only.** A run whose working tree had uncommitted changes
  (``git_dirty``) ran code that is not its commit's: in the usual flow
  (edit, run, commit) it ran the *next* commit's code while recording the
  previous one, so taking it as that commit's run would compare the pull
  request against itself. Such runs are skipped, and the sentence that says
  a side has no run counts them. A run whose dirty state is unknown counts
  as clean.
* **Paths.** Runs record a notebook's path relative to the project root they
  started in (else absolute); the diff's paths are relative to the git work
  tree. A notebook matches a run recorded relative to the project root of the
  current directory, relative to the notebook's own nearest project root, or
  by its absolute path. A renamed notebook is looked up by its old name on
  the old side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nbtrack.errors import UsageError
from nbtrack.model import RunStatus, RunSummary
from nbtrack.vcs.diffmodel import DiffResult, NotebookStatus

if TYPE_CHECKING:
    from nbtrack.compare.comparison import Comparison
    from nbtrack.compare.reader import Reader

__all__ = [
    "NotebookRuns",
    "RunDeltas",
    "SideRun",
    "find_side_run",
    "missing_text",
    "recorded_names",
    "run_deltas",
]

#: at most this many runs at one commit are looked at for a clean one
CANDIDATES = 50


@dataclass(frozen=True)
class SideRun:
    """One side of the diff for one notebook: its run, or why there is none."""

    #: the diff's name of this side (``main``, ``merge-base(main, HEAD) 1a2b3c4``)
    label: str
    commit: str
    #: the notebook's repository path on this side (None: not on this side)
    path: str | None
    run: RunSummary | None = None
    #: finished runs at this commit skipped for uncommitted changes
    dirty_skipped: int = 0
    #: one sentence when ``run`` is None
    note: str = ""

    @property
    def where(self) -> str:
        """``1a2b3c4 (main)``, or the label alone when it names the commit already."""
        short = self.commit[:7]
        return self.label if short in self.label else f"{short} ({self.label})"


@dataclass(frozen=True)
class NotebookRuns:
    """A changed notebook, its run on each side, and their comparison when both exist."""

    path: str
    status: NotebookStatus
    base: SideRun
    head: SideRun
    comparison: Comparison | None = None


@dataclass(frozen=True)
class RunDeltas:
    """The run deltas of one diff: one entry per changed notebook, in the diff's order."""

    old_label: str
    new_label: str
    old_commit: str
    new_commit: str
    notebooks: tuple[NotebookRuns, ...]
    #: the ``--runs-where`` expression that narrowed the runs, if any
    where: str | None = None


def run_deltas(
    reader: Reader,
    diff: DiffResult,
    *,
    where: str | None = None,
    project_root: Path | None = None,
    maximize: Iterable[str] = (),
    minimize: Iterable[str] = (),
) -> RunDeltas:
    """The runs at *diff*'s two commits for each changed notebook, compared.

    *project_root* is the root the current directory's runs record paths
    against (default: found from the current directory). Raises
    ``UsageError`` when *diff* is not between two git revisions, or for a
    *where* the query language refuses.
    """
    if diff.old_commit is None or diff.new_commit is None or diff.root is None:
        raise UsageError(
            "--runs needs two git revisions to find runs at (e.g. nbtrack diff "
            f"origin/main...HEAD --runs); this diff is {diff.old_label} -> {diff.new_label}"
        )
    if where is not None:
        _check_where(where)
    if project_root is None:
        from nbtrack.config import find_project_root

        project_root = find_project_root()
    root = Path(diff.root)
    maximize, minimize = tuple(maximize), tuple(minimize)
    found: list[NotebookRuns] = []
    for nb in diff.notebooks:
        if not nb.has_changes:
            continue
        old_path = None if nb.status == "added" else (nb.old_path or nb.path)
        new_path = None if nb.status == "deleted" else nb.path
        base = _side(reader, diff.old_label, diff.old_commit, old_path, root, project_root, where)
        head = _side(reader, diff.new_label, diff.new_commit, new_path, root, project_root, where)
        comparison = None
        if base.run is not None and head.run is not None and base.run.id != head.run.id:
            from nbtrack.compare.comparison import compare_runs

            comparison = compare_runs(
                reader, [base.run.id, head.run.id], code=False, maximize=maximize,
                minimize=minimize,
            )  # fmt: skip
        found.append(NotebookRuns(nb.path, nb.status, base, head, comparison))
    return RunDeltas(
        diff.old_label, diff.new_label, diff.old_commit, diff.new_commit, tuple(found), where
    )


def _side(
    reader: Reader,
    label: str,
    commit: str,
    path: str | None,
    root: Path,
    project_root: Path,
    where: str | None,
) -> SideRun:
    if path is None:
        side = SideRun(label, commit, None)
    else:
        run, skipped = find_side_run(
            reader, commit, recorded_names(path, root, project_root), where
        )
        side = SideRun(label, commit, path, run, skipped)
    if side.run is None:
        side = SideRun(label, commit, path, None, side.dirty_skipped, missing_text(side, where))
    return side


def recorded_names(path: str, root: Path, project_root: Path) -> list[str]:
    """The names runs may have recorded for the repository path *path* (see the module doc)."""
    from nbtrack.config import find_project_root

    full = (root / path).resolve()
    names: list[str] = []
    for base in (project_root.resolve(), find_project_root(full.parent)):
        if full.is_relative_to(base):
            names.append(full.relative_to(base).as_posix())
    names.append(full.as_posix())
    return list(dict.fromkeys(names))


def find_side_run(
    reader: Reader, commit: str, notebooks: Sequence[str], where: str | None = None
) -> tuple[RunSummary | None, int]:
    """(the newest clean finished run of *notebooks* at *commit*, dirty runs skipped before it).

    *notebooks* are the names the notebook may be recorded under; *where*
    narrows the candidates (and decides the status when it names one).
    """
    terms = [f"commit = {_quote(commit)}"]
    terms.append("(" + " or ".join(f"notebook = {_quote(n)}" for n in notebooks) + ")")
    if where is None or "status" not in _fields(where):
        terms.append(f"status = {_quote(RunStatus.FINISHED.value)}")
    if where is not None:
        terms.append(f"({where})")
    skipped = 0
    for summary in reader.runs(where=" and ".join(terms), sort=["-started"], limit=CANDIDATES):
        if reader.run(summary.id).git.dirty:
            skipped += 1
            continue
        return summary, skipped
    return None, skipped


def _quote(text: str) -> str:
    """*text* as a string literal of the ``--where`` language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fields(where: str) -> set[str]:
    from nbtrack.store.query import fields_of, parse_where

    return {str(field) for field in fields_of(parse_where(where))}


def _check_where(where: str) -> None:
    """Parse the user's expression alone, so an error points into what they wrote."""
    from nbtrack.errors import QueryError
    from nbtrack.store.query import parse_where

    try:
        parse_where(where)
    except QueryError as exc:
        said = str(exc).replace("Cannot read --where", "Cannot read --runs-where", 1)
        raise QueryError(said, expression=where) from None


def missing_text(
    side: SideRun,
    where: str | None = None,
    *,
    code: Callable[[str], str] = str,
    command: Callable[[str], str] = lambda text: f"`{text}`",
) -> str:
    """Why *side* has no run, in one sentence; *code* wraps what git or the user wrote.

    Renderers pass their escaping (a markdown code span); *command* wraps the
    command that would record a run.
    """
    at = code(side.commit[:7])
    if side.label and side.commit[:7] not in side.label:
        at += f" ({code(side.label)})"
    elif side.label:
        at = code(side.label)
    if side.path is None:
        return f"the notebook is not in {at}, so there is no run there to compare"
    text = f"no finished run of {code(side.path)} at {at}"
    if where is not None:
        text += f" matches --runs-where {code(where)}"
    if side.dirty_skipped:
        runs = "run" if side.dirty_skipped == 1 else "runs"
        text += (
            f" ({side.dirty_skipped} {runs} there had uncommitted changes, so their code is not "
            "this commit's)"
        )
    recorder = command(f"nbtrack run {side.path}")
    return f"{text}; check out {code(side.commit[:7])} and run {recorder} to record one"
