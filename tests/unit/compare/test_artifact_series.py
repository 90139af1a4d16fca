"""A name logged at several steps is a series: lookups by name and step, the steps as text."""

from __future__ import annotations

import pytest

from nbtrack.compare.artifacts import ArtifactSeries, find, series, steps_text
from nbtrack.errors import UsageError
from nbtrack.model import Artifact, Run, RunStatus


def art(name: str, step: int | None, digest: str, at: float = 0.0) -> Artifact:
    return Artifact(name, f"sha256:{digest}", 1, "image/png", f"u/{digest}", at, step)


def run_of(*artifacts: Artifact) -> Run:
    return Run("ab" * 16, "r", RunStatus.FINISHED, 0.0, 1.0, 1.0, artifacts=artifacts)


RUN = run_of(
    art("cm.png", 2, "c2"),
    art("model.pkl", None, "m1"),
    art("cm.png", 0, "c0"),
    art("cm.png", 1, "c1"),
    art("cm.png", 1, "c1-again"),  # step 1 logged twice: the later one counts
    art("model.pkl", None, "m2"),
)


def test_series_group_by_name_in_first_logged_order_steps_sorted() -> None:
    cm, model = series(RUN.artifacts)
    assert cm.name == "cm.png"
    assert [a.digest for a in cm.artifacts] == ["sha256:c0", "sha256:c1-again", "sha256:c2"]
    assert cm.steps == (0, 1, 2)
    assert cm.summary() == "3 steps, 0..2"
    assert model == ArtifactSeries("model.pkl", (art("model.pkl", None, "m2"),))
    assert model.steps == ()
    assert model.summary() == ""


def test_a_lookup_takes_the_latest_step_or_the_one_asked_for() -> None:
    assert find(RUN, "cm.png").digest == "sha256:c2"
    assert find(RUN, "cm.png", 0).digest == "sha256:c0"
    assert find(RUN, "cm.png", 1).digest == "sha256:c1-again"
    assert find(RUN, "model.pkl").digest == "sha256:m2"  # no steps: the last logged


def test_a_figure_logged_without_a_step_after_its_epochs_is_the_series_last() -> None:
    run = run_of(art("cm.png", 0, "c0"), art("cm.png", 1, "c1"), art("cm.png", None, "final"))
    (cm,) = series(run.artifacts)
    assert find(run, "cm.png").digest == "sha256:final"
    assert cm.steps == (0, 1)
    assert cm.summary() == "2 steps, 0..1 and one without a step"
    assert find(run, "cm.png", 1).digest == "sha256:c1"


def test_a_step_the_series_lacks_names_the_steps_it_has() -> None:
    with pytest.raises(UsageError) as missing:
        find(RUN, "cm.png", 7)
    assert str(missing.value) == (
        "Artifact 'cm.png' of run abababababab has no step 7; its steps are 0..2."
    )
    with pytest.raises(UsageError, match=r"'model.pkl' .* was logged without a step, so it has"):
        find(RUN, "model.pkl", 0)
    with pytest.raises(UsageError, match=r"'cm.png' of run abababababab: step must be an integer"):
        find(RUN, "cm.png", "2")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"has no artifact 'nope.png'; it has 'cm.png', 'model"):
        find(RUN, "nope.png", 1)


def test_steps_read_as_runs_of_consecutive_steps_cut_when_long() -> None:
    assert steps_text([5]) == "5"
    assert steps_text([0, 1, 2, 3, 7, 9, 10]) == "0..3, 7, 9..10"
    evens = list(range(0, 40, 2))
    assert steps_text(evens) == "0, 2, 4, 6, 8, 10, 12, ... 38 (20 steps)"
