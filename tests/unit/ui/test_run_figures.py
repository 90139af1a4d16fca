"""The run page's grouping of image artifacts into figure series (by step, or by numbered
names), and its text helpers."""

from __future__ import annotations

import pytest

from nbtrack.model import Artifact, Run, RunStatus
from nbtrack.ui.artifacts import Figure, FigureSeries, artifact_url, figure_series, run_figures
from nbtrack.ui.run_page import lines, value_text


def test_images_that_differ_by_a_trailing_number_are_one_series_in_step_order() -> None:
    names = ["cm_epoch10.png", "loss.png", "cm_epoch2.png", "cm_epoch1.png", "roc_3.jpg"]
    assert figure_series(names) == [
        FigureSeries(
            "cm_epoch*.png",
            (Figure("cm_epoch1.png", 1), Figure("cm_epoch2.png", 2), Figure("cm_epoch10.png", 10)),
        ),
        FigureSeries("loss.png", (Figure("loss.png", None),)),
        FigureSeries("roc_3.jpg", (Figure("roc_3.jpg", 3),)),
    ]


def test_a_series_needs_the_same_stem_and_suffix() -> None:
    series = figure_series(["a1.png", "a2.jpg", "b1.png", "plots/a3.png"])
    assert [s.title for s in series] == ["a1.png", "a2.jpg", "b1.png", "plots/a3.png"]


def test_zero_padded_numbers_sort_as_numbers() -> None:
    series = figure_series(["cm_010.png", "cm_002.png", "cm_001.png"])
    assert [f.step for f in series[0].figures] == [1, 2, 10]
    assert series[0].title == "cm_*.png"


def test_no_images_no_series() -> None:
    assert figure_series([]) == []


def test_an_artifact_url_quotes_every_character_of_the_name() -> None:
    assert artifact_url("ab12", "../x/<img>.png") == "/runs/ab12/artifacts/..%2Fx%2F%3Cimg%3E.png"
    with_digest = artifact_url("ab12", "a.png", "sha256:" + "0123456789abcdef" * 4)
    assert with_digest == "/runs/ab12/artifacts/a.png?v=0123456789abcdef"


def test_a_param_value_shows_in_full() -> None:
    assert value_text(0.1) == "0.1"
    assert value_text(1 / 3) == "0.3333333333333333"
    assert value_text(float("nan")) == "nan"
    assert value_text(float("-inf")) == "-inf"
    assert value_text("<b>x</b>") == "<b>x</b>"  # the template escapes it
    assert value_text({"a": [1, float("inf")], "b": None}) == '{"a": [1, "Infinity"], "b": null}'
    assert value_text(True) == "true"


def test_multi_line_text_becomes_lines_with_tabs_expanded() -> None:
    assert lines("a\n\tb\r\nc") == ["a", "    b", "c"]
    assert lines(None) == []


# -- series with real steps (log_figure(fig, name, step=epoch)) ----------------------------


def _run(*artifacts: Artifact) -> Run:
    return Run("cd" * 16, "r", RunStatus.FINISHED, 0.0, 1.0, 1.0, artifacts=artifacts)


def _image(name: str, step: int | None, digest: str, media: str = "image/png") -> Artifact:
    return Artifact(name, "sha256:" + digest * 16, 1, media, "u", 0.0, step)


STEPPED = _run(
    _image("roc.png", None, "0"),
    _image("cm.png", 4, "4"),
    _image("cm.png", 0, "1"),
    _image("cm.png", 2, "2"),
    _image("model.pkl", None, "9", "application/octet-stream"),
    _image("cm_epoch1.png", None, "a"),
    _image("cm_epoch2.png", None, "b"),
)


def test_a_name_logged_at_steps_is_one_series_in_step_order_with_urls_by_step() -> None:
    shown, data = run_figures(STEPPED, [], [])
    assert [s["title"] for s in shown] == ["roc.png", "cm.png", "cm_epoch*.png"]
    cm = shown[1]
    assert (cm["stepped"], cm["count"], cm["at"], cm["step"]) == (True, 3, 2, 4)
    assert cm["link"] == f"/runs/{'cd' * 16}?figure=cm.png&step=4#figures"
    assert [(item["step"], item["url"]) for item in data[1]] == [
        (0, f"/runs/{'cd' * 16}/artifacts/cm.png?step=0&v={'1' * 16}"),
        (2, f"/runs/{'cd' * 16}/artifacts/cm.png?step=2&v={'2' * 16}"),
        (4, f"/runs/{'cd' * 16}/artifacts/cm.png?step=4&v={'4' * 16}"),
    ]
    assert shown[2]["stepped"] is False  # numbered names: the series of before
    assert [item["name"] for item in data[2]] == ["cm_epoch1.png", "cm_epoch2.png"]


def test_the_query_pairs_figure_and_step_in_order() -> None:
    shown, _ = run_figures(STEPPED, ["cm_epoch1.png", "cm.png"], ["", "2"])
    assert (shown[1]["at"], shown[1]["step"], shown[1]["problem"]) == (1, 2, None)
    assert shown[1]["link"].endswith("?figure=cm.png&step=2#figures")
    assert shown[2]["at"] == 0  # cm_epoch1.png, chosen by its name


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ("3", "cm.png has no step 3 (its steps are 0, 2, 4); this is the last."),
        ("x", "The link asks for step 'x', which is not a number; this is the last."),
    ],
)
def test_a_step_the_series_lacks_shows_its_last_and_says_so(step: str, problem: str) -> None:
    shown, _ = run_figures(STEPPED, ["cm.png"], [step])
    assert (shown[1]["at"], shown[1]["step"], shown[1]["problem"]) == (2, 4, problem)


def test_an_artifact_url_names_its_step_before_its_version() -> None:
    assert artifact_url("ab", "cm.png", step=3) == "/runs/ab/artifacts/cm.png?step=3"
    with_both = artifact_url("ab", "cm.png", "sha256:" + "f" * 64, 3)
    assert with_both == f"/runs/ab/artifacts/cm.png?step=3&v={'f' * 16}"
