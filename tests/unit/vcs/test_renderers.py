from __future__ import annotations

import json
import re

from nbtrack.vcs.diffmodel import DiffOptions, DiffResult
from nbtrack.vcs.engine import diff_notebooks
from nbtrack.vcs.render_html import render_html
from nbtrack.vcs.render_json import render_json
from nbtrack.vcs.render_terminal import render_plain
from tests.helpers.notebooks import code, load, markdown, notebook, png_output, png_payload, stream


def result_of(old: dict, new: dict, **options: bool) -> DiffResult:
    nb = diff_notebooks(
        load(old), load(new), path="a<b>.ipynb", old_label="main", new_label="HEAD",
        options=DiffOptions(**options),
    )  # fmt: skip
    return DiffResult("main", "HEAD", (nb,), DiffOptions(**options))


def test_html_escapes_every_user_string() -> None:
    old = notebook(markdown("<script>alert(1)</script>"), code("x = '<b>'"))
    new = notebook(markdown("<script>alert(2)</script>"), code("x = '<i>'"))
    page = render_html(result_of(old, new))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "a&lt;b&gt;.ipynb" in page


def test_html_is_self_contained_and_side_by_side_with_images_inline() -> None:
    old = notebook(code("plot()", [png_output(2048, 1)]))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "plot(color='red')"
    payload, _ = png_payload(3000, 2)
    new["cells"][0]["outputs"][0]["data"]["image/png"] = payload
    page = render_html(result_of(old, new))
    assert page.startswith("<!DOCTYPE html>")
    assert f'src="data:image/png;base64,{payload}"' in page
    assert not re.search(r"(src|href)=\"https?:", page)
    assert '<td class="del">plot()</td>' in page
    assert '<td class="add">plot(<em>color=&#x27;red&#x27;</em>)</td>' in page


def test_json_is_a_stable_document() -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = 2"
    data = json.loads(render_json(result_of(old, new)))
    assert data["format"] == "nbtrack-diff"
    assert data["version"] == 1
    (nb,) = data["notebooks"]
    assert nb["counts"] == {"added": 0, "deleted": 0, "modified": 1, "moved": 0}
    assert nb["cells"][0]["source_diff"] == ["@@ -1 +1 @@", "-x = 1", "+x = 2"]


def test_plain_terminal_text_has_no_escape_codes() -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = 2"
    text = render_plain(result_of(old, new))
    assert "\x1b[" not in text
    assert "    -x = 1\n    +x = 2\n" in text


def test_terminal_colour_path_renders_through_rich() -> None:
    import io

    from nbtrack.vcs.render_terminal import print_terminal

    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = 2"
    buffer = io.StringIO()
    print_terminal(result_of(old, new), color=True, file=buffer)
    text = buffer.getvalue()
    assert "\x1b[" in text
    assert "+x = 2" in text


def test_colour_codes_in_a_text_output_are_not_part_of_its_diff() -> None:
    old = notebook(code("log()", [stream("\x1b[32mINFO\x1b[0m loss 0.5\n")]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "\x1b[31mWARN\x1b[0m loss 0.9\n"
    text = render_plain(result_of(old, new))
    assert "      -INFO loss 0.5\n      +WARN loss 0.9\n" in text
    assert "\x1b" not in text


def test_8_bit_csi_colour_in_a_text_output_is_not_part_of_its_diff_either() -> None:
    # U+009B is CSI in one character: colours that terminals (and Jupyter) render
    old = notebook(code("log()", [stream("\x9b32mINFO\x9b0m loss 0.5\n")]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "\x9b31mWARN\x9b0m loss 0.9\n"
    text = render_plain(result_of(old, new))
    assert "      -INFO loss 0.5\n      +WARN loss 0.9\n" in text


def test_terminal_output_cannot_carry_a_notebooks_control_characters() -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = '\x1b]0;pwned\x07\x1b[2J'"
    text = render_plain(result_of(old, new))
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "+x = '^[]0;pwned^G^[[2J'" in text


def test_terminal_output_shows_8_bit_csi_and_bidi_overrides() -> None:
    # U+009B is a one-character CSI; U+202E makes "access = 'user'  # admin" read reversed
    old = notebook(code("x = 1"), markdown("# Notes"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "x = '\x9b2J'\naccess = 'user\u202e \u2066# admin\u2069\u2066'"
    new["cells"][1]["source"] = "# Notes \u202a\u202b\u202c\u202d\u2067\u2068"
    text = render_plain(result_of(old, new))
    assert not any(c in text for c in "\x9b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "+x = '<U+009B>2J'" in text
    assert "+access = 'user<U+202E> <U+2066># admin<U+2069><U+2066>'" in text
    assert "<U+202A><U+202B><U+202C><U+202D><U+2067><U+2068>" in text


def test_html_names_an_added_notebook_and_colours_text_output_changes() -> None:
    added = diff_notebooks(
        None, load(notebook(code("x = 1"), code("y = 2"))),
        path="new.ipynb", old_label="main", new_label="HEAD",
    )  # fmt: skip
    page = render_html(DiffResult("main", "HEAD", (added,), DiffOptions()))
    assert "new notebook, 2 cells · main → HEAD" in page
    old = notebook(code("fit()", [stream("loss 0.5\n")]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "loss 0.4\n"
    page = render_html(result_of(old, new))
    assert '<span class="del">-loss 0.5</span><span class="add">+loss 0.4</span>' in page


def test_html_marks_the_characters_that_changed_within_a_line_escaped() -> None:
    old = notebook(code("alpha = 0.5\ntag = '<b>'"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "alpha = 0.1\ntag = '<i>'"
    page = render_html(result_of(old, new))
    assert '<td class="del">alpha = 0.<em>5</em></td>' in page
    assert '<td class="add">alpha = 0.<em>1</em></td>' in page
    assert '<td class="add">tag = &#x27;&lt;<em>i</em>&gt;&#x27;</td>' in page
