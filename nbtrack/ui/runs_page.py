"""``/``: the runs table (filter, sort, columns, selection -> Compare), and
``/api/runs``, the live status of the runs a page shows.

For: the table of ``nbtrack runs`` in a browser. The view's whole state is in
its URL (:class:`View`): ``?where=EXPR`` (the ``--where`` language),
``?sort=KEY`` (repeatable, ``-KEY`` descending), ``?columns=K,K`` (absent: the
default columns of ``compare.listing``), ``?deleted=1``, ``?after=CURSOR``
with ``?start=N`` (the page after the one that gave the cursor, whose first
run is the N-th: keyset pagination, so page 10,000 of a million runs costs
what page 1 does), ``?page=N`` (100 runs a page, by offset: older links and
the Previous link keep working), ``?selected=ID`` (repeatable, full ids, in
the order picked) and ``?experiment=NAME`` (repeatable; ``*`` every
experiment; absent: the experiments ``nbtrack ui`` was started with,
``UiConfig.experiments``). The store filters, sorts and pages in SQL
(``Reader.run_page``, ``Reader.page`` for ``?page=``); a bad expression or
cursor is shown inline, naming it, on a 400 page.
Not for: SQL or comparisons (the compare layer's ``Reader`` and builders do them).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from nbtrack.ui import paging
from nbtrack.ui.state import reader_of

if TYPE_CHECKING:
    from starlette.datastructures import QueryParams
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.compare.listing import Column
    from nbtrack.compare.reader import Reader
    from nbtrack.model import RunSummary
    from nbtrack.store.query import Field, SortKey

__all__ = ["PAGE_SIZE", "View", "column_spec", "narrowed", "routes", "sort_spec"]

#: runs a page shows
PAGE_SIZE = 100
#: runs one ``/api/runs`` poll may ask about (a page's worth)
MAX_POLLED = PAGE_SIZE
#: how often the page asks about its RUNNING runs, in milliseconds
POLL_MS = 2000
#: the highest ``?page=`` (its offset must fit the database's 64-bit integers)
MAX_PAGE = 10**9
_PAGE = re.compile(r"[0-9]{1,10}")
#: a run id as nbtrack makes them (hex), or as another tool may have (letters, -, _)
_RUN_ID = re.compile(r"[\w-]{1,100}")
#: a key the ``--where``/``--sort`` language reads without quotes
_PLAIN_QUERY_KEY = re.compile(r"[\w\-/:]+(?:\.[\w\-/:]+)*")
#: an ``or`` that a term and-ed to a filter must not bind to
_OR = re.compile(r"\bor\b", re.IGNORECASE)
#: a key ``--columns`` reads without quotes
_PLAIN_COLUMN_KEY = re.compile(r"[^,\"'`\s](?:[^,\"'`]*[^,\"'`\s])?")
#: the fixed columns: (label, the sort field or "" when it cannot be sorted on)
_FIXED = (
    ("id", "id"),
    ("name", "name"),
    ("status", "status"),
    ("notebook", "notebook"),
    ("started", "started"),
    ("duration", ""),
)


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    return [Route("/", runs, name="runs"), Route("/api/runs", live, name="api-runs")]


# -- the URL state ---------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the runs page shows, read from and written back to its URL query."""

    where: str = ""
    sort: tuple[str, ...] = ()
    columns: str | None = None  # None: the default columns; "": none beyond the fixed ones
    deleted: bool = False
    page: int = 1
    selected: tuple[str, ...] = ()
    #: ``?experiment=``: the experiments listed; empty: the server's default
    experiment: tuple[str, ...] = ()
    #: the cursor of the page before (keyset); "" for the first page or a ``?page=`` view
    after: str = ""
    #: the position of the first run shown after the cursor (for "Runs 101–200 of ...")
    start: int = 1

    @classmethod
    def from_query(cls, query: QueryParams) -> tuple[View, str | None]:
        """The view a URL asks for, and the sentence saying what is wrong with it (or None)."""
        problem = None
        specs = query.getlist("columns")
        columns = ",".join(s for s in specs if s.strip()) if specs else None
        page_text = query.get("page", "1").strip() or "1"
        page = int(page_text) if _PAGE.fullmatch(page_text) else 0
        if not 1 <= page <= MAX_PAGE:
            problem = (
                f"Cannot show page {page_text!r}: a page is a whole number from 1 to {MAX_PAGE:,}."
            )
            page = 1
        deleted_text = query.get("deleted", "").strip().lower()
        if deleted_text not in ("", "0", "1", "true", "false", "yes", "no"):
            problem = f"Cannot read deleted={deleted_text!r}: use deleted=1 or leave it out."
        selected = [i.strip() for s in query.getlist("selected") for i in s.split(",")]
        after = query.get("after", "").strip()
        start_text = query.get("start", "1").strip() or "1"
        start = int(start_text) if _PAGE.fullmatch(start_text) else 0
        if not 1 <= start <= MAX_PAGE * PAGE_SIZE:
            problem = f"Cannot start at run {start_text!r}: use a whole number from 1."
            start = 1
        view = cls(
            where=query.get("where", "").strip(),
            sort=tuple(s.strip() for s in query.getlist("sort") if s.strip()),
            columns=columns,
            deleted=deleted_text in ("1", "true", "yes"),
            page=page,
            selected=tuple(dict.fromkeys(i for i in selected if i)),
            experiment=tuple(
                dict.fromkeys(e.strip() for e in query.getlist("experiment") if e.strip())
            ),
            after=after,
            start=start if after else 1,
        )
        return view, problem

    def pairs(self) -> list[tuple[str, str]]:
        """The URL query of this view, in a fixed order, defaults left out."""
        pairs = [("where", self.where)] if self.where else []
        pairs += [("sort", s) for s in self.sort]
        pairs += [("columns", self.columns)] if self.columns is not None else []
        pairs += [("deleted", "1")] if self.deleted else []
        pairs += [("page", str(self.page))] if self.page > 1 else []
        pairs += [("after", self.after), ("start", str(self.start))] if self.after else []
        pairs += [("selected", s) for s in self.selected]
        pairs += [("experiment", e) for e in self.experiment]
        return pairs

    def href(self, **changes: Any) -> str:
        """A link to this view with *changes* (``/?...``, or ``/`` when all are defaults).

        A change of ``page`` (a new filter, sort or column set starts at page 1)
        also drops the cursor.
        """
        if "page" in changes and "after" not in changes:
            changes = {**changes, "after": "", "start": 1}
        query = urlencode(dataclasses.replace(self, **changes).pairs())
        return "/?" + query if query else "/"


def sort_spec(field: Field, descending: bool = False) -> str:
    """*field* as a ``?sort=`` key the store reads back (odd keys quoted).

    >>> from nbtrack.store.query import Field
    >>> sort_spec(Field("metrics", "val_acc"), True), sort_spec(Field("params", 'my "lr"'))
    ('-metrics.val_acc', 'params."my \\\\"lr\\\\""')
    """
    sign = "-" if descending else ""
    if not field.namespace:
        return sign + field.key
    key = field.key
    if not _PLAIN_QUERY_KEY.fullmatch(key):
        key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{sign}{field.namespace}.{key}"


def narrowed(where: str, field: Field, value: str) -> str:
    """*where* and ``FIELD = "VALUE"`` (the filter a click on a tag asks for).

    >>> from nbtrack.store.query import Field
    >>> narrowed("", Field("tags", "my team"), "a b")
    'tags."my team" = "a b"'
    >>> narrowed("params.lr < 1 or name = x", Field("tags", "team"), "cv")
    '(params.lr < 1 or name = x) and tags.team = "cv"'
    """
    literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    term = f"{sort_spec(field)} = {literal}"
    if not where:
        return term
    if term in where:
        return where
    return f"({where}) and {term}" if _OR.search(where) else f"{where} and {term}"


def column_spec(column: Column) -> str:
    """*column* as an item of ``?columns=`` that ``parse_columns`` reads back.

    >>> from nbtrack.compare.listing import Column
    >>> column_spec(Column("params", "lr")), column_spec(Column("tags", "a,b"))
    ('params.lr', 'tags."a,b"')
    """
    key = column.key
    if not _PLAIN_COLUMN_KEY.fullmatch(key):
        quote_char = next((q for q in "\"`'" if q not in key), '"')
        key = quote_char + key + quote_char
    return f"{column.namespace}.{key}"


# -- the page --------------------------------------------------------------------


def runs(request: Request) -> Response:
    from nbtrack.ui.templating import page

    view, problem = View.from_query(request.query_params)
    context = build(reader_of(request), view, problem, request.app.state.config.experiments)
    status = 400 if context["error"] else 200
    return page(request, "runs.html.j2", context, status=status)


def build(
    reader: Reader, view: View, problem: str | None = None, default: Sequence[str] = ()
) -> dict[str, Any]:
    """The template's context for *view*: rows, headers, picker, pager, or an error.

    *default* are the experiments listed when the URL names none (empty: all).
    """
    from nbtrack.compare.listing import default_columns, parse_columns
    from nbtrack.errors import UsageError

    listed: list[RunSummary] = []
    pager = paging.Pager()
    chosen: list[Column] = []
    error = problem
    scope = tuple(default)
    if error is None:
        try:
            picked = None if view.columns is None else parse_columns([view.columns])
            scope = _scope(view, default)
            listed, pager = paging.fetch(reader, view, scope, PAGE_SIZE)
            if picked is None:
                picked = default_columns(listed, view.where, view.sort)
            chosen = picked
        except UsageError as caught:  # QueryError too: a bad --where or --sort
            error = str(caught)
    if error is None and view.columns is not None:
        view = dataclasses.replace(view, columns=",".join(column_spec(c) for c in chosen))
    selected = set(view.selected)
    numeric = [_numeric(c, listed) for c in chosen]
    within = f" of {', '.join(scope)}" if scope else ""
    return {
        "title": ("Deleted runs" if view.deleted else "Runs") + within,
        "nav": "runs",
        "view": view,
        # the filter form's experiment field: one name in it, several kept hidden
        "experiment": _one(view.experiment or scope),
        "experiments_kept": view.experiment if len(view.experiment) > 1 else (),
        "mixed": _mixed(listed),
        "error": error,
        "hidden": _hidden(view),
        "headers": _headers(view, chosen, listed) if error is None else [],
        "rows": [_row(run, chosen, numeric, view, run.id in selected) for run in listed],
        "picker": _picker(listed, chosen),
        "pager": paging.pager(view, pager, len(listed), PAGE_SIZE),
        "empty": _empty(reader, view, pager.total, scope) if error is None and not listed else None,
        "absent": [str(c) for c in chosen if listed and not c.present_in(listed)]
        if view.columns is not None
        else [],
        "data": {"selected": list(view.selected), "pollMs": POLL_MS},
    }


def _one(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ""


def _mixed(listed: Sequence[RunSummary]) -> bool:
    """Whether the page lists runs of more than one experiment (then a column says which)."""
    return len({run.experiment for run in listed}) > 1


def _scope(view: View, default: Sequence[str]) -> tuple[str, ...]:
    """The experiments *view* lists: its ``?experiment=`` (``*``: all), else *default*."""
    from nbtrack.config import experiment_name

    if not view.experiment:
        return tuple(default)
    if "*" in view.experiment:
        return ()
    return tuple(experiment_name(name, "?experiment=") for name in view.experiment)


def _hidden(view: View) -> dict[str, list[tuple[str, str]]]:
    """The hidden fields the filter form and the column picker carry (the rest of the view)."""
    keep = dataclasses.replace(view, page=1, after="", start=1)
    return {
        "filter": [(k, v) for k, v in keep.pairs() if k != "where"],
        "experiment": [(k, v) for k, v in keep.pairs() if k != "experiment"],
        "picker": [(k, v) for k, v in keep.pairs() if k != "columns"],
    }


def _primary(view: View) -> SortKey:
    from nbtrack.store.query import Field, SortKey, parse_sort

    return parse_sort(view.sort[0]) if view.sort else SortKey(Field("", "started"), True)


def _headers(
    view: View, chosen: Sequence[Column], listed: Sequence[RunSummary]
) -> list[dict[str, Any]]:
    """Each column's label, the link that sorts by it and the arrow of the current sort."""
    from nbtrack.store.query import Field

    primary = _primary(view)
    fields: list[tuple[str, Field | None, bool]] = [
        (label, Field("", key) if key else None, False) for label, key in _FIXED
    ]
    if view.deleted:
        fields.append(("deleted", None, False))
    if _mixed(listed):
        fields.append(("experiment", Field("", "experiment"), False))
    fields.append(("tags", None, False))
    fields += [(str(c), Field(c.namespace, c.key), _numeric(c, listed)) for c in chosen]
    headers = []
    for label, field, numeric in fields:
        arrow, href, aria = "", "", "none"
        if field is not None:
            current = field == primary.field
            descending = current and not primary.descending
            arrow = ("▼" if primary.descending else "▲") if current else ""
            aria = ("descending" if primary.descending else "ascending") if current else "none"
            href = view.href(sort=(sort_spec(field, descending),), page=1)
        headers.append(
            {"label": label, "href": href, "arrow": arrow, "aria": aria, "numeric": numeric}
        )
    return headers


def _numeric(column: Column, listed: Sequence[RunSummary]) -> bool:
    """Whether every value the listed runs have in *column* is a number (right-aligned)."""
    from nbtrack.compare.listing import MISSING

    if column.namespace == "metrics":
        return True
    values = [v for v in (column.value(run) for run in listed) if v is not MISSING]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def _row(
    run: RunSummary,
    chosen: Sequence[Column],
    numeric: Sequence[bool],
    view: View,
    checked: bool,
) -> dict[str, Any]:
    from nbtrack.compare.formatting import duration_text, time_text
    from nbtrack.store.query import Field

    cells = [_cell(run, c, n) for c, n in zip(chosen, numeric, strict=True)]
    return {
        "id": run.id,
        "short": run.id[:8],
        "href": "/runs/" + quote(run.id, safe=""),
        "name": run.name or "",
        "status": run.status.value,
        "notebook": run.notebook or "",
        "started": time_text(run.started_at),
        "started_iso": _iso(run.started_at),
        "duration": duration_text(run.duration),
        "experiment": run.experiment,
        "deleted": time_text(run.deleted_at) if view.deleted else None,
        "tags": [
            {"text": f"{k}={v}", "href": view.href(where=narrowed(view.where, tag, v), page=1)}
            for k, v in run.tags.items()
            for tag in [Field("tags", k)]
        ],
        "cells": cells,
        "checked": checked,
    }


def _cell(run: RunSummary, column: Column, numeric_column: bool) -> dict[str, Any]:
    """One param/metric/tag cell: its text, right-aligned in a column of numbers."""
    from nbtrack.compare.formatting import number, param_text
    from nbtrack.compare.listing import MISSING

    value = column.value(run)
    if value is MISSING:
        text = ""
    elif column.namespace == "metrics":
        text = number(value)
    else:
        text = param_text(value)
    numeric = numeric_column or (isinstance(value, int | float) and not isinstance(value, bool))
    metric = column.key if column.namespace == "metrics" else None
    return {"text": text, "numeric": numeric, "missing": value is MISSING, "metric": metric}


def _iso(ts: float | None) -> str:
    from datetime import UTC, datetime

    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def _picker(listed: Sequence[RunSummary], chosen: Sequence[Column]) -> list[dict[str, Any]]:
    """The keys the listed runs have, by namespace, each with its spec and whether it is shown."""
    from nbtrack.compare.listing import NAMESPACES, Column

    groups = []
    for namespace in NAMESPACES:
        keys = {k for run in listed for k in getattr(run, namespace)}
        keys |= {c.key for c in chosen if c.namespace == namespace}
        columns = [Column(namespace, k) for k in sorted(keys)]
        options = [
            {"spec": column_spec(c), "label": c.key, "checked": c in chosen} for c in columns
        ]
        groups.append({"namespace": namespace, "options": options})
    return groups


def _empty(reader: Reader, view: View, total: int, scope: Sequence[str]) -> dict[str, str]:
    """What an empty table says instead: how to log a first run, or why nothing matched."""
    if view.after:
        return {"kind": "past", "text": "No more runs after the page before."}
    if total and view.page > 1:
        pages = -(-total // PAGE_SIZE)
        return {"kind": "past", "text": f"No runs on page {view.page:,}: there are {pages:,}."}
    if view.deleted:
        suffix = " match this filter" if view.where else ""
        return {"kind": "deleted", "text": f"No deleted runs{suffix}."}
    if view.where:
        return {"kind": "filter", "text": "No runs match this filter."}
    if scope:
        return {"kind": "experiment", "text": f"No runs in experiment {', '.join(scope)}."}
    return {"kind": "store", "text": f"No runs yet in {reader.url}."}


# -- live updates ----------------------------------------------------------------


def live(request: Request) -> Response:
    """``/api/runs?run=ID&run=ID``: each run's status, duration and last metric values."""
    from starlette.responses import JSONResponse

    from nbtrack.compare.formatting import duration_text, number, strict_json
    from nbtrack.errors import UsageError

    ids = list(dict.fromkeys(request.query_params.getlist("run")))
    for run_id in ids:
        if not _RUN_ID.fullmatch(run_id):
            raise UsageError(f"Cannot look up run {run_id!r}: a run id is letters and digits.")
    if len(ids) > MAX_POLLED:
        raise UsageError(f"Cannot look up {len(ids)} runs at once: ask for at most {MAX_POLLED}.")
    found = []
    if ids:
        where = " or ".join(f'id = "{run_id}"' for run_id in ids)
        wanted = set(ids)  # ``id =`` matches a prefix: keep the runs asked about
        found = [r for r in reader_of(request).runs(where=where, deleted="all") if r.id in wanted]
    body = {
        "runs": [
            {
                "id": run.id,
                "status": run.status.value,
                "ended": run.ended_at is not None,
                "duration": duration_text(run.duration),
                "metrics": {
                    key: {"text": number(value), "value": strict_json(value)}
                    for key, value in run.metrics.items()
                },
            }
            for run in found
        ]
    }
    return JSONResponse(body, headers={"cache-control": "no-store"})
