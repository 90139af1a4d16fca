"""Finding the points a store refuses inside a batch it refused as a whole.

For: :func:`isolate`, used by the flusher and by ``replay_spill`` when a
batch of metric points fails while the store is reachable. One row no
database can hold (a step past 64 bits written by an older nbtrack, a key
with half a surrogate pair) fails the whole transaction; ``isolate`` writes
the batch again in halves, and the halves of what fails, down to the single
rows the store refuses on their own, so every other point lands. A failed
part is followed by a probe of the store: when it no longer answers, the
search stops and the rest is kept as it was (an outage, not a refusal).
After :data:`MAX_FAILURES` failed writes (a batch where most rows are bad)
the rest is kept untried, so a hopeless batch costs a bounded number of
round trips.

Not for: deciding what happens to the refused rows (the flusher retries
and then spills them, a replay names them) or validating values (``run.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nbtrack.store.base import MetricRow

__all__ = ["MAX_FAILURES", "Isolated", "describe", "isolate", "one_line"]

#: failed writes after which the search stops and keeps the rest untried
MAX_FAILURES = 64


@dataclass
class Isolated:
    """What :func:`isolate` did with a refused batch."""

    written: int = 0
    #: the rows not written, in their order: refused ones, and any left untried
    left: list[MetricRow] = field(default_factory=list)
    #: the rows the store refused on their own, each with the reason
    refused: list[tuple[MetricRow, str]] = field(default_factory=list)
    #: the error of a store that stopped answering during the search
    outage: Exception | None = None


def isolate(
    write: Callable[[Sequence[MetricRow]], None],
    rows: Sequence[MetricRow],
    first: Exception,
    reachable: Callable[[], bool],
) -> Isolated:
    """Write *rows*, which *write* just refused as a whole with *first*, in parts.

    *reachable* tells a refusal (the store answers) from an outage.
    """
    done = Isolated()
    parts: list[tuple[Sequence[MetricRow], Exception | None]] = [(rows, first)]
    failures = 1
    while parts:
        part, error = parts.pop()
        if error is None:
            try:
                write(part)
            except Exception as exc:
                error = exc
                failures += 1
                if not reachable():
                    done.outage = exc
            else:
                done.written += len(part)
                continue
        if done.outage is not None or failures > MAX_FAILURES:
            done.left.extend(part)
            for rest, _ in reversed(parts):
                done.left.extend(rest)
            break
        if len(part) == 1:
            done.left.append(part[0])
            done.refused.append((part[0], one_line(error)))
            continue
        half = len(part) // 2
        parts.append((part[half:], None))
        parts.append((part[:half], None))
    return done


def describe(refused: Sequence[tuple[MetricRow, str]], limit: int = 3) -> str:
    """The first refused rows as ``'key' step N value V: reason``, ``; ``-joined."""
    shown = [
        f"{key!r} step {step} value {value!r}: {why}" for (key, value, step, _), why in refused
    ]
    more = len(shown) - limit
    return "; ".join(shown[:limit]) + (f"; and {more} more" if more > 0 else "")


def one_line(exc: BaseException) -> str:
    """The first line of an error's text, at most 200 characters."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
