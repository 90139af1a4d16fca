"""Cell alignment: which old cell became which new cell, and which ones moved.

Two strategies, chosen per notebook pair:

* **by id** when every cell on both sides has a unique nbformat 4.5 cell id;
  moves are the matched cells outside the longest increasing run.
* **by content** otherwise: patience-style anchoring on cells whose
  (type, source) is unique on both sides, recursing between anchors, with
  difflib only on small anchor-free stretches; leftover cells inside each
  gap are paired by similarity (lines; for long cells re-indented or
  reformatted, lines without whitespace and then tokens) within a
  bounded window, and identical
  cells found in different gaps are reported as moved. Work stays close to
  linear in the number of cells, never quadratic over the whole notebook.

This module is pure: it sees cell keys, not notebooks, files or git.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

__all__ = ["Alignment", "CellKey", "Pair", "align_cells", "similarity"]

#: gaps larger than this (old x new cells) skip difflib and use the window only
_SEQUENCE_MATCHER_LIMIT = 40_000
#: how many new cells a leftover old cell is compared with, at most
_PAIR_WINDOW = 16
#: two cells whose sources are at least this similar are "the same cell, modified"
_SIMILAR = 0.5
#: similarity computations allowed per notebook pair (about 0.3 s at worst)
_SIMILARITY_BUDGET = 3_000
#: in big gaps, a candidate this similar is taken without looking further
_CLEARLY_SAME = 0.75
#: gaps up to this many (old x new) cell pairs get the exact pairing DP
_FULL_GAP = 400
#: sources shorter than this (both together) are compared character by character
_CHAR_COMPARE_LIMIT = 2_000
#: longer ones whose lines differ are compared token by token up to this many
#: tokens (both together; a 76-line cell has about 800 a side)
_REFORMAT_LIMIT = 2_000
#: tokens compared that way per notebook pair: 16 pairs of reformatted 40-line
#: cells; at worst (shuffled lines, every token shared) 8 full comparisons at
#: the size limit, about 0.6 s on a loaded 2-core machine
_TOKEN_BUDGET = 16_000
#: the bar for that token measure: unrelated code shares many tokens (up to 0.40
#: of difflib's ratio, 0.72 of its quick_ratio over 3,000 pairs of nbtrack's own code)
_REFORMATTED = 0.75
_TOKEN = re.compile(r"\w+|[^\w\s]")


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


def similarity(a: str, b: str, budget: _Budget | None = None) -> float:
    """Similarity of two sources in [0, 1]: by characters for short cells, else by lines.

    A long cell that was re-indented or reformatted (black splitting or joining
    lines) keeps few of its lines, so before giving up the lines are compared
    again without whitespace, and then the cell as one sequence of tokens
    (words and punctuation, so line breaks and indentation do not count). The
    token measure runs only for cells up to a size and past its cheap upper
    bound (``quick_ratio``), with a higher bar: unrelated code shares many
    tokens. Characters would do the same job at ten times the cost.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    if len(a) + len(b) <= _CHAR_COMPARE_LIMIT:
        # short cells: "x = 1" and "x = 2" share no line but are the same cell edited
        return _ratio(a, b)
    score = _ratio(a.splitlines(), b.splitlines())
    if score >= _SIMILAR:
        return score
    score = max(score, _ratio(_squeeze(a), _squeeze(b)))
    if score >= _SIMILAR:
        return score
    tokens_a, tokens_b = _tokens(a), _tokens(b)
    size = len(tokens_a) + len(tokens_b)
    if size > _REFORMAT_LIMIT or (budget is not None and budget.tokens < size):
        return score
    matcher = SequenceMatcher(None, tokens_a, tokens_b, autojunk=False)
    if matcher.real_quick_ratio() < _REFORMATTED or matcher.quick_ratio() < _REFORMATTED:
        return score
    if budget is not None:
        budget.tokens -= size  # only the full ratio costs much
    reformatted = matcher.ratio()
    return reformatted if reformatted >= _REFORMATTED else score


def _ratio(a: Sequence[str], b: Sequence[str], bar: float = _SIMILAR) -> float:
    """difflib's ratio, skipped (0.0) when its cheap upper bounds are below ``bar``."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < bar or matcher.quick_ratio() < bar:
        return 0.0
    return matcher.ratio()


@lru_cache(maxsize=512)
def _squeeze(text: str) -> tuple[str, ...]:
    """The lines without any whitespace, blank ones dropped (each cell is compared often)."""
    return tuple(squeezed for line in text.splitlines() if (squeezed := "".join(line.split())))


@lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text))


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
    budget = _Budget(_SIMILARITY_BUDGET)
    i0 = j0 = 0
    for i1, j1 in [*matches, (len(old), len(new))]:
        gap_old = [i for i in range(i0, i1) if i not in taken_old]
        gap_new = [j for j in range(j0, j1) if j not in taken_new]
        if gap_old and gap_new:
            if len(gap_old) * len(gap_new) <= _FULL_GAP:
                result.extend(_best_pairs(old, new, gap_old, gap_new, budget))
            else:
                result.extend(_window_pairs(old, new, gap_old, gap_new, budget))
        i0, j0 = i1 + 1, j1 + 1
    return result


class _Budget:
    """Caps similarity computations per notebook pair: past it, leftovers stay unpaired
    (shown as deleted + added), so time stays bounded whatever the notebooks are."""

    def __init__(self, calls: int, tokens: int = _TOKEN_BUDGET) -> None:
        self.left = calls
        #: tokens the reformatted-cell measure may still compare (its cost bound)
        self.tokens = tokens

    def score(self, old: CellKey, new: CellKey) -> float:
        if old.cell_type != new.cell_type or self.left <= 0:
            return 0.0
        self.left -= 1
        score = similarity(old.source, new.source, self)
        return score if score >= _SIMILAR else 0.0


def _best_pairs(
    old: Sequence[CellKey],
    new: Sequence[CellKey],
    gap_old: list[int],
    gap_new: list[int],
    budget: _Budget,
) -> list[tuple[int, int]]:
    """In-order pairs maximising total similarity (a small alignment DP over one gap)."""
    m, n = len(gap_old), len(gap_new)
    scores = [[budget.score(old[i], new[j]) for j in gap_new] for i in gap_old]
    best = [[0.0] * (n + 1) for _ in range(m + 1)]
    for x in range(m - 1, -1, -1):
        for y in range(n - 1, -1, -1):
            take = scores[x][y] + best[x + 1][y + 1] if scores[x][y] else 0.0
            best[x][y] = max(take, best[x + 1][y], best[x][y + 1])
    pairs = []
    x = y = 0
    while x < m and y < n:
        if scores[x][y] and best[x][y] == scores[x][y] + best[x + 1][y + 1]:
            pairs.append((gap_old[x], gap_new[y]))
            x, y = x + 1, y + 1
        elif best[x][y] == best[x + 1][y]:
            x += 1
        else:
            y += 1
    return pairs


def _window_pairs(
    old: Sequence[CellKey],
    new: Sequence[CellKey],
    gap_old: list[int],
    gap_new: list[int],
    budget: _Budget,
) -> list[tuple[int, int]]:
    """Greedy in-order pairing for big gaps: each old cell looks at a few new ones."""
    pairs = []
    start = 0
    for i in gap_old:
        best, best_score = -1, 0.0
        for pos in range(start, min(start + _PAIR_WINDOW, len(gap_new))):
            score = budget.score(old[i], new[gap_new[pos]])
            if score > best_score:
                best, best_score = pos, score
            if score >= _CLEARLY_SAME:
                break  # edits mostly keep order: the next new cell is usually the one
        if best != -1:
            pairs.append((i, gap_new[best]))
            start = best + 1
    return pairs


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
