"""A PostgreSQL role made with docs/store.md's "Read-only access" SQL reads everything
(runs, show, report, the UI's pages and artifacts) and is refused every write in one
sentence, exit 2; opening the store as it writes nothing. A real PostgreSQL server.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.config import load_settings
from nbtrack.model import Artifact, Param, RunStatus
from nbtrack.store import open_store
from tests.conftest import PgServer
from tests.helpers.cli import nbtrack

pytestmark = pytest.mark.postgres

DOCS = Path(__file__).resolve().parents[3] / "docs" / "store.md"
RUNS = ("a" * 32, "b" * 32)


def docs_sql() -> list[str]:
    """The statements of the sql block under docs/store.md's "## Read-only access"."""
    page = DOCS.read_text(encoding="utf-8")
    section = page.split("## Read-only access", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert block is not None, "docs/store.md lost its Read-only access SQL"
    lines = [line for line in block.group(1).splitlines() if not line.startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


@pytest.fixture
def reader_url(
    pg_server: PgServer, pg_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The store of *project_root* with two runs and an artifact, and the URL of a role
    that the docs' SQL made read-only (the working directory is the project)."""
    import psycopg

    monkeypatch.setenv("NBTRACK_STORE", pg_url)
    monkeypatch.chdir(project_root)
    with open_store(settings=load_settings(project_root)) as store:
        for i, run_id in enumerate(RUNS):
            store.create_run(run_id=run_id, name=f"run-{i}", started_at=1_700_000_000.0 + i)
            store.log_params(run_id, [Param("lr", 0.1 * (i + 1))])
            store.log_metrics(run_id, [("acc", 0.5 + i / 10, 0, 1_700_000_001.0 + i)])
            store.set_tags(run_id, {"team": "ml"})
            digest, size, uri = store.put_artifact_bytes(b"x,y\n1,2\n")
            store.add_artifact(
                run_id, Artifact("table.csv", digest, size, "text/csv", uri, 1_700_000_002.0)
            )
            store.end_run(run_id, RunStatus.FINISHED, 1_700_000_010.0 + i)
    database = pg_url.rsplit("/", 1)[1]
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        host=pg_server.host, port=pg_server.port, user=pg_server.user, dbname=database,
        autocommit=True,
    ) as admin:  # fmt: skip
        for statement in docs_sql():
            admin.execute(
                statement.replace("nbtrack_reader", role)
                .replace("DATABASE experiments", f'DATABASE "{database}"')
                .replace("FOR ROLE ana", f"FOR ROLE {pg_server.user}")
            )
    yield f"postgresql+psycopg://{role}@{pg_server.host}:{pg_server.port}/{database}"
    with psycopg.connect(
        host=pg_server.host, port=pg_server.port, user=pg_server.user, dbname=database,
        autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(f"DROP OWNED BY {role}")
    with pg_server.admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_the_docs_sql_makes_a_role_that_reads_runs_show_and_report(
    reader_url: str, tmp_path: Path
) -> None:
    env = {"NBTRACK_STORE": reader_url}
    code, out, err = nbtrack("runs", "--format", "json", env=env)
    assert code == 0, err
    assert sorted(r["id"] for r in json.loads(out)) == sorted(RUNS)
    code, out, err = nbtrack("show", RUNS[0][:8], env=env)
    assert (code, "table.csv" in out) == (0, True), err
    report = tmp_path / "report.html"
    code, _, err = nbtrack("report", "--where", "status = FINISHED", "-o", str(report), env=env)
    assert code == 0, err
    html = report.read_text(encoding="utf-8")
    assert "run-0" in html
    assert "run-1" in html
    with open_store(reader_url) as store:  # opening as the reader writes nothing
        assert len(store.list_runs()) == 2


def test_the_ui_serves_runs_a_run_and_an_artifact_to_the_read_only_role(reader_url: str) -> None:
    from starlette.testclient import TestClient

    from nbtrack.ui.app import create_app
    from nbtrack.ui.config import UiConfig

    with TestClient(create_app(UiConfig(store_url=reader_url))) as client:
        listing = client.get("/")
        assert listing.status_code == 200
        assert "run-0" in listing.text
        assert "run-1" in listing.text
        page = client.get(f"/runs/{RUNS[1]}")
        assert page.status_code == 200
        assert "table.csv" in page.text
        artifact = client.get(f"/runs/{RUNS[1]}/artifacts/table.csv")
        assert artifact.status_code == 200
        assert artifact.content == b"x,y\n1,2\n"


@pytest.mark.parametrize(
    "args",
    [("tag", RUNS[0][:8], "owner=ana"), ("note", RUNS[0][:8], "a note"), ("rm", RUNS[0][:8])],
)
def test_writes_as_the_read_only_role_are_one_sentence_and_exit_2(
    reader_url: str, args: tuple[str, ...]
) -> None:
    code, out, err = nbtrack(*args, env={"NBTRACK_STORE": reader_url})
    assert code == 2, out + err
    assert "Traceback" not in err
    (line,) = [text for text in err.splitlines() if text.strip()]
    assert line.startswith("Error: The PostgreSQL role 'reader_"), line
    assert "permission denied" in line
    assert "Read-only access" in line


def test_a_new_run_as_the_read_only_role_fails_cleanly(
    reader_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbtrack as api
    from nbtrack.errors import StoreError

    monkeypatch.setenv("NBTRACK_STORE", reader_url)
    with pytest.raises(StoreError, match="may not do this on the store"):
        api.start_run(name="not allowed", settings=load_settings())
    assert api.active_run() is None
