"""Secrets given to ``nbtrack run`` or a tracked script reach the code, never a stored record.

A real kernel (``nbtrack run -p api_token=...``) and a real script process
(``python train.py --password ...``); every file of the store, its
artifacts and the executed notebook is scanned for the secret afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.notebooks import PYTHON3, code, write_notebook
from tests.helpers.runs import params_of
from tests.helpers.secrets import leaks

PARAMETERS = "api_token = 'default-token'\nendpoint = 'https://h/'\nlr = 0.1"
NOTEBOOK_PARAMS = "%%track_params\ndb_password = 'hunter2-nb'\nbatch = 3"
# the kernel ran the real values: the run FINISHES only if these hold (the
# secrets spelled backwards, so this cell holds none of them)
CHECK = (
    "assert api_token[::-1] == '1-kot-ilc'\n"
    "assert endpoint[::-1] == '/h@wp-lru-ilc:ana//:sptth'\n"
    "assert db_password[::-1] == 'bn-2retnuh'"
)


@pytest.mark.kernel
@pytest.mark.slow
def test_nbtrack_run_stores_and_writes_injected_and_notebook_secrets_redacted(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    write_notebook(
        tmp_path / "train.ipynb",
        code(PARAMETERS, tags=["parameters"]),
        NOTEBOOK_PARAMS,
        CHECK,
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess(
        "run", "train.ipynb", "-p", "api_token=cli-tok-1",
        "-p", "endpoint=https://ana:cli-url-pw@h/", "-p", "lr=0.5",
        "--tag", "api_key=tag-key-2", "-o", "out.ipynb",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = read_store()
    assert run.status is RunStatus.FINISHED  # the kernel had the real values

    secrets = ["cli-tok-1", "cli-url-pw", "hunter2-nb", "tag-key-2"]
    assert leaks([store_file.parent, tmp_path / "out.ipynb"], secrets) == []
    cells = [
        "".join(c["source"]) for c in json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    ]
    assert cells[1] == (
        "# Parameters injected by nbtrack\n"
        "api_token = '***'\nendpoint = 'https://ana:***@h/'\nlr = 0.5\n"
    )
    assert cells[2] == "%%track_params\ndb_password = '***'\nbatch = 3"
    assert cells[3] == CHECK  # no secret in it: as the user wrote it
    assert params_of(run) == {
        "api_token": ("***", "cli"),
        "endpoint": ("https://ana:***@h/", "cli"),
        "lr": (0.5, "cli"),
        "db_password": ("***", "notebook"),
        "batch": (3, "notebook"),
    }
    assert run.tags == {"api_key": "***"}
    assert run.source.snapshot is not None
    assert "db_password = '***'" in run.source.snapshot
    assert "api_token = '***'" in run.source.snapshot


SCRIPT = """import nbtrack

db_password = "hunter2-script"
DB_URL = "postgresql://ana:script-url-pw@db/runs"
nbtrack.log_params({"lr": 0.1, "db": {"url": DB_URL, "password": db_password}})
"""


def test_a_script_run_stores_its_command_line_code_and_params_redacted(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    (tmp_path / "train.py").write_text(SCRIPT)
    command = [sys.executable, "train.py", "--password", "argv-pw", "--api-key=argv-key", "-v"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    secrets = ["hunter2-script", "script-url-pw", "argv-pw", "argv-key"]
    assert leaks([store_file.parent], secrets) == []
    run = read_store()
    assert run.environment.argv == ("train.py", "--password", "***", "--api-key=***", "-v")
    assert run.source.snapshot == SCRIPT.replace("hunter2-script", "***").replace(
        "script-url-pw", "***"
    )
    assert params_of(run)["db"] == (
        {"url": "postgresql://ana:***@db/runs", "password": "***"},
        "code",
    )
