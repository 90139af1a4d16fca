"""Plain function calls on an existing Dask distributed cluster (``--dask ADDRESS``).

For: ``nbtrack run --dask`` (the runs of a sweep) and ``nbtrack smoke --dask``
(one notebook a task): connect to a scheduler with a clear error when it
cannot be reached, check that its workers run this nbtrack, submit picklable
top-level calls, hand back results as they finish, cancel what is left on
Ctrl-C. ``distributed`` is imported only here, only when asked for
(``pip install 'nbtrack[dask]'``).
The modules, one job each:

* ``connect``: a client of the scheduler at ADDRESS (a bad address, no
  scheduler, a timeout, distributed missing: one sentence), and the workers
  checked (at least one; each imports nbtrack at this version).
* ``tasks``: ``run_calls``: calls submitted (at most *limit* in flight),
  outcomes handed back as they finish; Ctrl-C stops the lot.
* ``worker``: what a worker runs for a task: the call in a child process
  it can stop (SIGTERM, then SIGKILL), the worker's address in
  ``NBTRACK_DASK_WORKER``.
* ``_call``: that child process (``python -m nbtrack.cluster._call``).

Not for: knowing what a call does: the callers (``execute``, ``smoke``) pass
their own functions and read their own results.
"""
