"""The run page's grouping of image artifacts into figure series, and its text helpers."""

from __future__ import annotations

from nbtrack.ui.artifacts import Figure, FigureSeries, artifact_url, figure_series
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
