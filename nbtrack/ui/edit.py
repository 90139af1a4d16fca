"""The POST routes of ``nbtrack ui --allow-edit``: rename, tag, note, delete, restore.

For: changing a recorded run from the pages through
:class:`nbtrack.tracking.edit.RunEditor` (each change an event of the run,
the same checks and redaction as ``nbtrack rename``/``tag``/``note``/``rm``/
``restore``), every POST checked by :func:`nbtrack.ui.security.check_csrf`
before its body is read. The routes do not exist unless the app was started
with ``--allow-edit`` (a POST is then 404/405), and without it the app holds
no editor at all: nothing in a read-only UI can write.
Not for: reading (the pages do).

The routes (``application/x-www-form-urlencoded`` bodies, JSON answers;
``{"error": one sentence}`` with 400, 403 or 404 when nothing changed):

* ``POST /api/runs/{id}/rename``   ``name``
* ``POST /api/runs/{id}/tags``     ``key`` and ``value`` to set one; ``remove`` to remove one
* ``POST /api/runs/{id}/note``     ``note`` (empty: the note is cleared)
* ``POST /api/runs/{id}/delete``   soft delete, as ``nbtrack rm`` (a RUNNING run is refused)
* ``POST /api/runs/{id}/restore``
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

    from nbtrack.tracking.edit import Edit, RunEditor
    from nbtrack.ui.config import UiConfig

__all__ = ["MAX_BODY", "editor_of", "open_editor", "routes"]

#: what an edit does: (the request, the run id of its path, its form fields) -> the edit
_Action = Callable[["Request", str, dict[str, str]], "Edit"]

#: the largest request body an edit accepts (a long note fits)
MAX_BODY = 256 * 1024

_CSRF_FAILED = (
    "This request did not come from a page of this server (its CSRF check failed); "
    "nothing was changed. Reload the page and try again."
)


def open_editor(config: UiConfig) -> RunEditor:
    """The app's one editor of ``config.store_url`` (opened only with ``--allow-edit``)."""
    from nbtrack.tracking.edit import RunEditor

    return RunEditor.open(config.store_url)


def editor_of(request: Request) -> RunEditor:
    """The app's editor (for the edit endpoints)."""
    editor: RunEditor = request.app.state.editor
    return editor


def routes() -> list[BaseRoute]:
    from starlette.routing import Route

    actions: dict[str, _Action] = {
        "rename": _rename,
        "tags": _tags,
        "note": _note,
        "delete": _delete,
        "restore": _restore,
    }
    return [
        Route(
            f"/api/runs/{{run_id}}/{name}", _endpoint(action), methods=["POST"], name=f"edit-{name}"
        )
        for name, action in actions.items()
    ]


def _endpoint(action: _Action) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import JSONResponse

        from nbtrack.ui.security import check_csrf

        if not check_csrf(request, request.app.state.config.token):
            return JSONResponse({"error": _CSRF_FAILED}, status_code=403)
        fields = await _fields(request)
        run_id = request.path_params["run_id"]
        edit = await run_in_threadpool(action, request, run_id, fields)
        body = {"run": edit.run_id, "changed": edit.changed}
        return JSONResponse(body, headers={"cache-control": "no-store"})

    return endpoint


async def _fields(request: Request) -> dict[str, str]:
    """The form fields of a POST body (the last value of a repeated one)."""
    from nbtrack.errors import UsageError

    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise UsageError(
            f"An edit is sent as a form (application/x-www-form-urlencoded), not {kind}."
        )
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise UsageError(f"An edit may carry at most {MAX_BODY // 1024} KiB.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("An edit must be UTF-8 text.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def _field(fields: dict[str, str], name: str, what: str) -> str:
    from nbtrack.errors import UsageError

    if name not in fields:
        raise UsageError(f"Give {what} (the form field {name!r}).")
    return fields[name]


def _rename(request: Request, run_id: str, fields: dict[str, str]) -> Edit:
    editor = editor_of(request)
    return editor.rename(run_id, _field(fields, "name", "the new name"))


def _tags(request: Request, run_id: str, fields: dict[str, str]) -> Edit:
    editor = editor_of(request)
    from nbtrack.errors import UsageError

    remove = fields.get("remove")
    if remove is not None:
        return editor.tag(run_id, {}, remove=[remove])
    key = _field(fields, "key", "the tag's name")
    if not key.strip():
        raise UsageError("A tag needs a name (e.g. 'dataset'); the name was empty.")
    return editor.tag(run_id, {key: fields.get("value", "")})


def _note(request: Request, run_id: str, fields: dict[str, str]) -> Edit:
    editor = editor_of(request)
    text = _field(fields, "note", "the note")
    return editor.note(run_id, text if text.strip() else None)


def _delete(request: Request, run_id: str, fields: dict[str, str]) -> Edit:
    from nbtrack.errors import UsageError
    from nbtrack.model import RunStatus
    from nbtrack.ui.state import reader_of

    reader = reader_of(request)
    run = reader.run(run_id)
    if run.status is RunStatus.RUNNING and run.deleted_at is None:
        raise UsageError(
            f"Run {run.id[:8]} is still RUNNING (its heartbeat is live); nothing was deleted."
            " Wait for it to end, or delete it with `nbtrack rm --force`."
        )
    return editor_of(request).delete([run.id])[0]


def _restore(request: Request, run_id: str, fields: dict[str, str]) -> Edit:
    editor = editor_of(request)
    return editor.restore([run_id])[0]
