"""The runs page's pages: which runs a view shows, and its pager's text and links.

For: ``runs_page`` (``/``). A view with ``?after=CURSOR`` (or none) is a
keyset page (``Reader.run_page``: as fast deep in a million runs as at the
start), one with ``?page=N`` an offset page (``Reader.page``: older links,
and Previous). Not for: the rest of the view (``runs_page.View``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nbtrack.compare.reader import Reader
    from nbtrack.model import RunSummary


class View(Protocol):
    """What paging reads of ``runs_page.View`` (a protocol: no import of the page)."""

    @property
    def where(self) -> str: ...

    @property
    def sort(self) -> tuple[str, ...]: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def page(self) -> int: ...

    @property
    def after(self) -> str: ...

    @property
    def start(self) -> int: ...

    def href(self, **changes: Any) -> str: ...


__all__ = ["Pager", "fetch", "pager"]


@dataclass(frozen=True)
class Pager:
    """What the pager needs from the store: how many match (at least, when capped),
    and the cursor of the next page."""

    total: int = 0
    capped: bool = False
    next: str | None = None


def fetch(
    reader: Reader, view: View, scope: Sequence[str], size: int
) -> tuple[list[RunSummary], Pager]:
    """The runs of *view*: by offset for ``?page=N``, else the keyset page after the cursor."""
    where, experiment = view.where or None, tuple(scope) or None
    if view.page > 1:
        listed, total = reader.page(
            where=where, sort=view.sort, limit=size, offset=(view.page - 1) * size,
            deleted=view.deleted, experiment=experiment,
        )  # fmt: skip
        following = total > view.page * size
        return listed, Pager(total, next=None if not following else "")
    found = reader.run_page(
        where=where, sort=view.sort, limit=size, deleted=view.deleted,
        after=view.after or None, experiment=experiment,
    )  # fmt: skip
    total = view.start - 1 + len(found.runs) + found.more
    return found.runs, Pager(total, found.more_capped, found.next)


def pager(view: View, pager: Pager, shown: int, size: int) -> dict[str, Any]:
    """The pager's text and links. Next follows the cursor (keyset); Previous goes
    back by ``?page=`` (an offset, as a page back is rarely deep)."""
    first = (view.page - 1) * size if not view.after else view.start - 1
    page = first // size + 1
    total = pager.total
    pages = max(1, -(-total // size))
    if pager.next:
        following = view.href(after=pager.next, start=first + shown + 1, page=1)
    elif pager.next == "":  # an offset page that has a next one
        following = view.href(page=view.page + 1)
    else:
        following = ""
    return {
        "total": total,
        "total_text": f"more than {total:,}" if pager.capped else f"{total:,}",
        "first": first + 1 if shown else 0,
        "last": first + shown,
        "page": page,
        "pages": pages if not pager.capped else 0,
        "previous": view.href(page=page - 1) if page > 1 else "",
        "next": following,
        "start": view.href(page=1),
    }
