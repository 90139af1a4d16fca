"""What ``nbtrack run`` writes and says: printed output streamed, -o errors, duration, command."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.notebooks import PYTHON3, code, write_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

MB = 1_000_000


def _peak_rss_mib(folder: Path, *args: str) -> tuple[float, int]:
    """(peak RSS in MiB of ``nbtrack run`` and its kernel, exit status)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "run", *args],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)  # the largest process of the tree it waited for
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, proc.returncode


def test_a_cell_printing_100_mb_is_streamed_to_the_executed_notebook_in_flat_memory(
    tmp_path: Path, store_file: Path
) -> None:
    printed = 100
    write_notebook(tmp_path / "quiet.ipynb", "x = 1", "y = 2", kernelspec=PYTHON3)
    write_notebook(
        tmp_path / "loud.ipynb",
        "x = 1",
        f"line = 'x' * 99\nfor i in range({printed * MB // 100}):\n    print(line)\nprint('last')",
        kernelspec=PYTHON3,
    )

    anchor, quiet_status = _peak_rss_mib(tmp_path, "quiet.ipynb")
    peak, loud_status = _peak_rss_mib(tmp_path, "loud.ipynb", "-o", "out.ipynb")

    assert (quiet_status, loud_status) == (0, 0)
    # before: about five times what was printed (100 MB -> +516 MiB); now only the
    # kernel's own buffers grow a little (benchmarks/bench_run_output.py)
    assert peak - anchor < printed, (anchor, peak)
    executed = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    (stream,) = executed["cells"][1]["outputs"]
    text = "".join(stream["text"])
    assert (stream["output_type"], stream["name"]) == ("stream", "stdout")
    assert len(text) == printed * MB + len("last\n")
    assert text.endswith("x\nlast\n")


def test_outputs_keep_their_order_and_the_executed_notebook_is_valid(
    tmp_path: Path, store_file: Path
) -> None:
    import nbformat

    write_notebook(
        tmp_path / "mixed.ipynb",
        "import sys\nfrom IPython.display import display, Markdown\n"
        "print('one')\nprint('two', flush=True)\nprint('oops', file=sys.stderr, flush=True)\n"
        "display(Markdown('*shown*'))\nprint('three')\n'result'",
        "print('é ✓ \\udcff')",
        kernelspec=PYTHON3,
    )

    done = nbtrack_subprocess("run", "mixed.ipynb", "-o", "out.ipynb", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.language_info.name == "python"  # as Jupyter saves it
    outputs = nb.cells[0].outputs
    assert [(o.output_type, o.get("name")) for o in outputs] == [
        ("stream", "stdout"),
        ("stream", "stderr"),
        ("display_data", None),
        ("stream", "stdout"),
        ("execute_result", None),
    ]
    assert [o.get("text") for o in outputs if o.output_type == "stream"] == [
        "one\ntwo\n",
        "oops\n",
        "three\n",
    ]
    assert nb.cells[1].outputs[0].text.startswith("é ✓ ")


def _limit_memory() -> None:
    # before the fix, -o /dev/full was read back without bound (16 GB)
    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


def test_an_output_file_that_cannot_be_written_is_one_sentence_exit_2_and_the_run_is_kept(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(tmp_path / "nb.ipynb", "print('hello')", kernelspec=PYTHON3)

    done = subprocess.run(
        [sys.executable, "-m", "nbtrack", "run", "nb.ipynb", "-o", "/dev/full"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
    )

    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "Error: cannot write the executed notebook to /dev/full: No space left on device;"
        f" run {done.stdout.strip()[:8]} is FINISHED and keeps the executed notebook as an"
        " artifact.\n"
    )
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FINISHED
    assert [a.name for a in run.artifacts] == ["executed/nb.ipynb"]


def test_the_duration_said_is_the_runs_and_the_command_recorded_is_the_users(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        code("x = 1", tags=["parameters"]),
        "import time\ntime.sleep(1.5)",
        "import subprocess, sys\nchild = subprocess.run([sys.executable, '-c',"
        " 'import nbtrack.tracking.capture as c; print(c.capture_environment().argv)'],"
        " capture_output=True, text=True)\nprint(child.stdout or child.stderr, end='')",
        kernelspec=PYTHON3,
    )

    done = nbtrack_subprocess("run", "nb.ipynb", "-p", "x=2", "-o", "out.ipynb", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    run = read_store(done.stdout.strip())
    said = re.search(r"FINISHED in ([0-9.]+) s", done.stderr)
    assert said is not None, done.stderr
    assert run.ended_at is not None
    assert said.group(1) == f"{run.ended_at - run.started_at:.1f}"
    assert run.environment.argv[1:] == ("run", "nb.ipynb", "-p", "x=2", "-o", "out.ipynb")
    assert Path(run.environment.argv[0]).parts[-2:] == ("nbtrack", "__main__.py")
    # a process a cell starts records its own command, not nbtrack run's
    executed = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    (printed,) = executed["cells"][3]["outputs"]
    assert "".join(printed["text"]) == "('-c',)\n"
