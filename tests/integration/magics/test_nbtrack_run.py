"""``nbtrack run`` end to end: a real kernel, a real git repo, the real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.git import git
from tests.helpers.notebooks import PYTHON3, code, write_notebook
from tests.helpers.runs import params_of

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

PARAMS = "%%track_params\nlr = 0.1\nepochs = 3\nseed = 0"
LOOP = (
    "for epoch in range(epochs):\n"
    "    loss = lr / (epoch + 1)\n"
    "    %track_metrics loss --step {epoch}"
)


@pytest.mark.git
def test_run_records_params_with_sources_metrics_notebook_snapshot_and_git(
    repo: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(repo / "train.ipynb", "%load_ext nbtrack", PARAMS, LOOP, kernelspec=PYTHON3)
    (repo / "params.yaml").write_text("epochs: 2\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "train notebook")
    head = git(repo, "rev-parse", "HEAD")

    done = nbtrack_subprocess(
        "run", "train.ipynb", "-p", "lr=0.5", "-f", "params.yaml",
        "--name", "sweep-1", "--tag", "owner=ana", "-o", "out.ipynb",
        cwd=repo,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    run = read_store()
    assert done.stdout.strip() == run.id
    assert (run.status, run.name, run.tags) == (RunStatus.FINISHED, "sweep-1", {"owner": "ana"})
    assert params_of(run) == {
        "lr": (0.5, "cli"),
        "epochs": (2, "file"),
        "seed": (0, "notebook"),
    }
    (loss,) = run.metrics
    assert (loss.key, loss.count, loss.last_step, loss.last) == ("loss", 2, 1, 0.25)
    assert run.source.path == "train.ipynb"  # relative to the repository root
    assert run.source.snapshot is not None
    # jupytext comments magics out in py:percent text
    assert "# %%\n# %%track_params\nlr = 0.1" in run.source.snapshot
    assert run.source.stale is False
    assert (run.git.commit, run.git.branch) == (head, "main")
    assert [(d.kind, Path(d.path).name) for d in run.data] == [("config", "params.yaml")]
    assert [a.name for a in run.artifacts] == ["executed/train.ipynb"]
    executed = json.loads((repo / "out.ipynb").read_text())
    injected = executed["cells"][2]
    assert "injected-parameters" in injected["metadata"]["tags"]


def test_a_notebook_that_never_calls_nbtrack_is_still_recorded(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    write_notebook(
        tmp_path / "plain.ipynb",
        code("x = 1\nscale = 3\nz = x * scale", tags=["parameters"]),
        "y = x * 2",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "plain.ipynb", "-p", "x=21", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FINISHED
    # a papermill-style parameters cell counts like %%track_params: defaults and injected
    assert params_of(run) == {"x": (21, "cli"), "scale": (3, "notebook")}
    assert run.source.path == "plain.ipynb"
    assert [a.name for a in run.artifacts] == ["executed/plain.ipynb"]


def test_a_type_change_is_warned_and_computed_parameters_are_noted_once(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    write_notebook(
        tmp_path / "plain.ipynb",
        code("x = 1\nscale = 3\nz = x * scale\ntag = f'x{x}'", tags=["parameters"]),
        "y = x * 2",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "plain.ipynb", "-p", "x='ab'", "-o", "out.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "nbtrack: warning: -p x='ab' is a str, but the parameters cell's default for x is an "
        "int (1).\n" in done.stderr
    )
    run = read_store(done.stdout.strip())
    assert params_of(run) == {"x": ("ab", "cli"), "scale": (3, "notebook")}
    cells = json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    said = [
        "".join(output.get("text", ""))
        for cell in cells
        for output in cell.get("outputs", ())
        if "nbtrack note" in "".join(output.get("text", ""))
    ]
    assert said == [
        "nbtrack note: z and tag in the parameters cell (In [1]) are not literal values, so "
        "they are not logged as params; log one with %track_params NAME in a later cell.\n"
    ]


@pytest.mark.git
def test_a_notebook_in_a_subfolder_is_recorded_from_the_repository_root_wherever_it_is_run(
    repo: Path, store_file: Path, read_store: Any
) -> None:
    (repo / "notebooks").mkdir()
    write_notebook(
        repo / "notebooks" / "train.ipynb", PARAMS, "%track_metric loss {lr}", kernelspec=PYTHON3
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "train notebook")

    from_root = nbtrack_subprocess("run", "notebooks/train.ipynb", cwd=repo)
    from_folder = nbtrack_subprocess("run", "train.ipynb", "-p", "lr=0.2", cwd=repo / "notebooks")

    assert from_root.returncode == 0, from_root.stderr
    assert from_folder.returncode == 0, from_folder.stderr
    ids = [from_root.stdout.strip(), from_folder.stdout.strip()]
    for run_id in ids:
        source = read_store(run_id).source
        assert source.path == "notebooks/train.ipynb"
        assert source.snapshot is not None
    where = nbtrack_subprocess(
        "runs", "--where", "notebook = 'notebooks/train.ipynb'", "--format", "json", cwd=repo
    )
    assert where.returncode == 0, where.stderr
    assert sorted(r["id"] for r in json.loads(where.stdout)) == sorted(ids)


@pytest.mark.git
def test_a_notebook_outside_the_project_of_the_working_directory_is_recorded_absolute(
    tmp_path: Path, repo: Path, store_file: Path, read_store: Any
) -> None:
    outside = tmp_path / "scratch"
    outside.mkdir()
    notebook = write_notebook(outside / "eda.ipynb", "x = 1", kernelspec=PYTHON3)
    done = nbtrack_subprocess("run", str(notebook), "--cwd", str(repo), cwd=repo)
    assert done.returncode == 0, done.stderr
    run = read_store(done.stdout.strip())
    assert run.source.path == notebook.as_posix()
    assert run.source.snapshot == "# %%\nx = 1\n"


def test_a_failing_cell_exits_1_naming_it_and_the_run_is_failed(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(
        tmp_path / "fails.ipynb",
        "%load_ext nbtrack",
        PARAMS,
        "%track_metric loss 1 --step 0",
        "raise ValueError('labels and images differ in length')",
        "print('never')",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "fails.ipynb", "-p", "lr=0.2", cwd=tmp_path)
    assert done.returncode == 1
    assert "cell 4 (In [5])" in done.stderr  # the injected cell ran as In [3]
    assert "ValueError: labels and images differ in length" in done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FAILED
    assert [m.key for m in run.metrics] == ["loss"]  # what ran before the error is kept
    (event,) = [e for e in run.events if e.kind == "cell_error"]
    assert event.detail["exception"] == "ValueError"
    assert event.detail["execution_count"] == 5


def test_a_failure_message_stays_on_its_line_of_stderr(tmp_path: Path, store_file: Path) -> None:
    # a notebook's exception text must not start a line (a CI runner's workflow command)
    write_notebook(
        tmp_path / "fails.ipynb",
        "raise ValueError('bad\\n::error::injected\\x1b]0;title\\x07 \\u202eok')",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "fails.ipynb", cwd=tmp_path)
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if "ValueError" in line]
    assert "ValueError: bad\\n::error::injected\\x1b]0;title\\x07 <U+202E>ok" in line
    assert not [line for line in done.stderr.splitlines() if line.strip().startswith("::")]


@pytest.mark.parametrize(
    ("ending", "how"),
    [
        ("import sys\nsys.exit(0)", "SystemExit: 0"),
        ("import sys\nsys.exit(None)", "SystemExit"),
        ("raise SystemExit", "SystemExit"),
        ("exit()", "exit()"),
    ],
)
def test_a_notebook_that_ends_itself_early_is_finished_with_an_event_naming_the_cells_never_run(
    tmp_path: Path, store_file: Path, read_store: Any, ending: str, how: str
) -> None:
    write_notebook(
        tmp_path / "early.ipynb",
        code("lr = 0.1", tags=["parameters"]),
        "x = 1",
        ending,
        "raise RuntimeError('not reached')",
        "y = 2",
        kernelspec=PYTHON3,
    )

    done = nbtrack_subprocess("run", "early.ipynb", "-p", "lr=0.2", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    # the injected parameters cell ran as In [2], so cell 3 ran as In [4]
    said = f"cell 3 (In [4]) ended the notebook with {how}; cells 4, 5 never ran"
    assert f"nbtrack: warning: early.ipynb: {said}." in done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FINISHED
    (event,) = [e for e in run.events if e.kind == "early_exit"]
    assert event.detail == {"cell": 3, "exit": how, "not_run": [4, 5], "message": said}
    assert [e for e in run.events if e.kind == "cell_error"] == []  # it ended, it did not fail


def test_a_notebook_that_exits_non_zero_fails(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(tmp_path / "exits.ipynb", "x = 1", "import sys\nsys.exit(3)", "y = 2")

    done = nbtrack_subprocess("run", "exits.ipynb", cwd=tmp_path)

    assert done.returncode == 1
    assert "cell 2 (In [2]) `import sys` raised SystemExit: 3" in done.stderr
    assert read_store(done.stdout.strip()).status is RunStatus.FAILED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "nope=1"], "does not define 'nope', so -p nope cannot be injected"),
        (["-p", "lr"], "has no '='"),
        (["-f", "list.yaml"], "must hold a mapping"),
        (["-f", "missing.yaml"], "does not exist"),
    ],
)
def test_bad_parameters_exit_2_with_one_sentence_before_any_kernel_starts(
    tmp_path: Path, store_file: Path, args: list[str], message: str
) -> None:
    write_notebook(tmp_path / "nb.ipynb", PARAMS, kernelspec=PYTHON3)
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    done = nbtrack_subprocess("run", "nb.ipynb", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.startswith("Error: ")
    assert "Traceback" not in done.stderr
    assert not store_file.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.ipynb", None, "does not exist"),
        ("broken.ipynb", "{ this is not json", "broken.ipynb"),
    ],
)
def test_a_missing_or_malformed_notebook_exits_2(
    tmp_path: Path, store_file: Path, name: str, content: str | None, message: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    done = nbtrack_subprocess("run", name, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_cell_past_the_timeout_exits_1_naming_it(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(
        tmp_path / "slow.ipynb",
        "x = 1",
        "import time\ntime.sleep(60)",
        "print('never')",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "slow.ipynb", "--timeout", "3", cwd=tmp_path)
    assert done.returncode == 1
    assert "cell 2 (In [2]) `import time` did not finish: CellTimeoutError" in done.stderr
    assert done.stderr.count("\n") == 1  # one sentence, no logs or tracebacks
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FAILED
    assert run.environment.python  # the kernel started the run: a real one, not a stub


def test_the_kernel_log_keeps_real_errors_and_drops_shutdown_noise(
    tmp_path: Path, store_file: Path
) -> None:
    write_notebook(
        tmp_path / "log.ipynb",
        "log = get_ipython().kernel.log",
        "log.error('KeyboardInterrupt caught in kernel.')",
        "log.error('the disk is on fire')",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "log.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0] == "[IPKernelApp] ERROR | the disk is on fire"
    assert lines[1].startswith("nbtrack: run ")
    assert len(lines) == 2  # no TCP notice, no KeyboardInterrupt line


def test_the_kernel_loads_nbtrack_silently_and_binds_no_name_in_the_notebook(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(
        tmp_path / "quiet.ipynb",
        "%load_ext nbtrack",
        "print(sorted(n for n in globals() if 'nbtrack' in n or 'extension' in n.lower()))",
        "%track_metric loss 1",
        kernelspec=PYTHON3,
    )
    done = nbtrack_subprocess("run", "quiet.ipynb", "-o", "out.ipynb", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    cells = json.loads((tmp_path / "out.ipynb").read_text())["cells"]
    assert cells[0]["outputs"] == []  # not "The nbtrack extension is already loaded"
    assert ["".join(o["text"]) for o in cells[1]["outputs"]] == ["[]\n"]
    run = read_store(done.stdout.strip())
    assert [m.key for m in run.metrics] == ["loss"]
