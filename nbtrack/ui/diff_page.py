"""``/diff``: the side-by-side notebook diff of two runs' code or commits.

For: ``/diff?a=ID&b=ID`` (run *a* is the old side, *b* the new) with
``&source=snapshot`` (the default: the code snapshots stored with the runs,
always there when the runs captured their code) or ``&source=commits`` (the
runs' notebook file read from git at their two commits, when the directory
``nbtrack ui`` runs in is that git repository). The diff is ``nbtrack
diff``'s: the snapshots through the compare layer's code diff, the commits
through :func:`nbtrack.vcs.revisions.diff_arguments`, both shown with
:func:`nbtrack.vcs.render_html.diff_body`. Ids given as prefixes are
redirected to the same view with full ids.
Not for: SQL or comparisons (the compare layer's ``Reader`` and builders do them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.comparison_model import RunHeader
    from nbtrack.vcs.diffmodel import DiffResult

__all__ = ["SOURCES", "routes"]

#: what a diff can be made from: the stored snapshots, or the notebook file at the commits
SOURCES = ("snapshot", "commits")


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/diff", diff, name="diff")]


@dataclass(frozen=True)
class _Shown:
    """What the page shows: which source, the diff (or a note instead), and why not commits."""

    source: str
    result: DiffResult | None
    note: str = ""
    #: why the commits cannot be shown (empty when they can be offered)
    commits_unavailable: str = ""
    #: set when the commits were asked for but could not be read: the sentence why
    fallback: str = ""


def diff(request: Request) -> Response:
    from dataclasses import replace

    from starlette.responses import RedirectResponse

    from nbtrack.compare.comparison import compare_runs
    from nbtrack.errors import UsageError
    from nbtrack.ui.templating import page

    query = request.query_params
    a, b = query.get("a", "").strip(), query.get("b", "").strip()
    source = query.get("source") or "snapshot"
    if source not in SOURCES:
        raise UsageError(f"source={source!r} is not one of snapshot, commits")
    if not a and not b:
        return page(request, "diff.html.j2", {"title": "Diff", "nav": "compare", "runs": None})
    if not a or not b:
        raise UsageError("a notebook diff needs two runs: give both a=RUN_ID and b=RUN_ID")
    from nbtrack.ui.state import reader_of

    reader = reader_of(request)
    full_a, full_b = reader.resolve(a), reader.resolve(b)
    if full_a == full_b:
        raise UsageError(f"a and b are the same run {full_a[:8]}; give two different runs")
    if (full_a, full_b) != (a, b) or any(len(query.getlist(k)) > 1 for k in ("a", "b")):
        return RedirectResponse(_url(full_a, full_b, source), status_code=302)
    comparison = compare_runs(reader, [full_a, full_b], code=True)
    old, new = comparison.runs
    snapshots = _snapshots(comparison.code[0])
    # the commits are offered only when their diff can be made: so it is made either way
    at_commits, unavailable = _at_commits(old, new)
    if source == "commits" and at_commits is not None:
        shown = _Shown("commits", at_commits)
    elif source == "commits":
        shown = replace(snapshots, commits_unavailable=unavailable, fallback=unavailable)
    else:
        shown = replace(snapshots, commits_unavailable=unavailable)
    return page(request, "diff.html.j2", _context(old, new, shown))


def _url(a: str, b: str, source: str = "snapshot") -> str:
    pairs = [("a", a), ("b", b)] + ([("source", source)] if source != "snapshot" else [])
    return "/diff?" + urlencode(pairs)


def _snapshots(change: Any) -> _Shown:
    """The stored snapshots' diff (``change`` is the comparison's ``CodeChange``)."""
    from nbtrack.vcs.diffmodel import DiffResult

    if change.diff is None:
        return _Shown("snapshot", None, change.note)
    nb = change.diff
    return _Shown("snapshot", DiffResult(nb.old_label, nb.new_label, (nb,)))


def _at_commits(old: RunHeader, new: RunHeader) -> tuple[DiffResult | None, str]:
    """The diff of the runs' notebook at their two commits, or None and the sentence why not."""
    from nbtrack.config import find_project_root
    from nbtrack.errors import NbtrackError
    from nbtrack.vcs.revisions import diff_arguments

    for run in (old, new):
        if not run.git_commit:
            return None, f"run {run.label} recorded no git commit"
    if not old.notebook or old.notebook != new.notebook:
        shown = " and ".join(run.notebook or "no notebook" for run in (old, new))
        return None, f"the runs are of different notebooks ({shown})"
    if not old.notebook.endswith(".ipynb"):
        return None, f"{old.notebook} is not a notebook (.ipynb) file git can show side by side"
    root = find_project_root()
    if not (root / ".git").exists():
        return None, f"the directory nbtrack ui runs in ({root}) is not a git repository"
    commits = [old.git_commit or "", new.git_commit or ""]
    try:
        return diff_arguments(commits, [old.notebook], cwd=Path(root)), ""
    except NbtrackError as exc:
        return None, str(exc).rstrip(".")


def _context(old: RunHeader, new: RunHeader, shown: _Shown) -> dict[str, Any]:
    from markupsafe import Markup

    from nbtrack.compare.formatting import MISSING, commit_text, time_text
    from nbtrack.printable import printable
    from nbtrack.vcs.render_html import diff_body

    def run(header: RunHeader, side: str) -> dict[str, Any]:
        return {
            "side": side,
            "id": header.id,
            "label": header.label,
            "href": f"/runs/{header.id}",
            "notebook": header.notebook or MISSING,
            "commit": commit_text(header),
            "dirty": bool(header.git_dirty),
            "started": time_text(header.started_at),
        }

    html = None
    if shown.result is not None:
        # vcs's renderer escapes every string of the notebooks (html.escape); a control
        # character (a terminal escape in a source) is then shown as its escape, as text
        html = Markup(printable(diff_body(shown.result), lines=True, tabs=True))
    return {
        "title": f"Diff {old.short_id} → {new.short_id}",
        "nav": "compare",
        "runs": [run(old, "old"), run(new, "new")],
        "source": shown.source,
        "asked_commits": bool(shown.fallback) or shown.source == "commits",
        "fallback": shown.fallback,
        "commits_unavailable": shown.commits_unavailable,
        "snapshot_url": _url(old.id, new.id),
        "commits_url": _url(old.id, new.id, "commits"),
        "swap_url": _url(new.id, old.id, shown.source),
        "compare_url": "/compare?" + urlencode([("run", old.id), ("run", new.id)]),
        "old_commit": (old.git_commit or "")[:7],
        "new_commit": (new.git_commit or "")[:7],
        "notebook": old.notebook or "",
        "dirty": [r.label for r in (old, new) if r.git_dirty],
        "note": shown.note,
        "html": html,
        "has_changes": shown.result is not None and shown.result.has_changes,
    }
