"""A run's life through the public API: statuses, plain calls, implicit runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nbtrack
from nbtrack import RunStatus
from nbtrack.tracking.api import get_tracker


def test_a_with_block_that_ends_normally_finishes_the_run() -> None:
    with nbtrack.start_run(name="baseline", tags={"team": "vision", "gpus": 2}) as run:
        assert nbtrack.active_run() is run
        assert run.status is RunStatus.RUNNING
    assert nbtrack.active_run() is None
    stored = nbtrack.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.name == "baseline"
    assert stored.tags == {"team": "vision", "gpus": "2"}
    assert stored.ended_at is not None
    assert stored.ended_at >= stored.started_at


def test_an_exception_escaping_the_block_fails_the_run_and_is_not_swallowed() -> None:
    def train() -> None:
        nbtrack.log_metric("loss", 0.5)
        _ = 1 / 0

    with pytest.raises(ZeroDivisionError), nbtrack.start_run() as run:
        train()
    stored = nbtrack.get_run(run.id)
    assert stored.status is RunStatus.FAILED
    assert [m.key for m in stored.metrics] == ["loss"]  # flushed on the way out
    assert [(e.kind, e.detail["type"]) for e in stored.events] == [
        ("exception", "ZeroDivisionError")
    ]


def test_keyboard_interrupt_kills_the_run() -> None:
    with pytest.raises(KeyboardInterrupt), nbtrack.start_run() as run:
        raise KeyboardInterrupt
    assert nbtrack.get_run(run.id).status is RunStatus.KILLED


def test_a_plain_start_and_end_finish_the_run() -> None:
    run = nbtrack.start_run(name="plain")
    nbtrack.log_param("lr", 0.01)
    nbtrack.end_run()
    assert run.status is RunStatus.FINISHED
    stored = nbtrack.get_run(run.id[:8])  # a prefix is enough
    assert stored.status is RunStatus.FINISHED
    assert stored.params[0].value == 0.01


def test_end_run_takes_a_status_by_name() -> None:
    run = nbtrack.start_run()
    nbtrack.end_run("failed")
    assert nbtrack.get_run(run.id).status is RunStatus.FAILED


@pytest.mark.parametrize("status", ["RUNNING", "CRASHED", "done"])
def test_a_run_cannot_be_ended_as_running_crashed_or_nonsense(status: str) -> None:
    nbtrack.start_run()
    with pytest.raises(nbtrack.UsageError, match=f"cannot be ended as '{status}'"):
        nbtrack.end_run(status)
    assert nbtrack.active_run() is not None


def test_end_run_without_an_active_run_does_nothing() -> None:
    nbtrack.end_run()
    assert nbtrack.active_run() is None


def test_logging_without_a_run_starts_one_that_stays_across_calls() -> None:
    nbtrack.log_param("lr", 0.01)
    run = nbtrack.active_run()
    assert run is not None
    nbtrack.log_metric("loss", 1.0, step=0)
    nbtrack.log_metrics({"acc": 0.5}, step=0)
    nbtrack.set_tag("stage", "explore")
    assert nbtrack.active_run() is run
    nbtrack.end_run()
    stored = nbtrack.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert {m.key for m in stored.metrics} == {"loss", "acc"}
    assert stored.tags == {"stage": "explore"}


def test_starting_a_run_while_one_is_active_says_how_to_end_it() -> None:
    with nbtrack.start_run(name="first") as first:
        with pytest.raises(nbtrack.RunError) as caught:
            nbtrack.start_run(name="second")
        assert first.id[:8] in str(caught.value)
        assert "'first'" in str(caught.value)
        assert "nbtrack.end_run()" in str(caught.value)
        assert nbtrack.active_run() is first


def test_an_ended_run_refuses_more_logging_but_the_api_starts_a_new_one() -> None:
    with nbtrack.start_run() as run:
        pass
    with pytest.raises(nbtrack.RunError, match="has ended"):
        run.log_metric("loss", 1.0)
    with pytest.raises(nbtrack.RunError, match="has ended"):
        run.log_param("lr", 1.0)
    nbtrack.log_metric("loss", 1.0)
    second = nbtrack.active_run()
    assert second is not None
    assert second.id != run.id


def test_leaving_the_block_after_an_explicit_end_keeps_the_first_status() -> None:
    with nbtrack.start_run() as run:
        nbtrack.end_run("KILLED")
    assert nbtrack.get_run(run.id).status is RunStatus.KILLED


def test_bad_tags_are_refused_before_a_run_is_created() -> None:
    with pytest.raises(nbtrack.UsageError, match="tag names"):
        nbtrack.start_run(tags={"": "x"})
    with pytest.raises(nbtrack.UsageError, match="tags must be a dict"):
        nbtrack.start_run(tags=["x"])  # type: ignore[arg-type]
    assert nbtrack.list_runs() == []


def test_the_run_records_the_environment_it_ran_in() -> None:
    with nbtrack.start_run() as run:
        pass
    env = nbtrack.get_run(run.id).environment
    assert env.python == ".".join(map(str, sys.version_info[:3]))
    assert env.cwd == os.getcwd()
    assert env.argv == tuple(sys.argv)
    assert env.packages["pytest"] == pytest.__version__
    assert env.host


def test_track_data_stores_the_path_relative_to_the_project(project_root: Path) -> None:
    data = project_root / "data" / "train.csv"
    data.parent.mkdir()
    data.write_text("x,y\n1,2\n")
    with nbtrack.start_run() as run:
        ref = nbtrack.track_data("data/train.csv")
    assert ref.path == "data/train.csv"
    stored = nbtrack.get_run(run.id).data
    assert [(d.path, d.kind, d.digest, d.size) for d in stored] == [
        ("data/train.csv", "file", ref.digest, 8)
    ]


def test_log_artifact_copies_the_file_content_addressed(project_root: Path) -> None:
    model = project_root / "model.pkl"
    model.write_bytes(b"\x80\x04weights")
    with nbtrack.start_run() as run:
        artifact = nbtrack.log_artifact(model)
    model.write_bytes(b"changed later")
    stored = nbtrack.get_run(run.id).artifacts
    assert [(a.name, a.size, a.digest) for a in stored] == [("model.pkl", 9, artifact.digest)]
    assert get_tracker().store().artifact_path(stored[0]).read_bytes() == b"\x80\x04weights"


def test_log_artifact_of_a_missing_file_names_it(project_root: Path) -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.UsageError, match=r"'nope\.pkl'"):
        nbtrack.log_artifact("nope.pkl")


def test_log_figure_stores_a_png() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    with nbtrack.start_run() as run:
        artifact = nbtrack.log_figure(fig, "confusion_matrix")
    plt.close(fig)
    assert (artifact.name, artifact.media_type) == ("confusion_matrix.png", "image/png")
    stored = nbtrack.get_run(run.id).artifacts[0]
    png = get_tracker().store().artifact_path(stored).read_bytes()
    assert png.startswith(b"\x89PNG\r\n")


def test_log_figure_of_something_without_savefig_is_a_usage_error() -> None:
    with nbtrack.start_run(), pytest.raises(nbtrack.UsageError, match="savefig"):
        nbtrack.log_figure([1, 2], "fig")


def _run_script(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_implicit_run_in_a_script_finishes_at_exit(project_root: Path) -> None:
    done = _run_script(
        """
        import nbtrack
        nbtrack.log_metric("loss", 0.5)
        print(nbtrack.active_run().id)
        """,
        project_root,
    )
    assert done.returncode == 0, done.stderr
    stored = nbtrack.get_run(done.stdout.strip())
    assert stored.status is RunStatus.FINISHED
    assert stored.metrics[0].last == 0.5


def test_a_script_dying_of_an_exception_leaves_a_failed_run(project_root: Path) -> None:
    done = _run_script(
        """
        import nbtrack
        nbtrack.log_metric("loss", 0.5)
        print(nbtrack.active_run().id, flush=True)
        raise RuntimeError("diverged")
        """,
        project_root,
    )
    assert done.returncode == 1
    stored = nbtrack.get_run(done.stdout.strip())
    assert stored.status is RunStatus.FAILED
    assert stored.metrics[0].count == 1


def test_a_tag_name_longer_than_the_store_keeps_is_refused() -> None:
    with pytest.raises(nbtrack.UsageError, match="the limit is 250"):
        nbtrack.start_run(tags={"t" * 251: "x"})


def test_a_forked_child_starts_its_own_run_and_leaves_the_parents_alone() -> None:
    parent = nbtrack.start_run(name="parent")
    nbtrack.log_metric("loss", 1.0)
    assert parent.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        code = 1
        try:
            inherited = nbtrack.active_run()
            nbtrack.log_metric("child_loss", 2.0)
            child = nbtrack.active_run()
            nbtrack.end_run()
            os.write(write, f"{inherited} {child.id if child else None}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    reported = os.read(read, 200).decode().split()
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reported[0] == "None"
    child_id = reported[1]
    assert child_id != parent.id
    nbtrack.log_metric("loss", 0.5)
    nbtrack.end_run()
    assert [m.count for m in nbtrack.get_run(parent.id).metrics] == [2]
    child_run = nbtrack.get_run(child_id)
    assert child_run.status is RunStatus.FINISHED
    assert [m.key for m in child_run.metrics] == ["child_loss"]
