"""``/runs/{id}/artifacts/{name}``: an artifact's bytes, found by its record, never by a path.

Images come inline with their type; SVG, HTML and everything else come as
``attachment`` downloads of ``application/octet-stream`` with ``nosniff``, so
a script in them never runs in the app's origin. Paths that try to climb out
of the artifact root, a name the run never recorded, a record whose file is
gone and a tampered record all get a 404 with one sentence.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from nbtrack.model import Artifact
from nbtrack.store import open_store
from tests.helpers.ui import UiServer, Watched, screenshot
from tests.integration.compare.report_runs import png
from tests.integration.ui.run_page_runs import (
    EPOCHS,
    HTML_WITH_SCRIPT,
    IMG,
    SCRIPT,
    SVG_WITH_SCRIPT,
    fetch,
    get,
    hostile_run,
    put_artifact,
)

pytestmark = pytest.mark.browser


def test_images_come_inline_and_everything_else_as_a_download(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_root)
    store = open_store(store_url)
    run_id = hostile_run(store, started=time.time() - 100)
    big = os.urandom(24 * 2**20)
    put_artifact(store, run_id, "weights.bin", big, "application/octet-stream", time.time())
    evil = 'résumé "final"; x=1.txt'
    put_artifact(store, run_id, evil, b"cv", "text/plain", time.time())
    put_artifact(store, run_id, "new\r\nSet-Cookie: pwned=1.txt", b"x", "text/plain", 0.0)
    run = store.get_run(run_id)
    store.close()
    base = f"/runs/{run_id}/artifacts"
    with UiServer.start(store_url, cwd=project_root) as server:
        status, headers, body = fetch(server, f"{base}/cm_epoch2.png")
        assert status == 200
        assert headers["content-type"] == "image/png"
        assert "content-disposition" not in headers
        assert headers["x-content-type-options"] == "nosniff"
        assert body == png(64, 48, EPOCHS["cm_epoch2.png"])
        assert headers["cache-control"] == "no-cache"
        # with the digest the page puts in its links, the bytes may be kept
        digest = next(a.digest for a in run.artifacts if a.name == "cm_epoch2.png")
        version = digest.removeprefix("sha256:")[:16]
        status, headers, again = fetch(server, f"{base}/cm_epoch2.png?v={version}")
        assert (status, again) == (200, body)
        assert headers["cache-control"] == "private, max-age=31536000, immutable"
        status, headers, _ = fetch(server, f"{base}/cm_epoch2.png?v=0000")  # an old link
        assert (status, headers["cache-control"]) == (200, "no-cache")

        status, headers, body = fetch(server, f"{base}/{quote(IMG + '.png', safe='')}")
        assert (status, headers["content-type"]) == (200, "image/png")

        for name, data in (("figure.svg", SVG_WITH_SCRIPT), ("report.html", HTML_WITH_SCRIPT)):
            status, headers, body = fetch(server, f"{base}/{name}")
            assert status == 200
            assert headers["content-type"] == "application/octet-stream"
            assert headers["content-disposition"] == f'attachment; filename="{name}"'
            assert headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in headers["content-security-policy"]
            assert body == data

        # a big file streams whole
        status, headers, body = fetch(server, f"{base}/weights.bin")
        assert status == 200
        assert headers["content-length"] == str(len(big))
        assert headers["content-disposition"] == 'attachment; filename="weights.bin"'
        assert body == big

        # a name no header may carry as it is: quoted, and no header of its own
        status, headers, body = fetch(server, f"{base}/{quote(evil, safe='')}")
        assert (status, body) == (200, b"cv")
        assert headers["content-disposition"] == (
            "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20%22final%22%3B%20x%3D1.txt"
        )
        # a recorded name with a line break: no route takes it (Starlette's paths are one line)
        status, headers, _ = fetch(server, f"{base}/new%0D%0ASet-Cookie%3A%20pwned%3D1.txt")
        assert status == 404
        assert "set-cookie" not in headers

        # a name with a slash: quoted or not, it is the recorded name
        for path in (f"{base}/notes%2Freadme.txt", f"{base}/notes/readme.txt"):
            status, headers, body = fetch(server, path)
            assert status == 200
            assert headers["content-disposition"] == 'attachment; filename="readme.txt"'
            assert body == f"{SCRIPT}\n".encode()


TRAVERSALS = (
    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "../../../../../../etc/passwd",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "..%252F..%252Fetc%252Fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/runs.db",
    "..%2Fruns.db",
    "../runs.db",
    "..",
    "sha256",
    "",
)


def test_paths_that_climb_out_or_were_never_recorded_are_404s(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    run_id = hostile_run(store, started=time.time() - 100)
    digest = next(a for a in store.get_run(run_id).artifacts if a.name == "report.html").digest
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        for tail in TRAVERSALS:
            status, _, body = fetch(server, f"/runs/{run_id}/artifacts/{tail}")
            assert status == 404, tail
            assert b"root:" not in body, tail
            assert b"SQLite format" not in body, tail
        # the stored file's own address is not a name either
        hexdigest = digest.removeprefix("sha256:")
        status, _, body = fetch(
            server, f"/runs/{run_id}/artifacts/sha256%2F{hexdigest[:2]}%2F{hexdigest}"
        )
        assert status == 404
        assert b"has no artifact named" in body

        status, _, text = get(server, f"/runs/{run_id}/artifacts/model.pkl")
        assert status == 404
        assert f"Run {run_id} has no artifact named &#39;model.pkl&#39;." in text

        status, _, text = get(server, "/runs/feedfacefeedface/artifacts/cm_epoch1.png")
        assert status == 404
        assert "feedfacefeedface" in text


def test_a_missing_file_and_a_tampered_record_are_404s_with_a_sentence(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    run_id = hostile_run(store, started=time.time() - 100)
    run = store.get_run(run_id)
    svg = next(a for a in run.artifacts if a.name == "figure.svg")
    store.artifact_path(svg).unlink()
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    # a record pointing outside the root: relative, absolute, and through a symlink
    outside = Path(store.artifact_path(svg)).parent / "link"
    outside.symlink_to(secret)
    rows = {
        "escape.txt": "../../../secret.txt",
        "absolute.txt": str(secret),
        "symlink.txt": str(outside.relative_to(store.artifact_path(_root(svg)))),
    }
    for name in rows:
        store.add_artifact(run_id, Artifact(name, svg.digest, 10, "text/plain", "sha256/x/y"))
    store.close()
    db = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as connection:
        for name, uri in rows.items():
            connection.execute("UPDATE artifacts SET uri = ? WHERE name = ?", (uri, name))
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        status, _, text = get(server, f"/runs/{run_id}/artifacts/figure.svg")
        assert status == 404
        assert f"The file of artifact &#39;figure.svg&#39; of run {run_id} is missing" in text
        for name in rows:
            status, _, text = get(server, f"/runs/{run_id}/artifacts/{name}")
            assert status == 404, name
            assert "root:x" not in text
            assert f"Artifact &#39;{name}&#39; of run {run_id} is not in the store." in text


def _root(artifact: Artifact) -> Artifact:
    from dataclasses import replace

    return replace(artifact, uri="")


def test_in_the_browser_an_svg_or_html_artifact_downloads_and_runs_nothing(
    sqlite_url: str, context: Any, tmp_path: Path
) -> None:
    store = open_store(sqlite_url)
    run_id = hostile_run(store, started=time.time() - 100)
    store.close()
    with UiServer.start(sqlite_url, cwd=tmp_path) as server:
        watched = Watched.open(context, server.base)
        page = watched.page
        page.goto(f"{server.base}runs/{run_id}#artifacts")
        for name, data in (("figure.svg", SVG_WITH_SCRIPT), ("report.html", HTML_WITH_SCRIPT)):
            with page.expect_download() as caught:
                page.locator("table.artifacts td.name a", has_text=name).click()
            download = caught.value
            assert download.suggested_filename == name
            assert Path(download.path()).read_bytes() == data
        assert page.url == f"{server.base}runs/{run_id}#artifacts"  # never navigated away
        screenshot(page, "run-page-artifacts")
        watched.assert_clean()
