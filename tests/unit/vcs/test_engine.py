from __future__ import annotations

from nbformat.v4 import new_output

from nbtrack.vcs.diffmodel import DiffOptions
from nbtrack.vcs.engine import diff_notebooks, format_size
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


def diff(old: dict, new: dict, **options: bool):  # type: ignore[no-untyped-def]
    return diff_notebooks(
        load(old), load(new), path="nb.ipynb", old_label="old", new_label="new",
        options=DiffOptions(**options),
    )  # fmt: skip


def test_changed_image_output_is_summarised_with_sizes_and_hashes() -> None:
    old = notebook(code("plot()", [png_output(12 * 1024, 1)]))
    new = load(old).to_dict()
    payload, raw = png_payload(14 * 1024, 2)
    new["cells"][0]["outputs"][0]["data"]["image/png"] = payload
    _, old_raw = png_payload(12 * 1024, 1)
    (cell,) = diff(old, new).cells
    (change,) = cell.outputs
    assert change.summary == (f"image/png changed, 12 KB -> 14 KB ({sha7(old_raw)} -> {sha7(raw)})")
    assert cell.source_diff == ()


def test_text_output_change_is_a_short_diff() -> None:
    old = notebook(code("print(x)", [stream("".join(f"line {i}\n" for i in range(100)))]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "".join(f"LINE {i}\n" for i in range(100))
    (change,) = diff(old, new).cells[0].outputs
    assert change.summary == "stdout changed (+100 -100 lines)"
    assert len(change.text_diff) <= 13
    assert change.text_diff[-1].startswith("... ")


def test_execution_counts_are_hidden_by_default_and_shown_with_outputs() -> None:
    old = notebook(code("x = 1", count=1))
    new = notebook(code("x = 1", count=7))
    new["cells"][0]["id"] = old["cells"][0]["id"]
    assert not diff(old, new).has_changes
    (cell,) = diff(old, new, outputs=True).cells
    assert cell.execution_count == (1, 7)


def test_volatile_metadata_is_hidden_unless_asked_but_tags_always_show() -> None:
    old = notebook(code("x = 1", metadata={"collapsed": False}))
    new = load(old).to_dict()
    new["cells"][0]["metadata"] = {"collapsed": True, "tags": ["parameters"]}
    (cell,) = diff(old, new).cells
    assert [m.key for m in cell.metadata] == ["tags"]
    (cell,) = diff(old, new, metadata=True).cells
    assert [m.key for m in cell.metadata] == ["collapsed", "tags"]


def test_execute_result_count_inside_output_does_not_count_as_output_change() -> None:
    result = new_output("execute_result", data={"text/plain": "2"}, execution_count=1)
    old = notebook(code("1 + 1", [result]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["execution_count"] = 9
    assert diff(old, new).cells == ()


def test_added_and_deleted_notebooks_list_every_cell() -> None:
    nb = load(notebook(markdown("# T"), code("x = 1")))
    added = diff_notebooks(None, nb, path="n.ipynb", old_label="a", new_label="b")
    deleted = diff_notebooks(nb, None, path="n.ipynb", old_label="a", new_label="b")
    assert added.status == "added"
    assert [c.status for c in added.cells] == ["added"] * 2
    assert deleted.status == "deleted"
    assert [c.status for c in deleted.cells] == ["deleted"] * 2


def test_identical_notebooks_have_no_changes() -> None:
    nb = notebook(markdown("# T"), code("x = 1", [stream("1\n")]))
    result = diff(nb, nb)
    assert result.status == "unchanged"
    assert not result.has_changes


def test_sizes_read_like_a_file_manager() -> None:
    assert format_size(812) == "812 B"
    assert format_size(1536) == "1.5 KB"
    assert format_size(12 * 1024) == "12 KB"
    assert format_size(3 * 1024 * 1024) == "3.0 MB"


def test_text_output_diff_is_short_by_default_and_whole_with_outputs() -> None:
    old = notebook(code("train()", [stream("".join(f"epoch {i} loss 0.5\n" for i in range(40)))]))
    new = load(old).to_dict()
    new["cells"][0]["outputs"][0]["text"] = "".join(f"epoch {i} loss 0.4\n" for i in range(40))
    (short,) = diff(old, new).cells[0].outputs
    assert short.text_diff[:3] == ("@@ -1,40 +1,40 @@", "-epoch 0 loss 0.5", "-epoch 1 loss 0.5")
    assert short.text_diff[-1] == "... 69 more lines"
    (whole,) = diff(old, new, outputs=True).cells[0].outputs
    assert len(whole.text_diff) == 81
    assert whole.text_diff[-1] == "+epoch 39 loss 0.4"


def test_an_image_pasted_into_a_markdown_cell_is_summarised_when_it_changes() -> None:
    payload_a, raw_a = png_payload(2048, 1)
    payload_b, raw_b = png_payload(4096, 2)
    old = notebook(markdown("![plot](attachment:plot.png)"))
    old["cells"][0]["attachments"] = {"plot.png": {"image/png": payload_a}}
    new = load(old).to_dict()
    new["cells"][0]["attachments"] = {"plot.png": {"image/png": payload_b}}
    (cell,) = diff(old, new).cells
    (change,) = cell.outputs
    assert change.where == "attachment plot.png"
    assert change.summary == (
        f"image/png changed, 2.0 KB -> 4.0 KB ({sha7(raw_a)} -> {sha7(raw_b)})"
    )
    assert change.new_image == payload_b


def test_line_breaks_changed_without_any_line_changing_is_a_modified_cell() -> None:
    old = notebook(code("a = 1\r\nb = 2\r\nc = 3\n"), markdown("# Title\n"))
    new = load(old).to_dict()
    new["cells"][0]["source"] = "a = 1\nb = 2\nc = 3\n"
    new["cells"][1]["source"] = "# Title"
    result = diff(old, new)
    assert result.summary() == "2 modified"
    notes = [(cell.new_index, cell.source_diff, cell.source_note) for cell in result.cells]
    assert notes == [
        (0, (), "only line breaks changed, on 2 lines (CRLF -> LF)"),
        (1, (), "only the newline at the end was removed"),
    ]


def test_a_reformatted_40_line_cell_without_ids_is_one_modified_cell() -> None:
    from tests.unit.vcs.long_cells import black_formatted, hand_written

    old = notebook(markdown("# Training"), code(hand_written()), code("train_model(x, y, 3, 0.1)"))
    new = load(old).to_dict()
    new["cells"][1]["source"] = black_formatted()
    for nb in (old, new):
        nb["nbformat_minor"] = 4  # before cell ids: cells are aligned by content
        for cell in nb["cells"]:
            cell.pop("id")
    result = diff(old, new)
    assert result.aligned_by == "content"
    assert result.summary() == "1 modified"
    assert [(c.old_index, c.new_index, c.status) for c in result.cells] == [(1, 1, "modified")]
