"""Golden-style checks on the markdown a pull-request comment shows."""

from __future__ import annotations

import re

from nbtrack.vcs.diffmodel import DiffOptions, DiffResult
from nbtrack.vcs.engine import diff_notebooks
from nbtrack.vcs.render_markdown import GITHUB_COMMENT_LIMIT, render_markdown
from tests.helpers.notebooks import (
    code,
    load,
    markdown,
    notebook,
    png_output,
    png_payload,
    sha7,
    stream,
)


def render(old: dict | None, new: dict | None, **kwargs: int) -> str:
    nb = diff_notebooks(
        load(old) if old else None, load(new) if new else None,
        path="train.ipynb", old_label="main", new_label="HEAD",
    )  # fmt: skip
    return render_markdown(DiffResult("main", "HEAD", (nb,), DiffOptions()), **kwargs)


BASE = notebook(
    markdown("# Training"),
    code("import numpy as np"),
    code("x = np.arange(10)\ny = x ** 2\nprint(y)"),
    code("def helper():\n    return 42"),
    code("del x"),
)


def edited() -> dict:
    """A copy of BASE to edit (same cell ids)."""
    return load(BASE).to_dict()


def test_modified_cell_is_a_diff_block_with_its_position_and_id() -> None:
    new = edited()
    new["cells"][2]["source"] = "x = np.arange(10)\ny = x ** 3\nprint(y)"
    cell_id = new["cells"][2]["id"]
    text = render(BASE, new)
    expected = (
        f"**cell 3 (code) modified · id {cell_id}**\n\n"
        "```diff\n"
        "@@ -1,3 +1,3 @@\n"
        " x = np.arange(10)\n"
        "-y = x \\*\\* 2\n"
    )
    # markdown specials are only escaped outside code fences
    assert expected.replace("\\*\\*", "**") in text
    assert text.startswith("**nbtrack diff** `main` → `HEAD`: 1 notebook changed.\n")
    assert "## `train.ipynb` (modified)\n\n1 modified · `main` → `HEAD`\n" in text


def test_added_cell_shows_its_source_as_added_lines() -> None:
    new = edited()
    new["cells"].append(code("print('done')"))
    new_id = load(new).cells[-1].id
    text = render(BASE, new)
    assert f"**cell 6 (code) added · id {new_id}**\n\n```diff\n+print('done')\n```\n" in text


def test_deleted_cell_is_named_by_its_old_position() -> None:
    new = edited()
    gone = new["cells"].pop(4)
    text = render(BASE, new)
    assert f"**old cell 5 (code) deleted · id {gone['id']}**\n\n```diff\n-del x\n```\n" in text
    assert "1 deleted" in text


def test_moved_cell_says_from_where_to_where_without_a_body() -> None:
    new = edited()
    new["cells"].insert(1, new["cells"].pop(3))
    moved_id = new["cells"][1]["id"]
    text = render(BASE, new)
    assert text.endswith(f"**cell 4 -> 2 (code) moved · id {moved_id}**\n")
    assert "1 moved" in text
    assert text.count("```diff") == 0


def test_changed_image_output_line() -> None:
    old = notebook(code("plot()", [png_output(12 * 1024, 1)]))
    new = load(old).to_dict()
    payload, raw = png_payload(14 * 1024, 2)
    new["cells"][0]["outputs"][0]["data"]["image/png"] = payload
    _, old_raw = png_payload(12 * 1024, 1)
    text = render(old, new)
    assert (
        f"- output 1: image/png changed, 12 KB -> 14 KB ({sha7(old_raw)} -> {sha7(raw)})\n" in text
    )
    assert payload[:40] not in text  # summarised, never dumped


def test_long_cell_is_folded_in_details() -> None:
    new = edited()
    new["cells"][1]["source"] = "\n".join(f"line_{i} = {i}" for i in range(40))
    cell_id = new["cells"][1]["id"]
    text = render(BASE, new)
    summary = f"<summary>cell 2 (code) modified · id {cell_id} (+40 -1 lines)</summary>"
    assert f"<details>\n{summary}\n\n```diff\n" in text
    assert text.count("<details>") == text.count("</details>") == 1


def test_source_with_code_fences_gets_a_longer_fence() -> None:
    old = notebook(markdown("Example:\n```python\nx = 1\n```"))
    new = notebook(markdown("Example:\n```python\nx = 2\n```"))
    text = render(old, new)
    assert "````diff\n" in text
    assert "\n````\n" in text


def test_added_notebook_is_marked_new() -> None:
    text = render(None, BASE)
    assert "## `train.ipynb` (added)\n\nnew notebook, 5 cells" in text


def test_deleted_notebook_is_marked_deleted() -> None:
    text = render(BASE, None)
    assert "## `train.ipynb` (deleted)\n\ndeleted notebook, had 5 cells" in text


def test_huge_diff_is_cut_below_the_github_limit_with_a_note_of_what_was_cut() -> None:
    old = notebook(*(code(f"value_{i} = {i}\n" + "filler = 'x'\n" * 30) for i in range(600)))
    new = load(old).to_dict()
    for cell in new["cells"]:
        cell["source"] = "".join(cell["source"]).replace("filler", "padding")
    text = render(old, new)
    assert len(text) < GITHUB_COMMENT_LIMIT
    note = text.strip().splitlines()[-1]
    assert note.startswith("> **Diff cut** to stay under GitHub's 65,536-character comment limit.")
    shown = len(re.findall(r"cell \d+ \(code\) modified", text))
    assert f"Not shown: {600 - shown} cell changes in `train.ipynb`" in note
    assert text.count("<details>") == text.count("</details>")
    assert 0 < shown < 600


def test_single_enormous_cell_is_shortened_with_balanced_fences() -> None:
    old = notebook(code("a = 1"))
    new = notebook(code("\n".join(f"row_{i} = '{'y' * 80}'" for i in range(3000))))
    text = render(old, new, cap=20_000)
    assert len(text) <= 20_000
    assert "more lines of this cell cut to fit the comment" in text
    assert len(re.findall(r"^```", text, flags=re.M)) % 2 == 0


def test_no_changes_says_so() -> None:
    assert "no notebook changes" in render(BASE, BASE)


def test_html_in_cell_ids_and_summaries_cannot_inject_tags() -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    for nb in (old, new):
        nb["cells"][0]["id"] = "<img src=x onerror=alert(1)>"
    new["cells"][0]["source"] = "x = 2"
    text = render(old, new)
    assert "<img" not in text
    assert "&lt;img src=x onerror=alert(1)>" in text


def test_changed_text_output_shows_its_short_diff_under_the_summary() -> None:
    old = notebook(code("print(loss)", [stream("loss 0.50\nepochs 10\n")]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "loss 0.42\nepochs 10\n"
    text = render(old, new)
    assert (
        "- output 1: stdout changed (+1 -1 lines)\n\n"
        "  ```diff\n  @@ -1,2 +1,2 @@\n  -loss 0.50\n  +loss 0.42\n   epochs 10\n  ```\n"
    ) in text


def test_a_cut_cell_closes_its_own_fence_not_a_fence_line_of_its_content() -> None:
    from markdown_it import MarkdownIt

    lines = ["```" if i % 7 == 4 else f"row {i} " + "y" * 60 for i in range(3000)]
    old = notebook(markdown("\n".join(lines)), code("after = 1"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "\n".join(["changed first", *lines[1:]])
    new["cells"][1]["source"] = "after = 2"
    nb = diff_notebooks(
        load(old), load(new), path="t.ipynb", old_label="a", new_label="b",
        options=DiffOptions(context=3000),
    )  # fmt: skip
    text = render_markdown(DiffResult("a", "b", (nb,), DiffOptions()), cap=20_000)
    assert "more lines of this cell cut to fit the comment" in text
    # parsed as GitHub does (CommonMark): the note, </details> and the next cell are not code
    tokens = MarkdownIt("commonmark").parse(text)
    inline = [t.content for t in tokens if t.type == "inline"]
    assert any("cut to fit the comment" in t for t in inline)
    assert any("cell 2 (code) modified" in t for t in inline)
    assert [t.content.strip() for t in tokens if t.type == "html_block"][-1] == "</details>"
