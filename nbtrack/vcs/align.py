"""Cell alignment: which old cell became which new cell, and which ones moved.

Two strategies, chosen per notebook pair:

* **by id** when every cell on both sides has a unique nbformat 4.5 cell id;
  moves are the matched cells outside the longest increasing run.
* **by content** otherwise: patience-style anchoring on cells whose
  (type, source) is unique on both sides, recursing between anchors, with
  difflib only on small anchor-free stretches; leftover cells inside each
  gap are paired by line similarity within a bounded window, and identical
  cells found in different gaps are reported as moved. Work stays close to
  linear in the number of cells, never quadratic over the whole notebook.

This module is pure: it sees cell keys, not notebooks, files or git.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

__all__ = ["Alignment", "CellKey", "Pair", "align_cells", "similarity"]

#: gaps larger than this (old x new cells) skip difflib and use the window only
_SEQUENCE_MATCHER_LIMIT = 40_000
#: how many new cells a leftover old cell is compared with, at most
_PAIR_WINDOW = 16
#: two cells whose sources are at least this similar are "the same cell, modified"
_SIMILAR = 0.5
#: sources shorter than this (both together) are also compared character by character
_CHAR_COMPARE_LIMIT = 2_000


@dataclass(frozen=True)
class CellKey:
    """What alignment needs from a cell."""

    cell_id: str | None
    cell_type: str
    source: str


@dataclass(frozen=True)
class Pair:
    """One row of the alignment, in display order; one side may be missing."""

    old: int | None
    new: int | None
    moved: bool = False


@dataclass(frozen=True)
class Alignment:
    pairs: tuple[Pair, ...]
    by: Literal["id", "content"]


def align_cells(old: Sequence[CellKey], new: Sequence[CellKey]) -> Alignment:
    """Align two cell lists; ids are used only when both sides have them all."""
    if old and new and _ids_usable(old) and _ids_usable(new):
        new_by_id = {cell.cell_id: j for j, cell in enumerate(new)}
        matches = [
            (i, new_by_id[cell.cell_id]) for i, cell in enumerate(old) if cell.cell_id in new_by_id
        ]
        return Alignment(_order(len(old), len(new), matches), "id")
    keys_old = [(c.cell_type, c.source) for c in old]
    keys_new = [(c.cell_type, c.source) for c in new]
    found: list[tuple[int, int]] = []
    _patience(keys_old, keys_new, 0, len(old), 0, len(new), found)
    found.sort()
    return Alignment(_order(len(old), len(new), _pair_gaps(old, new, found)), "content")


def similarity(a: str, b: str) -> float:
    """Similarity of two sources in [0, 1]: by lines, and by characters for short cells."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    score = 0.0
    lines_a, lines_b = a.splitlines(), b.splitlines()
    matcher = SequenceMatcher(None, lines_a, lines_b, autojunk=False)
    if matcher.real_quick_ratio() >= _SIMILAR and matcher.quick_ratio() >= _SIMILAR:
        score = matcher.ratio()
    if score < _SIMILAR and len(a) + len(b) <= _CHAR_COMPARE_LIMIT:
        # short cells: "x = 1" and "x = 2" share no line but are the same cell edited
        chars = SequenceMatcher(None, a, b, autojunk=False)
        if chars.real_quick_ratio() >= _SIMILAR and chars.quick_ratio() >= _SIMILAR:
            score = max(score, chars.ratio())
    return score


def _ids_usable(cells: Sequence[CellKey]) -> bool:
    ids = [cell.cell_id for cell in cells]
    return all(ids) and len(set(ids)) == len(ids)


Key = tuple[str, str]


def _patience(
    a: Sequence[Key],
    b: Sequence[Key],
    alo: int,
    ahi: int,
    blo: int,
    bhi: int,
    out: list[tuple[int, int]],
) -> None:
    """Append matched (i, j) for a[alo:ahi] vs b[blo:bhi]; anchors on unique keys."""
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        out.append((alo, blo))
        alo, blo = alo + 1, blo + 1
    tail: list[tuple[int, int]] = []
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
        ahi, bhi = ahi - 1, bhi - 1
        tail.append((ahi, bhi))
    if alo < ahi and blo < bhi:
        count_a = Counter(a[alo:ahi])
        count_b = Counter(b[blo:bhi])
        where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
        candidates = [
            (i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b
        ]
        anchors = _longest_increasing(candidates)
        if anchors:
            i0, j0 = alo, blo
            for i, j in anchors:
                _patience(a, b, i0, i, j0, j, out)
                out.append((i, j))
                i0, j0 = i + 1, j + 1
            _patience(a, b, i0, ahi, j0, bhi, out)
        elif (ahi - alo) * (bhi - blo) <= _SEQUENCE_MATCHER_LIMIT:
            # only repeated cells here (e.g. several empty ones): small, so difflib is fine
            matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for block in matcher.get_matching_blocks():
                out.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
    out.extend(reversed(tail))


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of ``pairs`` (sorted by first item) increasing in the second."""
    if not pairs:
        return []
    tails: list[int] = []  # second items ending the best run of each length
    tail_index: list[int] = []
    previous = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect.bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_index.append(k)
        else:
            tails[pos] = j
            tail_index[pos] = k
        previous[k] = tail_index[pos - 1] if pos else -1
    run = []
    k = tail_index[-1]
    while k != -1:
        run.append(pairs[k])
        k = previous[k]
    run.reverse()
    return run


def _pair_gaps(
    old: Sequence[CellKey], new: Sequence[CellKey], matches: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Pair the cells anchoring left over: identical ones anywhere (moves) first, then
    similar ones inside the same gap (edits), comparing each with a bounded window."""
    matched_old = {i for i, _ in matches}
    matched_new = {j for _, j in matches}
    waiting: dict[Key, list[int]] = {}
    for j in range(len(new)):
        if j not in matched_new:
            waiting.setdefault((new[j].cell_type, new[j].source), []).append(j)
    exact: list[tuple[int, int]] = []
    for i in range(len(old)):
        if i in matched_old:
            continue
        stack = waiting.get((old[i].cell_type, old[i].source))
        if stack:
            exact.append((i, stack.pop(0)))
    taken_old = matched_old | {i for i, _ in exact}
    taken_new = matched_new | {j for _, j in exact}
    result: list[tuple[int, int]] = [*matches, *exact]
    i0 = j0 = 0
    for i1, j1 in [*matches, (len(old), len(new))]:
        gap_new = [j for j in range(j0, j1) if j not in taken_new]
        start = 0
        for i in range(i0, i1):
            if i in taken_old:
                continue
            best, best_score = -1, 0.0
            for pos in range(start, min(start + _PAIR_WINDOW, len(gap_new))):
                j = gap_new[pos]
                if new[j].cell_type != old[i].cell_type:
                    continue
                score = similarity(old[i].source, new[j].source)
                if score >= _SIMILAR and score > best_score:
                    best, best_score = pos, score
            if best != -1:
                result.append((i, gap_new[best]))
                start = best + 1
        i0, j0 = i1 + 1, j1 + 1
    return result


def _order(n_old: int, n_new: int, matches: list[tuple[int, int]]) -> tuple[Pair, ...]:
    """Display order: the new notebook's order, deletions where they used to be."""
    by_old = sorted(matches)
    in_order = set(_longest_increasing(by_old))
    old_of_new: dict[int, int] = {j: i for i, j in matches}
    matched_old = {i for i, _ in matches}
    anchors = sorted(in_order)
    pairs: list[Pair] = []
    i0 = j0 = 0
    for i1, j1 in [*anchors, (n_old, n_new)]:
        pairs.extend(Pair(i, None) for i in range(i0, i1) if i not in matched_old)
        for j in range(j0, j1):
            i = old_of_new.get(j)
            pairs.append(Pair(i, j, moved=i is not None))
        if i1 < n_old and j1 < n_new:
            pairs.append(Pair(i1, j1))
        i0, j0 = i1 + 1, j1 + 1
    return tuple(pairs)
