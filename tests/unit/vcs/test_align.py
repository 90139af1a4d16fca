from __future__ import annotations

from nbtrack.vcs.align import CellKey, Pair, align_cells, similarity
from tests.unit.vcs.long_cells import black_formatted, hand_written, unrelated


def keys(*sources: str, ids: bool = False) -> list[CellKey]:
    return [CellKey(f"id{s}" if ids else None, "code", s) for s in sources]


def test_when_both_sides_have_ids_cells_are_matched_by_id_even_if_rewritten() -> None:
    old = [CellKey("a", "code", "x = 1"), CellKey("b", "code", "totally different")]
    new = [CellKey("a", "code", "y = 2"), CellKey("b", "code", "nothing alike")]
    result = align_cells(old, new)
    assert result.by == "id"
    assert result.pairs == (Pair(0, 0), Pair(1, 1))


def test_when_a_side_lacks_ids_alignment_falls_back_to_content() -> None:
    old = [CellKey(None, "code", "a"), CellKey(None, "code", "b")]
    new = [CellKey("x", "code", "a"), CellKey("y", "code", "b")]
    assert align_cells(old, new).by == "content"


def test_duplicate_ids_fall_back_to_content() -> None:
    old = [CellKey("a", "code", "1"), CellKey("a", "code", "2")]
    assert align_cells(old, old).by == "content"


def test_moved_cell_by_id_is_the_only_one_marked_moved() -> None:
    old = keys("a", "b", "c", "d", ids=True)
    new = [old[3], old[0], old[1], old[2]]
    pairs = align_cells(old, new).pairs
    assert [p for p in pairs if p.moved] == [Pair(3, 0, moved=True)]
    assert len(pairs) == 4


def test_content_alignment_pairs_edited_cell_and_reports_deleted_and_added() -> None:
    old = keys("import os", "x = 1\ny = 2\nz = 3", "gone()", "tail")
    new = keys("import os", "x = 1\ny = 20\nz = 3", "tail", "brand_new()")
    pairs = align_cells(old, new).pairs
    assert Pair(1, 1) in pairs  # edited, still the same cell
    assert Pair(2, None) in pairs  # deleted
    assert Pair(None, 3) in pairs  # added
    assert Pair(3, 2) in pairs


def test_content_alignment_detects_a_move_of_an_identical_cell() -> None:
    old = keys("a = 1", "b = 2", "c = 3", "def helper():\n    return 42")
    new = keys("def helper():\n    return 42", "a = 1", "b = 2", "c = 3")
    pairs = align_cells(old, new).pairs
    assert Pair(3, 0, moved=True) in pairs
    assert sum(p.moved for p in pairs) == 1


def test_deleted_cells_are_shown_where_they_used_to_be() -> None:
    old = keys("a", "b", "c")
    new = keys("a", "c")
    assert align_cells(old, new).pairs == (Pair(0, 0), Pair(1, None), Pair(2, 1))


def test_many_repeated_empty_cells_align_without_losing_any() -> None:
    old = keys(*([""] * 300), "end")
    new = keys(*([""] * 299), "end", "")
    pairs = align_cells(old, new).pairs
    assert {p.old for p in pairs if p.old is not None} == set(range(301))
    assert {p.new for p in pairs if p.new is not None} == set(range(301))


def test_every_cell_appears_exactly_once_on_each_side_for_a_large_shuffle() -> None:
    old = keys(*(f"cell {i}\nline" for i in range(1500)))
    new = list(old)
    del new[100:110]
    new.insert(700, CellKey(None, "code", "inserted"))
    new[5], new[1200] = new[1200], new[5]
    pairs = align_cells(old, new).pairs
    assert sorted(p.old for p in pairs if p.old is not None) == list(range(1500))
    assert sorted(p.new for p in pairs if p.new is not None) == list(range(len(new)))
    assert sum(p.moved for p in pairs) == 2


def test_similarity_of_one_line_cells_uses_characters() -> None:
    assert similarity("x = 1", "x = 2") > 0.5
    assert similarity("x = 1", "print('hello world')") < 0.5


def test_without_ids_every_cell_edited_still_pairs_each_cell_with_its_edit() -> None:
    old = keys(*(f"values_{i} = [x * {i} for x in range(10)]\nprint({i})" for i in range(800)))
    new = keys(*(f"values_{i} = [x * {i} for x in range(12)]\nprint({i})" for i in range(800)))
    pairs = align_cells(old, new).pairs
    assert pairs == tuple(Pair(i, i) for i in range(800))


def test_a_long_cell_reformatted_by_black_is_still_the_same_cell() -> None:
    old, new = hand_written(), black_formatted()
    assert len(old.splitlines()) == 40
    assert similarity(old, new) >= 0.75  # lines alone: 0.07; without whitespace: 0.31
    old_keys = keys("# Training", old, "print('done')")
    new_keys = keys("# Training", new, "print('done')")
    assert align_cells(old_keys, new_keys).pairs == (Pair(0, 0), Pair(1, 1), Pair(2, 2))


def test_a_long_cell_only_re_indented_is_still_the_same_cell() -> None:
    old = hand_written()
    assert similarity(old, old.replace("\n  ", "\n    ")) == 1.0


def test_a_long_cell_replaced_by_unrelated_code_is_deleted_and_added() -> None:
    assert similarity(hand_written(), unrelated()) < 0.5
    pairs = align_cells(keys("a = 1", hand_written()), keys("a = 1", unrelated())).pairs
    assert pairs == (Pair(0, 0), Pair(1, None), Pair(None, 1))
