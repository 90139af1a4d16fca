"""Reading what a run left in the store, and waiting until it is all there.

A run flushes from a background thread (and a kernel is another process), so a
test that reads the store waits for what it logged, bounded, instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtrack.model import Run
    from nbtrack.tracking.run import ActiveRun


def params_of(run: Run) -> dict[str, tuple[object, str]]:
    """``{key: (value, source)}`` of a stored run's params."""
    return {p.key: (p.value, p.source.value) for p in run.params}


def wait_until(condition: Callable[[], object], within: float = 60.0, every: float = 0.2) -> bool:
    """Ask *condition* every *every* seconds until it holds (True) or *within* seconds pass."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def wait_until_flushed(run: ActiveRun, within: float = 60.0) -> bool:
    """Flush *run* until its buffer is in the store (True) or *within* seconds pass (False).

    For a store that is coming back: each flush waits up to 5 s for the
    background writer, which retries the store on its own schedule.
    """
    return wait_until(lambda: run.flush(timeout=5), within)
