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
        f"**cell 3 (code) modified · id `{cell_id}`**\n\n"
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
    assert f"**cell 6 (code) added · id `{new_id}`**\n\n```diff\n+print('done')\n```\n" in text


def test_deleted_cell_is_named_by_its_old_position() -> None:
    new = edited()
    gone = new["cells"].pop(4)
    text = render(BASE, new)
    assert f"**old cell 5 (code) deleted · id `{gone['id']}`**\n\n```diff\n-del x\n```\n" in text
    assert "1 deleted" in text


def test_moved_cell_says_from_where_to_where_without_a_body() -> None:
    new = edited()
    new["cells"].insert(1, new["cells"].pop(3))
    moved_id = new["cells"][1]["id"]
    text = render(BASE, new)
    assert text.endswith(f"**cell 4 -> 2 (code) moved · id `{moved_id}`**\n")
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
    summary = (
        f"<summary>cell 2 (code) modified · id <code>{cell_id}</code> (+40 -1 lines)</summary>"
    )
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


def outside_code(text: str) -> list[str]:
    """The text GitHub would show outside code (where it links @mentions and runs HTML)."""
    from markdown_it import MarkdownIt

    shown: list[str] = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "html_block":
            shown.append(re.sub(r"<code>.*?</code>", "", token.content))
        for child in token.children or []:
            if child.type in ("text", "html_inline"):
                shown.append(child.content)
    return shown


def test_html_in_cell_ids_and_summaries_cannot_inject_tags() -> None:
    old = notebook(code("x = 1"))
    new = load(old).to_dict()
    for nb in (old, new):
        nb["cells"][0]["id"] = "<img src=x onerror=alert(1)>"
    new["cells"][0]["source"] = "x = 2"
    text = render(old, new)
    assert "id `<img src=x onerror=alert(1)>`" in text  # a code span: shown, never run
    assert not any("<img" in piece for piece in outside_code(text))


def test_cell_id_that_mentions_a_user_and_closes_a_tag_stays_inside_code() -> None:
    hostile = "@octocat</details>"
    short_old = notebook(code("x = 1"), code("\n".join(f"a_{i} = {i}" for i in range(30))))
    new = load(short_old).to_dict()
    for nb in (short_old, new):
        nb["cells"][0]["id"] = hostile
        nb["cells"][1]["id"] = hostile + "`2`"
    new["cells"][0]["source"] = "x = 2"
    new["cells"][1]["source"] = "\n".join(f"b_{i} = {i}" for i in range(30))  # folded
    text = render(short_old, new)
    assert "**cell 1 (code) modified · id `@octocat</details>`**" in text
    assert "id <code>@octocat&lt;/details&gt;`2`</code> (+30 -30 lines)</summary>" in text
    assert text.count("</details>") == 2  # the fold's own, and the id inside a code span
    assert not any("octocat" in piece for piece in outside_code(text))


def test_a_cell_type_or_attachment_name_with_markup_is_shown_as_code() -> None:
    old = notebook(markdown("see"))
    for cell in old["cells"]:
        cell["cell_type"] = "@team <b>"
        cell["attachments"] = {"@octocat.png": {"text/plain": "a"}}
    new = load(old).to_dict()
    new["cells"][0]["source"] = "see this"
    new["cells"][0]["attachments"] = {"@octocat.png": {"text/plain": "b"}}
    text = render(old, new)
    assert "cell 1 (`@team <b>`) modified" in text
    assert "- attachment `@octocat.png`: text/plain changed (+1 -1 lines)" in text
    assert not any("@" in piece or "<b>" in piece for piece in outside_code(text))


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


def many(count: int, lines: int) -> DiffResult:
    """``count`` notebooks, each one added cell of ``lines`` long lines."""
    source = "\n".join(f"row_{i} = '{'z' * 70}'" for i in range(lines))
    nbs = tuple(
        diff_notebooks(None, load(notebook(code(source))), path=f"nb_{k:04}.ipynb",
                       old_label="a", new_label="b")
        for k in range(count)
    )  # fmt: skip
    return DiffResult("a", "b", nbs, DiffOptions())


def test_when_first_changes_do_not_all_fit_each_is_shortened_and_every_headline_shown() -> None:
    text = render_markdown(many(30, 400))  # 30 x 32 KB of first changes
    assert len(text) <= 60_000
    for k in range(30):
        assert f"## `nb_{k:04}.ipynb` (added)\n\nnew notebook, 1 cell" in text
    assert text.count("+row_0 = ") == 30
    assert text.count("more lines of this cell cut to fit the comment") == 30
    assert text.count("<details>") == text.count("</details>") == 30
    assert len(re.findall(r"^```", text, flags=re.M)) % 2 == 0


def test_thousands_of_notebooks_stay_under_the_cap_and_the_table_counts_the_rest() -> None:
    text = render_markdown(many(3000, 2))
    assert len(text) <= 60_000
    table = text[: text.index("\n\n## ")]
    assert re.search(r"^\| … and \d+ more notebooks \|", table, flags=re.M)
    assert "Not shown: all of `" in text.strip().splitlines()[-1]
