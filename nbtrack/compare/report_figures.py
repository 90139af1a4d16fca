"""The figures of the static report: each run's images as ``data:`` URIs, a series paged.

For: :mod:`nbtrack.compare.report`, which shows what this module returns.
An image artifact is embedded (``data:`` URI, after its bytes are checked to
be the image its media type says), or listed with the reason it is not (over
:data:`MAX_FIGURE_BYTES`, its file gone, bytes of another kind). A figure
logged at several steps (``log_figure(fig, name, step=epoch)``) is one
:class:`Figure` whose ``pages`` are the steps the file holds: the last step
shown, the others a click away through the template's radio buttons (plain
HTML and CSS: the report runs no script). A long series would make the file
too big to mail, so it holds at most :data:`SERIES_PAGES` steps of a series:
the first, the last and steps evenly between; the caption says how many steps
there are and how to get any other.
Not for: reading the store (the ``Reader`` does) or the page's markup (the
template ``templates/report.html.j2``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nbtrack.compare.artifacts import ArtifactSeries, series

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader
    from nbtrack.model import Artifact, Run

__all__ = ["MAX_FIGURE_BYTES", "SERIES_PAGES", "Figure", "figures", "spread"]

#: a logged figure larger than this is listed, not embedded (the file stays small enough to mail)
MAX_FIGURE_BYTES = 2 * 1024 * 1024
#: steps of one figure series the report holds (a series of 100 epochs: 12 of them)
SERIES_PAGES = 12
#: media types a browser shows in an <img>, with the bytes each file must start with
IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "image/svg+xml": (),  # text: checked by _looks_like_svg
}


@dataclass(frozen=True)
class Figure:
    """One image a run logged: a data: URI to show, or why it is not shown.

    A series (a figure logged at several steps) has its steps in ``pages``,
    each a ``Figure`` of one step, the last one shown first; ``summary`` says
    how many steps the run logged and how many of them the file holds.
    """

    name: str
    media_type: str
    size: int
    data_uri: str | None
    note: str = ""
    step: int | None = None
    pages: tuple[Figure, ...] = ()
    summary: str = ""


def figures(reader: Reader, run: Run) -> tuple[Figure, ...]:
    """*run*'s image artifacts in the order they were first logged, each series as one."""
    images = [a for a in run.artifacts if a.media_type in IMAGE_MAGIC]
    groups = {group.name: group for group in series(images)}
    shown: list[Figure] = []
    done: set[str] = set()
    for artifact in images:
        group = groups[artifact.name]
        if not group.steps:
            shown.append(_figure(reader, artifact))
        elif artifact.name not in done:
            done.add(artifact.name)
            shown.append(_series(reader, run, group))
    return tuple(shown)


def spread(count: int, keep: int) -> list[int]:
    """*keep* indexes of ``range(count)`` spread evenly, the first and the last among them.

    >>> spread(100, 5), spread(3, 5)
    ([0, 25, 50, 74, 99], [0, 1, 2])
    """
    if count <= keep:
        return list(range(count))
    if keep <= 1:
        return [count - 1]
    return sorted({round(i * (count - 1) / (keep - 1)) for i in range(keep)})


def _series(reader: Reader, run: Run, group: ArtifactSeries) -> Figure:
    chosen = [group.artifacts[i] for i in spread(len(group.artifacts), SERIES_PAGES)]
    pages = tuple(_figure(reader, artifact) for artifact in chosen)
    summary = group.summary()
    if len(chosen) < len(group.artifacts):
        summary += (
            f"; this file holds {len(chosen)} of them (the first, the last and steps evenly"
            f" between): nbtrack artifacts get {run.id[:8]} {group.name} --step N gives any"
        )
    last = pages[-1]
    return Figure(
        group.name, last.media_type, last.size, last.data_uri, last.note, last.step, pages, summary
    )


def _figure(reader: Reader, artifact: Artifact) -> Figure:
    def skipped(note: str) -> Figure:
        return Figure(artifact.name, artifact.media_type, artifact.size, None, note, artifact.step)

    if artifact.size > MAX_FIGURE_BYTES:
        limit = MAX_FIGURE_BYTES // (1024 * 1024)
        return skipped(f"not embedded: {artifact.size / 2**20:.1f} MiB is over {limit} MiB")
    try:
        data = reader.artifact_path(artifact).read_bytes()
    except OSError:
        return skipped("not embedded: its file is no longer in the artifact store")
    if not _is_image(artifact.media_type, data):
        return skipped(f"not embedded: the file is not a {artifact.media_type} image")
    encoded = base64.b64encode(data).decode("ascii")
    return Figure(
        artifact.name,
        artifact.media_type,
        len(data),
        f"data:{artifact.media_type};base64,{encoded}",
        step=artifact.step,
    )


def _is_image(media_type: str, data: bytes) -> bool:
    if media_type == "image/svg+xml":
        head = data[:4096].lstrip().lower()
        return head.startswith((b"<?xml", b"<svg", b"<!doctype svg", b"<!--")) and b"<svg" in head
    if media_type == "image/webp" and data[8:12] != b"WEBP":
        return False
    return data.startswith(IMAGE_MAGIC[media_type])
