"""Plain function calls on an existing Dask distributed cluster (``--dask ADDRESS``).

For: ``nbtrack run --dask`` (the runs of a sweep) and ``nbtrack smoke --dask``
(one notebook a task): connect to a scheduler with a clear error when it
cannot be reached, check that its workers run this nbtrack, submit picklable
top-level calls, hand back results as they finish, cancel what is left on
Ctrl-C. ``distributed`` is imported only here, only when asked for
(``pip install 'nbtrack[dask]'``).
Not for: knowing what a call does: the callers (``execute``, ``smoke``) pass
their own functions and read their own results.
"""
