"""A sweep's runs found by its id: ``nbtrack compare --sweep ID``, ``nbtrack runs --sweep ID``.

For: :func:`sweep_where`, which turns a sweep id (or a unique prefix of one)
into the ``--where`` expression that selects the sweep's runs (their
``sweep`` tag, set by ``nbtrack run --grid/--sample``, or by hand with
``--tag sweep=NAME``), and joins it to the user's own ``--where``. A prefix
that names no sweep, or more than one, is a ``UsageError`` naming it.
Not for: making sweeps (:mod:`nbtrack.execute.sweep`).
"""

from __future__ import annotations

from nbtrack.compare.reader import Reader
from nbtrack.errors import UsageError

__all__ = ["SWEEP_INDEX_TAG", "SWEEP_TAG", "in_sweep_order", "quote", "sweep_where"]

#: the tag every run of a sweep carries (the same name as ``nbtrack.execute.sweep``'s)
SWEEP_TAG = "sweep"
#: a run's 0-based place in its sweep
SWEEP_INDEX_TAG = "sweep.index"
#: sweep ids an ambiguous prefix lists at most
_SHOWN = 5


def quote(text: str) -> str:
    """*text* as a string of the ``--where`` language.

    >>> quote("it's")
    "'it\\\\'s'"
    """
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sweep_where(reader: Reader, sweep: str, where: str | None = None) -> str:
    """The ``--where`` expression for the runs of *sweep*, and *where* when given.

    An exact ``tags.sweep`` wins; else *sweep* is a prefix of exactly one sweep id.
    """
    text = sweep.strip()
    if not text:
        raise UsageError("--sweep needs a sweep id (nbtrack run --grid prints it).")
    exact = f"tags.{SWEEP_TAG} = {quote(text)}"
    _, total = reader.page(where=exact, limit=1)
    if total:
        chosen = exact
    else:
        import re

        # the text before any SQL wildcard of its own; the prefix is checked exactly below
        like = re.split(r"[%_]", text, maxsplit=1)[0]
        candidates = reader.runs(where=f"tags.{SWEEP_TAG} like {quote(like + '%')}")
        ids = sorted(
            {run.tags[SWEEP_TAG] for run in candidates if run.tags[SWEEP_TAG].startswith(text)}
        )
        if not ids:
            raise UsageError(
                f"No run has the sweep id {text!r} (tags.{SWEEP_TAG}); nbtrack run --grid or"
                " --sample prints the id of the sweep it makes."
            )
        if len(ids) > 1:
            shown = ", ".join(ids[:_SHOWN]) + (", ..." if len(ids) > _SHOWN else "")
            raise UsageError(f"The sweep id {text!r} is the start of {len(ids)} sweeps: {shown}.")
        chosen = f"tags.{SWEEP_TAG} = {quote(ids[0])}"
    return chosen if where is None else f"{chosen} and ({where})"


def in_sweep_order(reader: Reader, ids: list[str], where: str) -> list[str]:
    """*ids* (of the runs *where* selects) by their place in the sweep: its first run leads.

    Runs side by side start in any order; a run without the index tag (tagged
    by hand) goes after those with one, in the order given.
    """
    runs = {run.id: run for run in reader.runs(where=where)}

    def place(pair: tuple[int, str]) -> tuple[int, int]:
        position, run_id = pair
        text = runs[run_id].tags.get(SWEEP_INDEX_TAG, "") if run_id in runs else ""
        return (int(text), position) if text.isdigit() else (1 << 62, position)

    return [run_id for _, run_id in sorted(enumerate(ids), key=place)]
