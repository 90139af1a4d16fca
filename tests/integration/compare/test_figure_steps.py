"""A figure logged every epoch, read back by step: the CLI and the Python read API.

SQLite and PostgreSQL. The images are real PNGs of a different size each step,
so the bytes that come back say which step they are.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

import nbtrack
from nbtrack.config import Settings
from tests.helpers.cli import Invoke
from tests.helpers.cli import nbtrack as run_nbtrack
from tests.integration.compare.report_runs import png

STEPS = (0, 1, 2, 5, 9)


def image(step: int) -> bytes:
    """A PNG ``10 + step`` pixels wide: its width names its step."""
    return png(10 + step, 4, (20 * step, 100, 200))


def width(data: bytes) -> int:
    return int.from_bytes(data[16:20], "big")


@pytest.fixture
def invoke(store_url: str) -> Invoke:
    return partial(run_nbtrack, env={"NBTRACK_STORE": store_url})


@pytest.fixture
def run_id(settings: Settings, tmp_path: Path) -> str:
    (tmp_path / "model.pkl").write_bytes(b"weights")
    with nbtrack.start_run(settings=settings) as run:
        for step in STEPS:
            nbtrack.log_image(image(step), "confusion_matrix", step=step)
        nbtrack.log_artifact(tmp_path / "model.pkl")
    return run.id


def test_show_gives_a_series_one_row_with_its_steps(invoke: Invoke, run_id: str) -> None:
    code, out, err = invoke("show", run_id[:8])
    assert code == 0, err
    section = out.split("Artifacts (6; a figure's steps on one row)")[1]
    rows = [line.split() for line in section.strip().splitlines()[1:3]]
    assert rows[0][0] == "confusion_matrix.png"
    assert " ".join(rows[0][4:]) == "5 steps, 0..9"
    assert rows[0][2] == str(len(image(9)))  # the size of the last step's image
    assert rows[1][0] == "model.pkl"
    assert section.count("confusion_matrix.png") == 1


def test_ls_lists_every_step(invoke: Invoke, run_id: str) -> None:
    code, out, err = invoke("artifacts", "ls", run_id[:8])
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["name", "step", "size"]
    listed = [(line.split()[0], line.split()[1]) for line in lines[1:6]]
    assert listed == [("confusion_matrix.png", str(step)) for step in STEPS]
    assert lines[6].split()[0] == "model.pkl"
    assert lines[6].split()[1] == "7"  # no step: the size is the second column


def test_get_takes_the_latest_step_unless_asked(
    invoke: Invoke, run_id: str, project_root: Path
) -> None:
    code, _, err = invoke("artifacts", "get", run_id[:8], "confusion_matrix.png", "-o", "last.png")
    assert code == 0, err
    assert width((project_root / "last.png").read_bytes()) == 19
    code, _, err = invoke(
        "artifacts", "get", run_id[:8], "confusion_matrix.png", "--step", "2", "-o", "two.png"
    )
    assert code == 0, err
    assert "(step 2, " in err
    assert width((project_root / "two.png").read_bytes()) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("confusion_matrix.png", "--step", "3"), "has no step 3; its steps are 0..2, 5, 9."),
        (("model.pkl", "--step", "0"), "'model.pkl' of run"),
        (("confusion_matrix.png", "--step", "-1"), "-1 is not in the range x>=0"),
        (("confusion_matrix.png", "--step", "x"), "'x' is not a valid integer"),
    ],
)
def test_a_step_that_is_not_there_is_exit_2_naming_it_and_nothing_is_written(
    invoke: Invoke, run_id: str, project_root: Path, args: tuple[str, ...], message: str
) -> None:
    code, out, err = invoke("artifacts", "get", run_id[:8], *args, "-o", "out.png")
    assert code == 2
    assert message in " ".join(err.split())
    assert "Traceback" not in out + err
    assert not (project_root / "out.png").exists()


def test_the_read_api_reads_any_step(run_id: str) -> None:
    latest = nbtrack.load_artifact(run_id, "confusion_matrix.png")
    assert isinstance(latest, Path)
    assert width(latest.read_bytes()) == 19
    assert width(nbtrack.artifact_path(run_id, "confusion_matrix.png", step=5).read_bytes()) == 15
    first = nbtrack.load_artifact(nbtrack.get_run(run_id), "confusion_matrix.png", step=0)
    assert width(first.read_bytes()) == 10
    with pytest.raises(nbtrack.UsageError, match=r"has no step 4; its steps are 0\.\.2, 5, 9\."):
        nbtrack.artifact_path(run_id, "confusion_matrix.png", step=4)
    with pytest.raises(nbtrack.UsageError, match="step must be an integer, not 'last'"):
        nbtrack.load_artifact(run_id, "confusion_matrix.png", step="last")  # type: ignore[arg-type]


def test_show_as_json_gives_every_step_for_tools(invoke: Invoke, run_id: str) -> None:
    import json

    code, out, err = invoke("show", run_id[:8], "--format", "json")
    assert code == 0, err
    listed = [(a["name"], a["step"]) for a in json.loads(out)["artifacts"]]
    assert listed == [("confusion_matrix.png", s) for s in STEPS] + [("model.pkl", None)]
