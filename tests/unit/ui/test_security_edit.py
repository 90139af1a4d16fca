"""``--allow-edit``'s POST routes through TestClient over ``create_app``, on a real store.

Each edit goes through RunEditor (an event of the run); the CSRF check and
the Origin check refuse a request before anything changes; without
``--allow-edit`` the routes do not exist. The browser round trip is in
tests/integration/ui/test_edit.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nbtrack.compare.reader import Reader
from nbtrack.model import RunStatus, Source
from nbtrack.store import open_store
from nbtrack.ui.app import create_app
from nbtrack.ui.config import UiConfig
from nbtrack.ui.security import CSRF_HEADER, csrf_token
from tests.helpers.comparison import add_run

BASE = "http://127.0.0.1:5757"


@pytest.fixture
def seeded(store_url: str) -> tuple[str, str]:
    store = open_store(store_url)
    run_id = add_run(store, "first", params={"lr": 0.1}, metrics={"loss": [1.0, 0.5]})
    store.set_tags(run_id, {"team": "vision"})
    store.close()
    return store_url, run_id


def client(url: str, **config: Any) -> Any:
    from starlette.testclient import TestClient

    app = create_app(UiConfig(store_url=url, **config), Reader(open_store(url, create=False)))
    return TestClient(app, base_url=BASE, follow_redirects=False)


@pytest.fixture
def editing(seeded: tuple[str, str]) -> Iterator[Any]:
    with client(seeded[0], allow_edit=True) as opened:
        yield opened


def read(url: str, run_id: str) -> Any:
    with Reader(open_store(url, create=False)) as reader:
        return reader.run(run_id)


def post(client: Any, path: str, data: dict[str, str], **headers: str) -> Any:
    sent = {CSRF_HEADER: csrf_token(None), "origin": BASE, **headers}
    return client.post(path, data=data, headers={k: v for k, v in sent.items() if v})


def test_rename_tag_note_delete_restore_each_change_the_run_and_leave_an_event(
    editing: Any, seeded: tuple[str, str]
) -> None:
    url, run_id = seeded
    base = f"/api/runs/{run_id}"
    answer = post(editing, f"{base}/rename", {"name": "baseline v2"})
    assert answer.status_code == 200
    assert answer.json() == {"run": run_id, "changed": True}
    assert post(editing, f"{base}/tags", {"key": "stage", "value": "prod"}).status_code == 200
    assert post(editing, f"{base}/tags", {"remove": "team"}).status_code == 200
    assert post(editing, f"{base}/note", {"note": "lr too high"}).status_code == 200
    run = read(url, run_id)
    assert run.name == "baseline v2"
    assert run.tags == {"stage": "prod"}
    assert run.note == "lr too high"
    assert post(editing, f"{base}/delete", {}).status_code == 200
    assert read(url, run_id).deleted_at is not None
    assert editing.get("/").status_code == 200
    assert post(editing, f"{base}/restore", {}).status_code == 200
    run = read(url, run_id)
    assert run.deleted_at is None
    kinds = [e.kind for e in run.events]
    assert kinds == ["renamed", "tagged", "tagged", "noted", "deleted", "restored"]
    # the same again: nothing to change, no new event
    assert post(editing, f"{base}/rename", {"name": "baseline v2"}).json()["changed"] is False
    assert len(read(url, run_id).events) == len(kinds)


def test_an_empty_note_clears_it(editing: Any, seeded: tuple[str, str]) -> None:
    url, run_id = seeded
    post(editing, f"/api/runs/{run_id}/note", {"note": "first"})
    assert post(editing, f"/api/runs/{run_id}/note", {"note": "  "}).status_code == 200
    assert read(url, run_id).note is None


def test_a_secret_in_a_note_or_tag_is_redacted_as_the_cli_does(
    editing: Any, seeded: tuple[str, str]
) -> None:
    url, run_id = seeded
    post(editing, f"/api/runs/{run_id}/tags", {"key": "api_key", "value": "hunter2-xyz"})
    post(editing, f"/api/runs/{run_id}/note", {"note": "db postgresql://ana:pw123@db/x"})
    run = read(url, run_id)
    assert run.tags["api_key"] == "***"
    assert "pw123" not in (run.note or "")


@pytest.mark.parametrize(
    ("action", "data", "status", "sentence"),
    [
        ("rename", {"name": "   "}, 400, "A run name cannot be empty"),
        ("rename", {}, 400, "Give the new name (the form field 'name')."),
        ("tags", {"key": "", "value": "x"}, 400, "A tag needs a name"),
        ("tags", {"key": "k" * 1000, "value": "x"}, 400, "the limit is"),
        ("tags", {"remove": "nope"}, 400, "has no tag 'nope' to remove"),
        ("note", {}, 400, "Give the note"),
    ],
)
def test_bad_input_is_one_sentence_in_json_and_changes_nothing(
    editing: Any,
    seeded: tuple[str, str],
    action: str,
    data: dict[str, str],
    status: int,
    sentence: str,
) -> None:
    url, run_id = seeded
    before = read(url, run_id)
    answer = post(editing, f"/api/runs/{run_id}/{action}", data)
    assert answer.status_code == status
    error = answer.json()["error"]
    assert sentence in error
    assert error.endswith(".")
    assert "\n" not in error
    after = read(url, run_id)
    assert (after.name, after.tags, after.note, after.events) == (
        before.name,
        before.tags,
        before.note,
        before.events,
    )


def test_an_unknown_run_is_404_json(editing: Any) -> None:
    answer = post(editing, "/api/runs/ffffffffffff/rename", {"name": "x"})
    assert answer.status_code == 404
    assert "ffffffffffff" in answer.json()["error"]


def test_a_running_run_is_not_deleted(editing: Any, store_url: str) -> None:
    import time

    store = open_store(store_url)
    store.create_run(run_id="b" * 32, name="live", started_at=time.time(), source=Source())
    store.heartbeat("b" * 32, time.time())
    store.close()
    assert read(store_url, "b" * 32).status is RunStatus.RUNNING
    answer = post(editing, f"/api/runs/{'b' * 32}/delete", {})
    assert answer.status_code == 400
    assert "still RUNNING" in answer.json()["error"]
    assert read(store_url, "b" * 32).deleted_at is None


@pytest.mark.parametrize(
    "headers",
    [
        {CSRF_HEADER: ""},  # no CSRF token
        {CSRF_HEADER: "0" * 64},  # a wrong one
        {CSRF_HEADER: csrf_token("another-apps-token")},
        {"origin": "http://evil.example"},  # the right token from a foreign page
        {"origin": "http://127.0.0.1:5758"},  # another port is another origin
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
    ],
)
def test_a_post_failing_the_csrf_check_is_403_and_changes_nothing(
    editing: Any, seeded: tuple[str, str], headers: dict[str, str]
) -> None:
    url, run_id = seeded
    answer = post(editing, f"/api/runs/{run_id}/rename", {"name": "pwned"}, **headers)
    assert answer.status_code == 403
    assert "CSRF check failed" in answer.json()["error"]
    assert read(url, run_id).name == "first"
    assert read(url, run_id).events == ()


def test_the_csrf_token_is_never_read_from_the_body(editing: Any, seeded: tuple[str, str]) -> None:
    # a form on another site can put anything in a body, but cannot set a header
    url, run_id = seeded
    answer = editing.post(
        f"/api/runs/{run_id}/rename",
        data={"name": "pwned", "csrf": csrf_token(None), CSRF_HEADER: csrf_token(None)},
    )
    assert answer.status_code == 403
    assert read(url, run_id).name == "first"


def test_a_body_that_is_not_a_form_is_400(editing: Any, seeded: tuple[str, str]) -> None:
    _, run_id = seeded
    answer = editing.post(
        f"/api/runs/{run_id}/rename",
        content=b'{"name": "x"}',
        headers={"content-type": "application/json", CSRF_HEADER: csrf_token(None)},
    )
    assert answer.status_code == 400
    assert "application/json" in answer.json()["error"]


def test_without_allow_edit_the_routes_do_not_exist_and_no_control_shows(
    seeded: tuple[str, str],
) -> None:
    url, run_id = seeded
    with client(url) as read_only:
        assert read_only.app.state.editor is None  # nothing in the app can write
        for action in ("rename", "tags", "note", "delete", "restore"):
            answer = post(read_only, f"/api/runs/{run_id}/{action}", {"name": "x", "note": "x"})
            assert answer.status_code in (404, 405), action
        page = read_only.get("/")
        assert 'data-edit="no"' in page.text
        assert "edit.js" not in page.text
    assert read(url, run_id).name == "first"
    assert read(url, run_id).events == ()


def test_the_edit_controls_show_hostile_text_as_text() -> None:
    from nbtrack.model import Run
    from nbtrack.ui.templating import environment

    probe = "<script>alert(1)</script><img src=x onerror=alert(1)>\x1b[31m"
    run = Run(
        id="c" * 32,
        name=probe,
        status=RunStatus.FINISHED,
        started_at=0.0,
        ended_at=1.0,
        heartbeat_at=1.0,
        tags={probe: "javascript:alert(1)"},
        note=probe,
    )
    html = environment().get_template("_edit_run.html.j2").render(run=run)
    assert "<script>" not in html
    assert "<img" not in html
    assert "\x1b" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html
    assert 'data-run="' + "c" * 32 + '"' in html


def test_a_note_of_several_lines_comes_back_into_the_textarea_as_lines(
    seeded: tuple[str, str], editing: Any
) -> None:
    url, run_id = seeded
    note = "first line <b>bold?</b>\nsecond line"
    assert post(editing, f"/api/runs/{run_id}/note", {"note": note}).status_code == 200
    page = editing.get(f"/runs/{run_id}").text
    # the newline is kept (saving the form again must not store a literal "\n"),
    # the markup is text
    expected = "first line &lt;b&gt;bold?&lt;/b&gt;\nsecond line</textarea>"
    assert expected in page
    assert read(url, run_id).note == note
