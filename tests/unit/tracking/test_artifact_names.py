"""Artifact names are relative paths of plain parts: anything else is one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from nbtrack.tracking.api import get_tracker

BAD = ["../evil.pkl", "plots/../../evil.pkl", "/etc/passwd", "a\x00b", "model\n.pkl",
       "a\\b.pkl", "plots//loss.png", "./model.pkl", "", ".", "\x1b]52;c;x\x07"]  # fmt: skip


@pytest.mark.parametrize("name", BAD)
def test_a_bad_artifact_name_is_refused_naming_it_and_nothing_is_stored(
    project_root: Path, name: str
) -> None:
    model = project_root / "model.pkl"
    model.write_bytes(b"weights")
    with nbtrack.start_run() as run:
        with pytest.raises(nbtrack.UsageError) as refused:
            nbtrack.log_artifact(model, name=name)
        nbtrack.log_metric("after", 1.0)  # the run goes on
    message = str(refused.value)
    assert message.startswith(f"cannot log an artifact named {name!r}: ")
    assert "relative path of plain parts" in message
    stored = nbtrack.get_run(run.id)
    assert stored.artifacts == ()
    assert [m.key for m in stored.metrics] == ["after"]
    root = get_tracker().store().artifact_root  # type: ignore[attr-defined]
    assert not list(root.rglob("sha256"))  # no file was copied in either


def test_a_file_whose_own_name_holds_a_newline_needs_a_name(project_root: Path) -> None:
    odd = project_root / "report\n.html"
    odd.write_text("<p>ok</p>")
    with nbtrack.start_run() as run:
        with pytest.raises(nbtrack.UsageError, match=r"'report\\n\.html'"):
            nbtrack.log_artifact(odd)
        kept = nbtrack.log_artifact(odd, name="report.html")
    assert [a.name for a in nbtrack.get_run(run.id).artifacts] == ["report.html"]
    assert kept.name == "report.html"


def test_a_name_with_folders_is_kept_as_given(project_root: Path) -> None:
    model = project_root / "model.pkl"
    model.write_bytes(b"weights")
    with nbtrack.start_run() as run:
        nbtrack.log_artifact(model, name="checkpoints/epoch-3/model.pkl")
    assert [a.name for a in nbtrack.get_run(run.id).artifacts] == ["checkpoints/epoch-3/model.pkl"]


def test_log_figure_refuses_a_bad_name_before_drawing() -> None:
    class Figure:
        drawn = False

        def savefig(self, *args: object, **kwargs: object) -> None:
            Figure.drawn = True

    with nbtrack.start_run(), pytest.raises(nbtrack.UsageError, match=r"'\.\./loss'"):
        nbtrack.log_figure(Figure(), "../loss")
    assert not Figure.drawn
