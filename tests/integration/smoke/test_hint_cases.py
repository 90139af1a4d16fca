"""Hints for failures a clean run meets in other people's notebooks, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.notebooks import code, kernel, write_notebook

from .conftest import Invoke


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_notebook_using_the_kernel_object_is_told_to_use_the_kernel_engine(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "comm.ipynb",
        code("x = 1", count=1),
        code("session = get_ipython().kernel.session\nprint(type(session).__name__)", count=2),
        kernelspec=kernel("python3", "python", "Python 3"),
    )

    out = nbtrack_cli("smoke", "comm.ipynb")

    assert out.exit_code == 1, out.text
    assert "hint: the notebook uses get_ipython().kernel, which only a Jupyter kernel has" in (
        _one_line(out.stdout)
    )
    assert "nbtrack smoke --engine kernel" in _one_line(out.stdout)


@pytest.mark.kernel
@pytest.mark.slow
def test_the_engine_the_hint_suggests_runs_that_notebook(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "comm.ipynb",
        code("session = get_ipython().kernel.session\nprint(type(session).__name__)", count=1),
        kernelspec=kernel("python3", "python", "Python 3"),
    )

    out = nbtrack_cli("smoke", "--engine", "kernel", "comm.ipynb")

    assert out.exit_code == 0, out.text


def test_a_process_killed_by_its_own_cell_names_the_killing_line(project: Path) -> None:
    from nbtrack.smoke.options import SmokeOptions, project_smoke_config
    from nbtrack.smoke.runner import run_notebook

    path = write_notebook(
        project / "kill.ipynb",
        code("x = 1", count=1),
        code(
            "import os\nimport signal\n\nfor step in range(3):\n    x += step\n"
            "os.kill(os.getpid(), signal.SIGKILL)\nprint('never')",
            count=2,
        ),
        code("print('never either')", count=3),
    )

    result = run_notebook(path, SmokeOptions(), project_smoke_config(project))

    failure = result.failure
    assert failure is not None
    assert (failure.ename, failure.cell, failure.line) == ("ProcessDied", 1, 6)
    assert failure.excerpt[-1] == (6, "os.kill(os.getpid(), signal.SIGKILL)")
    assert failure.hint is not None
    assert failure.hint.startswith("line 6 sends a signal, and the notebook runs as this one")


def _closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("source", "reached"),
    [
        (
            "import urllib.request\n"
            "data = urllib.request.urlopen('https://data.nbtrack-test.invalid/train.csv')",
            " (it could not reach data.nbtrack-test.invalid)",
        ),
        (
            "import requests\n"
            "response = requests.get('https://data.nbtrack-test.invalid/train.csv', timeout=5)",
            " (it could not reach data.nbtrack-test.invalid)",
        ),
        (
            "import socket\nsocket.create_connection(('data.nbtrack-test.invalid', 443), 5)",
            "",
        ),
    ],
    ids=["urllib", "requests", "socket"],
)
def test_a_download_that_cannot_connect_says_the_notebook_needs_the_network(
    project: Path, nbtrack_cli: Invoke, source: str, reached: str
) -> None:
    write_notebook(project / "fetch.ipynb", code(source, count=1))

    out = nbtrack_cli("smoke", "fetch.ipynb")

    assert out.exit_code == 1, out.text
    assert f"hint: the notebook needs the network{reached}:" in _one_line(out.stdout)


def test_a_refused_connection_to_this_machine_says_no_server_was_started(
    project: Path, nbtrack_cli: Invoke
) -> None:
    port = _closed_port()
    write_notebook(
        project / "api.ipynb",
        code(f"import urllib.request\nurllib.request.urlopen('http://localhost:{port}/')", count=1),
    )

    out = nbtrack_cli("smoke", "api.ipynb")

    assert out.exit_code == 1, out.text
    assert (
        "hint: the notebook connects to a server on localhost, and nothing started one here."
        in _one_line(out.stdout)
    )


def test_a_missing_file_above_the_notebook_folder_says_the_notebook_reads_outside_it(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(
        project / "notebooks" / "plot.ipynb",
        code("from pathlib import Path\nlogo = Path('../assets/logo.png').read_bytes()", count=1),
    )

    out = nbtrack_cli("smoke", "--json", "-", "notebooks/plot.ipynb")

    assert out.exit_code == 1, out.text
    text = json.loads(out.stdout[: out.stdout.rindex("}") + 1])["results"][0]["failure"]["hint"]
    assert (
        f"../assets/logo.png climbs out of the notebook's folder, to "
        f"{(project / 'assets' / 'logo.png').resolve()}, and nothing is there" in text
    )
    assert "the CI checkout or working directory must have it at that place too" in text
