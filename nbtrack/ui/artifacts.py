"""``/runs/{run_id}/artifacts/{name}``: an artifact's bytes, and a run's logged figures.

For: images shown inline (PNG, JPEG, GIF, WebP: never SVG), everything else
(HTML and SVG included) as a download with ``nosniff``, so nothing a notebook
wrote is rendered in the app's origin. The file is found by the store's
artifact record (its name, the last one logged under it), never by a path
from the URL, and the path the store gives is checked to be inside the
store's artifact root before a byte is read. Big files are streamed. A
link with ``?v=`` (a piece of the digest, as ``artifact_url`` makes it) may
be cached for good; any other request revalidates.
``?step=N`` names the step of a figure logged at several steps
(``log_figure(fig, name, step=epoch)``); without it the name's latest step
is served, as ``nbtrack artifacts get`` does.
``run_figures`` groups a run's image artifacts into the series the run page
pages through: a name logged at several steps, in step order, and (for runs
that numbered the names themselves) ``cm_epoch1.png``, ``cm_epoch2.png``, ...
by ``figure_series``.
Not for: listing artifacts (the run page does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.artifacts import ArtifactSeries
    from nbtrack.compare.reader import Reader
    from nbtrack.model import Artifact, Run

__all__ = [
    "INLINE_TYPES",
    "Figure",
    "FigureSeries",
    "artifact_url",
    "figure_series",
    "routes",
    "run_figures",
]

#: the media types served inline (and shown with ``<img>``); everything else is a download
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
#: what a served artifact may do if a browser ever renders it: nothing
_SANDBOX = "default-src 'none'; sandbox"

#: ``cm_epoch12.png``, ``cm-epoch_003.png``: a stem, a trailing number, a suffix
_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<number>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/runs/{run_id}/artifacts/{name:path}", artifact, name="artifact")]


def artifact_url(run_id: str, name: str, digest: str | None = None, step: int | None = None) -> str:
    """The URL of *run_id*'s artifact *name* (every character of the name quoted).

    With *step*, ``?step=`` names the step of a figure logged at several. With
    the artifact's *digest*, ``v=`` carries a piece of it: a browser may then
    keep the bytes (a name logged again gets a new digest, so a new URL).
    """
    url = f"/runs/{quote(run_id, safe='')}/artifacts/{quote(name, safe='')}"
    query = [] if step is None else [f"step={step}"]
    query += [] if digest is None else [f"v={_version(digest)}"]
    return f"{url}?{'&'.join(query)}" if query else url


def _version(digest: str) -> str:
    return digest.rpartition(":")[2][:16]


@dataclass(frozen=True)
class Figure:
    """One image of a series: the artifact's name and its place in the series."""

    name: str
    step: int | None


@dataclass(frozen=True)
class FigureSeries:
    """Images of one figure, in step order (one image: a figure logged once)."""

    title: str
    figures: tuple[Figure, ...]


def figure_series(names: list[str]) -> list[FigureSeries]:
    """Image artifact *names* grouped into series, in the order each series first appears.

    Names that differ only by a trailing number before the suffix
    (``cm_epoch1.png``, ``cm_epoch2.png``) form one series ``cm_epoch*.png``,
    ordered by that number, which stands for the step until artifacts carry
    real steps (issue 12). Any other name is a series of its own.
    """
    groups: dict[tuple[str, str], list[Figure]] = {}
    for name in names:
        match = _NUMBERED.match(name)
        if match is None:
            groups.setdefault((name, ""), []).append(Figure(name, None))
        else:
            key = (match["stem"], match["suffix"])
            groups.setdefault(key, []).append(Figure(name, int(match["number"])))
    series = []
    for (stem, suffix), figures in groups.items():
        if len(figures) == 1:
            series.append(FigureSeries(figures[0].name, (figures[0],)))
        else:
            ordered = sorted(figures, key=lambda f: (f.step or 0, f.name))
            series.append(FigureSeries(f"{stem}*{suffix}", tuple(ordered)))
    return series


@dataclass(frozen=True)
class _Group:
    """One figure series on its way to the page: its images and the one to show first."""

    title: str
    items: list[dict[str, Any]]  # {name, step, url}, in paging order
    at: int | None  # the index the query chose; None: the last
    problem: str | None = None  # why the query's step is not the one shown
    stepped: bool = False  # a name logged at steps (not numbered names)


def run_figures(
    found: Run, figures: Sequence[str], steps: Sequence[str]
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The run's figure series as the run page shows them, and each as ``[{name, step,
    url}]`` for ``run.js``'s slider, in the order each series was first logged.

    *figures* and *steps* are the query's ``figure`` and ``step`` values, paired
    in order (``?figure=cm.png&step=4``): the image a series shows when not its
    last. A step the series does not have shows its last, with a sentence saying so.
    """
    from nbtrack.compare.artifacts import series

    images = [a for a in found.artifacts if a.media_type in INLINE_TYPES]
    chosen = dict(zip_longest(figures, steps[: len(figures)], fillvalue=""))
    stepped = [group for group in series(images) if group.steps]
    named = {group.name for group in stepped}
    groups = [_stepped(found.id, group, chosen.get(group.name)) for group in stepped]
    latest = {a.name: a for a in images if a.name not in named}
    for numbered in figure_series(list(latest)):
        items = [
            {"name": f.name, "step": f.step, "url": artifact_url(found.id, f.name,
             latest[f.name].digest)}
            for f in numbered.figures
        ]  # fmt: skip
        at = next((i for i, f in enumerate(numbered.figures) if f.name in chosen), None)
        groups.append(_Group(numbered.title, items, at))
    first = {a.name: i for i, a in reversed(list(enumerate(images)))}
    groups.sort(key=lambda g: min(first[item["name"]] for item in g.items))
    page = f"/runs/{quote(found.id, safe='')}"
    shown = []
    for index, group in enumerate(groups):
        at = len(group.items) - 1 if group.at is None else group.at
        item = group.items[at]
        link = {"figure": item["name"]}
        if group.stepped and item["step"] is not None:
            link["step"] = str(item["step"])
        shown.append(
            {"index": index, "title": group.title, "count": len(group.items), "at": at,
             "problem": group.problem, "stepped": group.stepped,
             "link": f"{page}?{urlencode(link)}#figures", **item}
        )  # fmt: skip
    return shown, [group.items for group in groups]


def _stepped(run_id: str, group: ArtifactSeries, asked: str | None) -> _Group:
    """A name logged at steps, at the step the query asked for (*asked*), if it has it."""
    from nbtrack.compare.artifacts import steps_text

    items = [
        {"name": a.name, "step": a.step, "url": artifact_url(run_id, a.name, a.digest, a.step)}
        for a in group.artifacts
    ]
    if not asked:
        return _Group(group.name, items, None, stepped=True)
    try:
        step = int(asked)
    except ValueError:
        problem = f"The link asks for step {asked!r}, which is not a number; this is the last."
        return _Group(group.name, items, None, problem, stepped=True)
    if step not in group.steps:
        have = steps_text(group.steps)
        problem = f"{group.name} has no step {step} (its steps are {have}); this is the last."
        return _Group(group.name, items, None, problem, stepped=True)
    return _Group(group.name, items, group.steps.index(step), stepped=True)


def artifact(request: Request) -> Response:
    """An artifact's bytes: an image inline, anything else as an attachment."""
    from starlette.responses import FileResponse

    from nbtrack.ui.state import reader_of

    reader = reader_of(request)
    run = reader.run(request.path_params["run_id"])
    name = request.path_params["name"]
    step = request.query_params.get("step")
    found = _recorded(run, name, step)
    if found is None:
        at = "" if step is None else f" at step {step!r}"
        return _not_found(request, f"Run {run.id} has no artifact named {name!r}{at}.")
    path = _inside_root(reader, found)
    if path is None:
        return _not_found(request, f"Artifact {name!r} of run {run.id} is not in the store.")
    if not path.is_file():
        return _not_found(
            request, f"The file of artifact {name!r} of run {run.id} is missing from the store."
        )
    fresh = request.query_params.get("v") == _version(found.digest)
    cache = "private, max-age=31536000, immutable" if fresh else "no-cache"
    headers = {"content-security-policy": _SANDBOX, "cache-control": cache}
    if found.media_type in INLINE_TYPES:
        return FileResponse(path, media_type=found.media_type, headers=headers)
    filename = PurePosixPath(name).name or "artifact"
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=filename,
        content_disposition_type="attachment",
        headers=headers,
    )


def _recorded(run: Run, name: str, step: str | None) -> Artifact | None:
    """The run's artifact *name* at *step* (None: its latest, as ``artifacts.find``), or None."""
    from nbtrack.compare.artifacts import series

    found = [a for a in run.artifacts if a.name == name]
    if not found:
        return None
    (group,) = series(found)
    if step is None:
        return group.last
    try:
        return group.at(int(step))
    except ValueError:
        return None


def _inside_root(reader: Reader, found: Artifact) -> Path | None:
    """Where the store keeps *found*'s bytes, or None when that is outside its artifact root.

    The store builds the path from the record's ``uri``; a ``uri`` that is
    absolute or climbs out (a tampered database row) never reaches the disk.
    """
    uri = PurePosixPath(found.uri)
    if uri.is_absolute() or ".." in uri.parts or not found.uri:
        return None
    root = reader.artifact_path(replace(found, uri="")).resolve()
    path = reader.artifact_path(found).resolve()
    return path if path.is_relative_to(root) and path != root else None


def _not_found(request: Request, message: str) -> Response:
    from nbtrack.ui.templating import page

    context = {"title": "Not found", "nav": "", "message": message}
    return page(request, "error.html.j2", context, status=404)
