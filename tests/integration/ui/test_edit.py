"""``nbtrack ui --allow-edit`` in the real server and Chromium: the run page's edit controls.

A round trip (rename, tag, untag, note, a refused empty name shown inline,
delete, restore) on SQLite and on PostgreSQL, each change an event of the
run; probes typed into the controls show as text; a form on another origin
posting to the server is refused (403) and changes nothing; without
``--allow-edit`` no control is shown and a POST from the page finds no route.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import nbtrack.ui
from nbtrack.compare.reader import Reader
from nbtrack.store import open_store
from tests.helpers.comparison import add_run
from tests.helpers.ui import UiServer, Watched, screenshot

pytestmark = pytest.mark.browser

PROBE = "<img src=x onerror=alert(1)>"
STATIC = Path(nbtrack.ui.__file__).parent / "static"
#: the run page loads the charts lane's charts.js/.css: until that lane's branch is
#: merged they are 404s (a console error each); once they exist nothing is excused
NOT_YET = (
    ("charts.js", "charts.css", "404 (Not Found)") if not (STATIC / "charts.js").exists() else ()
)
SCRIPT = "<script>alert(1)</script>"


def seed(url: str) -> str:
    store = open_store(url)
    run_id = add_run(store, "first", params={"lr": 0.1}, metrics={"loss": [1.0, 0.5]})
    store.set_tags(run_id, {"team": "vision"})
    store.close()
    return run_id


def stored(url: str, run_id: str) -> Any:
    with Reader(open_store(url, create=False)) as reader:
        return reader.run(run_id)


def submit(page: Any, form: str) -> None:
    """Submit *form* and wait for the page to reload with the change."""
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()


def open_controls(page: Any) -> None:
    """Unfold the edit panel (it is folded on a first visit, open again after an edit)."""
    if page.locator("#edit-run[open]").count() == 0:
        page.locator("#edit-run > summary").click()
    expect(page.locator("#edit-name")).to_be_visible()


def test_the_edit_controls_round_trip_each_change_an_event(
    store_url: str, context: Any, project_root: Path
) -> None:
    run_id = seed(store_url)
    with UiServer.start(store_url, "--allow-edit", cwd=project_root) as server:
        assert "(editing allowed)" in server.lines[0]
        watched = Watched.open(context, server.base)
        page = watched.page
        assert page.goto(f"{server.base}runs/{run_id}").status == 200
        open_controls(page)

        page.fill("#edit-name", f"v2 {PROBE}")
        submit(page, "#edit-rename")
        expect(page.locator("#run-name")).to_have_text(f"v2 {PROBE}")
        expect(page.locator("#edit-run")).to_have_attribute("open", "")  # still at hand

        open_controls(page)
        page.fill("#edit-tag-key", "stage")
        page.fill("#edit-tag-value", SCRIPT)
        submit(page, "#edit-tag")
        expect(page.locator("#run-tags")).to_contain_text(f"stage={SCRIPT}")

        open_controls(page)
        with page.expect_navigation():
            page.locator('button.edit-remove-tag[data-key="team"]').click()
        expect(page.locator("#run-tags")).not_to_contain_text("team")

        open_controls(page)
        page.fill("#edit-note-text", f"lr too high {SCRIPT}")
        submit(page, "#edit-note")
        expect(page.locator("pre.note")).to_contain_text(f"lr too high {SCRIPT}")

        # a refusal is one sentence shown inline; the page stays as it was
        open_controls(page)
        page.fill("#edit-name", "   ")
        page.locator("#edit-rename button[type=submit]").click()
        expect(page.locator("#edit-error")).to_be_visible()
        expect(page.locator("#edit-error")).to_contain_text("A run name cannot be empty")
        expect(page.locator("#run-name")).to_have_text(f"v2 {PROBE}")
        screenshot(page, "edit-controls-refusal")

        with page.expect_navigation():
            page.click("#edit-delete")
        expect(page.locator(".deleted-banner")).to_be_visible()
        open_controls(page)
        with page.expect_navigation():
            page.click("#edit-restore")
        expect(page.locator(".deleted-banner")).to_have_count(0)
        open_controls(page)
        screenshot(page, "edit-controls-after-round-trip")
        watched.assert_clean(allowed_errors=["400 (Bad Request)", *NOT_YET])

    run = stored(store_url, run_id)
    assert run.name == f"v2 {PROBE}"
    assert run.tags == {"stage": SCRIPT}
    assert run.note == f"lr too high {SCRIPT}"
    assert run.deleted_at is None
    kinds = [e.kind for e in run.events]
    assert kinds == ["renamed", "tagged", "tagged", "noted", "deleted", "restored"]


@pytest.fixture
def foreign_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Another origin (a plain HTTP server on another port) serving files of a folder."""
    root = tmp_path / "foreign"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()


def test_a_form_on_another_origin_cannot_edit_a_run(
    sqlite_url: str, context: Any, tmp_path: Path, foreign_site: tuple[str, Path]
) -> None:
    run_id = seed(sqlite_url)
    origin, root = foreign_site
    with UiServer.start(sqlite_url, "--allow-edit", cwd=tmp_path) as server:
        target = f"{server.base}api/runs/{run_id}/rename"
        (root / "evil.html").write_text(
            "<!doctype html><form id=f method=POST action='" + target + "'>"
            "<input name=name value=pwned><input name=csrf value=guess></form>"
            "<script>document.getElementById('f').submit()</script>"
        )
        (root / "evil-fetch.html").write_text(
            "<!doctype html><script>fetch('" + target + "', {method: 'POST', mode: 'no-cors',"
            " headers: {'content-type': 'application/x-www-form-urlencoded'},"
            " body: 'name=pwned2'}).then(() => document.title = 'sent')</script>"
        )
        page = context.new_page()
        with page.expect_response(target) as answer:
            page.goto(origin + "evil.html")
        assert answer.value.status == 403
        page.goto(origin + "evil-fetch.html")
        expect(page).to_have_title("sent")
    run = stored(sqlite_url, run_id)
    assert run.name == "first"
    assert run.events == ()


def test_without_allow_edit_there_is_no_control_and_no_route(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    run_id = seed(sqlite_url)
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        assert "(read-only)" in server.lines[0]
        watched = Watched.open(context, server.base)
        page = watched.page
        assert page.goto(f"{server.base}runs/{run_id}").status == 200
        expect(page.locator("#run-name")).to_have_text("first")
        assert page.locator("#edit-run").count() == 0
        assert page.locator("form").count() == 0 or page.locator("#edit-rename").count() == 0
        status = page.evaluate(
            """async (id) => {
                try { await nbtrack.post('/api/runs/' + id + '/rename', {name: 'x'}); return 'ok'; }
                catch (err) { return err.message; }
            }""",
            run_id,
        )
        assert status in ("Not Found", "Method Not Allowed")
        watched.assert_clean(
            allowed_errors=["404 (Not Found)", "405 (Method Not Allowed)", *NOT_YET]
        )
    assert stored(sqlite_url, run_id).name == "first"


@pytest.mark.postgres
def test_a_select_only_postgresql_role_serves_the_read_only_ui_and_refuses_edits(
    pg_url: str, context: Any, project_root: Path
) -> None:
    import uuid

    import sqlalchemy as sa

    run_id = seed(pg_url)
    url = sa.make_url(pg_url)
    role = f"viewer_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        for statement in (
            f"CREATE ROLE {role} LOGIN",
            f'GRANT CONNECT ON DATABASE "{url.database}" TO {role}',
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        ):
            connection.exec_driver_sql(statement)
    engine.dispose()
    viewer = url.set(username=role).render_as_string(hide_password=False)
    with UiServer.start(viewer, cwd=project_root) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        assert page.goto(server.base).status == 200
        assert page.goto(f"{server.base}runs/{run_id}").status == 200
        expect(page.locator("#run-name")).to_have_text("first")
        watched.assert_clean(allowed_errors=NOT_YET)
    with UiServer.start(viewer, "--allow-edit", cwd=project_root) as server:
        page = context.new_page()
        assert page.goto(f"{server.base}runs/{run_id}").status == 200
        open_controls(page)
        page.fill("#edit-name", "renamed")
        page.locator("#edit-rename button[type=submit]").click()
        expect(page.locator("#edit-error")).to_be_visible()
        expect(page.locator("#edit-error")).to_contain_text("permission denied")
    assert stored(pg_url, run_id).name == "first"
