"""Runs for the run page's tests, written straight through the store's write path.

``hostile_run`` is a run with everything a run can carry, every piece of
text a probe (``<script>``, ``<img onerror>``, ``javascript:``, a terminal
escape) and its metrics NaN and ±inf: what the page must show as text
without firing anything.
"""

from __future__ import annotations

import http.client
import time
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Param,
    ParamSource,
    RunEvent,
    RunStatus,
    Source,
)
from nbtrack.store.base import Store
from tests.helpers.ui import UiServer
from tests.integration.compare.report_runs import png

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JS_LINK = "javascript:alert(3)"
ESC = "\x1b[31mred\x1b[0m"
PROBES = (SCRIPT, IMG, JS_LINK)

#: a py:percent snapshot whose cells carry the probes; cell 3 is the one that fails
SNAPSHOT = f"""# %% [markdown]
# Training {IMG}

# %%
lr = 0.1  # {SCRIPT}

# %%
raise ValueError("{JS_LINK}")
"""

SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert("svg")</script>'
    b'<rect width="10" height="10"/></svg>'
)
HTML_WITH_SCRIPT = b"<html><body><script>alert('html')</script>hello</body></html>"

#: the three images of one figure series, and their colours
EPOCHS = {
    "cm_epoch1.png": (200, 40, 40),
    "cm_epoch2.png": (40, 160, 40),
    "cm_epoch3.png": (40, 40, 200),
}


def put_artifact(
    store: Store, run_id: str, name: str, data: bytes, media_type: str, at: float
) -> Artifact:
    """*data* stored as *run_id*'s artifact *name*."""
    digest, size, uri = store.put_artifact_bytes(data)
    artifact = Artifact(name, digest, size, media_type, uri, at)
    store.add_artifact(run_id, artifact)
    return artifact


def hostile_run(store: Store, *, started: float | None = None) -> str:
    """A finished run with every section filled with probes; its full id."""
    run_id = uuid.uuid4().hex
    t0 = started if started is not None else time.time() - 600
    store.create_run(
        run_id=run_id,
        name=f"{SCRIPT} {IMG}",
        started_at=t0,
        tags={"probe": IMG, JS_LINK: SCRIPT, "term": ESC},
        source=Source(path="notebooks/train.ipynb", snapshot=SNAPSHOT),
        git=GitState(
            commit="c0ffee" + "1" * 34,
            branch=f"feature/{SCRIPT}",
            dirty=True,
            diff=f"--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-lr = 1\n+lr = 0.1  # {SCRIPT}\n",
            diff_truncated=True,
            remote="https://ana:s3cr3tT0ken@git.example.com/team/repo.git",
        ),
        environment=Environment(
            python="3.12.1",
            platform="Linux",
            host="gpu-1",
            user="ana",
            cwd="/home/ana/project",
            argv=("python", "-m", "nbtrack", "run", IMG),
            packages={"numpy": "2.1.0", "torch": "2.5.0", f"evil{SCRIPT}": IMG},
        ),
    )
    store.log_params(
        run_id,
        [
            Param("lr", 0.1, ParamSource.CLI),
            Param("comment", SCRIPT, ParamSource.NOTEBOOK),
            Param("link", JS_LINK, ParamSource.FILE),
            Param(IMG, {"nested": [1, IMG]}, ParamSource.CODE),
        ],
    )
    rows = [("loss", v, s, t0 + s) for s, v in enumerate([1.0, 0.5, float("nan")])]
    rows += [("ratio", v, s, t0 + s) for s, v in enumerate([1.0, float("inf")])]
    rows += [("margin", v, s, t0 + s) for s, v in enumerate([0.0, float("-inf"), -2.0])]
    rows += [(f"acc{SCRIPT}", v, s, t0 + s) for s, v in enumerate([0.5, 0.75, 0.875])]
    store.log_metrics(run_id, rows)
    store.add_data_ref(
        run_id, DataRef(f"data/{IMG}.csv", "file", "sha256:" + "ab" * 32, 2048, {}, t0)
    )
    for k, (name, colour) in enumerate(EPOCHS.items()):
        put_artifact(store, run_id, name, png(64, 48, colour), "image/png", t0 + k)
    put_artifact(store, run_id, f"{IMG}.png", png(40, 40, (230, 170, 0)), "image/png", t0 + 4)
    put_artifact(store, run_id, "figure.svg", SVG_WITH_SCRIPT, "image/svg+xml", t0 + 5)
    put_artifact(store, run_id, "report.html", HTML_WITH_SCRIPT, "text/html", t0 + 6)
    put_artifact(store, run_id, "notes/readme.txt", f"{SCRIPT}\n".encode(), "text/plain", t0 + 7)
    event = {"exception": "ValueError", "message": JS_LINK + IMG, "cell": 3, "execution_count": 2}
    store.add_event(run_id, RunEvent("cell_error", t0 + 8, event))
    store.set_note(run_id, f"first line {SCRIPT}\nsecond line {IMG}")
    store.end_run(run_id, RunStatus.FAILED, t0 + 95.5)
    return run_id


def plain_run(
    store: Store,
    name: str | None,
    *,
    started: float,
    notebook: str | None = "notebooks/train.ipynb",
    metrics: Sequence[float] = (),
    status: RunStatus | None = RunStatus.FINISHED,
) -> str:
    """A small run of *notebook* (left RUNNING with *status* None); its full id."""
    run_id = uuid.uuid4().hex
    store.create_run(
        run_id=run_id,
        name=name,
        started_at=started,
        source=Source(path=notebook, snapshot="x = 1\n"),
    )
    if metrics:
        store.log_metrics(run_id, [("loss", v, s, started + s) for s, v in enumerate(metrics)])
    if status is not None:
        store.end_run(run_id, status, started + 10)
    return run_id


def fetch(server: UiServer, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET *path* exactly as written (not normalised, no redirect followed)."""
    parts = urlsplit(server.base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def get(server: UiServer, path: str) -> tuple[int, dict[str, str], str]:
    """:func:`fetch` with the body as text."""
    status, headers, body = fetch(server, path)
    return status, headers, body.decode("utf-8", "replace")
