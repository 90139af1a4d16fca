"""Send plain function calls to a Dask cluster and hand back their outcomes as they finish.

For: :func:`run_calls`: each :class:`Call` (a picklable top-level function
and its arguments) becomes one task on a worker, run there in a process of
its own (:mod:`nbtrack.cluster.worker`); a :class:`Done` comes back for each,
in the order they finish, with the worker's address and either the call's
value or the sentence it failed with. *limit* caps the tasks in flight.

Ctrl-C (``KeyboardInterrupt``) while waiting sets the stop event every task
watches: calls not yet started never start, running ones get SIGTERM (and
SIGKILL after *grace* seconds); their outcomes are still collected (for a
while) so that callers can report them, then the interrupt goes on up. A
second Ctrl-C cancels what is left at once.

Not for: knowing what a call does; its function and value are the caller's.
"""

from __future__ import annotations

import contextlib
import pickle
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbtrack.cluster.connect import distributed
from nbtrack.cluster.worker import NOT_STARTED, STOPPED, call_in_process

__all__ = ["Call", "Done", "run_calls"]

#: seconds a stopped call has after SIGTERM before its process group is killed
GRACE = 20.0


@dataclass(frozen=True)
class Call:
    """``function(*args, **kwargs)`` on a worker; *label* names the task on the dashboard."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = "call"


@dataclass(frozen=True)
class Done:
    """One call's outcome: *value* when it returned, else *error* (one sentence)."""

    index: int
    worker: str
    value: Any = None
    error: str | None = None
    #: the stop event (Ctrl-C) ended it, or kept it from starting
    stopped: bool = False
    #: it never started (stopped first, or cancelled)
    started: bool = True


def _submit(client: Any, call: Call, index: int, stop_name: str, grace: float) -> Any:
    payload = pickle.dumps((call.function, call.args, call.kwargs))
    key = f"nbtrack-{call.label}-{index}-{uuid.uuid4().hex[:8]}"
    # retries=0: a call that ran must not run twice (a run would be recorded twice)
    return client.submit(call_in_process, payload, stop_name, grace, key=key, pure=False)


def _done(index: int, answer: tuple[str, str, bytes]) -> Done:
    worker, kind, data = answer
    if kind == NOT_STARTED:
        return Done(index, worker, error="not started", stopped=True, started=False)
    if not data:
        return Done(index, worker, error="stopped before it finished", stopped=kind == STOPPED)
    status, value = pickle.loads(data)
    if status == "ok":
        return Done(index, worker, value=value, stopped=kind == STOPPED)
    return Done(index, worker, error=str(value), stopped=kind == STOPPED)


def _failed(index: int, future: Any) -> Done:
    """A task that raised on the scheduler's side (its worker died, it was cancelled)."""
    if future.cancelled():
        return Done(index, "", error="cancelled before it ran", stopped=True, started=False)
    exc = future.exception()
    text = " ".join(str(exc).split()) or type(exc).__name__
    return Done(index, "", error=f"the Dask task failed: {text}")


def _collect(index: int, future: Any) -> Done:
    if future.status == "finished":
        return _done(index, future.result())
    return _failed(index, future)


def run_calls(
    client: Any,
    calls: Sequence[Call],
    on_done: Callable[[Done], None],
    *,
    limit: int | None = None,
    grace: float = GRACE,
) -> None:
    """Run *calls*, telling *on_done* of each outcome as it finishes; see the module docstring.

    A callback rather than a generator: a Ctrl-C that lands in the caller's
    own code (printing a result) must stop the tasks all the same.
    """
    dd = distributed()
    stop_name = f"nbtrack-stop-{uuid.uuid4().hex}"
    waiting = list(enumerate(calls))
    waiting.reverse()
    cap = len(calls) if limit is None else max(1, limit)
    index_of: dict[str, int] = {}
    running: Any = dd.as_completed(loop=client.loop, with_results=False)

    def submit_next() -> None:
        index, call = waiting.pop()
        future = _submit(client, call, index, stop_name, grace)
        index_of[future.key] = index
        running.add(future)

    try:
        for _ in range(min(cap, len(waiting))):
            submit_next()
        for future in running:
            done = _collect(index_of.pop(future.key), future)
            if waiting:
                submit_next()
            on_done(done)
    except KeyboardInterrupt:
        dd.Event(stop_name, client=client).set()
        for done in _wind_down(running, index_of, grace):
            on_done(done)
        for index, _ in reversed(waiting):
            on_done(Done(index, "", error="not started", stopped=True, started=False))
        raise


def _wind_down(running: Any, index_of: dict[str, int], grace: float) -> Iterator[Done]:
    """After the stop event: the outcomes of the tasks in flight, waited for up to *grace*+."""
    futures = [f for f in running.futures if f.key in index_of]
    running.clear()
    deadline = time.monotonic() + grace + 15
    # a second Ctrl-C, or a worker that does not answer: the rest are cancelled
    with contextlib.suppress(KeyboardInterrupt):
        while not all(future.done() for future in futures) and time.monotonic() < deadline:
            time.sleep(0.2)
    for future in futures:
        if future.done():
            yield _collect(index_of[future.key], future)
        else:
            future.cancel()
            yield Done(index_of[future.key], "", error="cancelled", stopped=True)
