"""Smoke-testing notebooks: static hidden-state lint, clean runs, reports.

``nbtrack smoke`` and ``pytest --nbtrack-smoke`` are thin doors into this
package; nothing here is imported by ``nbtrack`` itself at start-up.

The modules, one job each, in the order a smoke run meets them:

* ``options``: smoke options from the command line and ``[tool.nbtrack.smoke]``.
* ``lint`` (with ``names``): static hidden-state checks, no execution.
* ``plan``: find the notebooks, then read, lint and parameterise each.
* ``process``: child processes started early, given a plan, watched under
  timeouts; SIGTERM unwinds them.
* ``protocol`` (stdlib only): what parent and child say to each other: the
  plan and event records, event kinds, ``magic_line``, the failing line.
* ``_child`` / ``_kernel_child``: the child processes (a fresh IPython, or
  nbclient with the notebook's kernel).
* ``isolate``: ``--isolate``, a throwaway copy of what git tracks.
* ``runner``: planned notebooks, each in a fresh process, *jobs* at a time.
* ``distributed``: ``--dask ADDRESS``: each planned notebook a task on a Dask
  cluster's worker (``runner.run_plan`` there), results back in input order.
* ``verdict`` (with ``hints``): a child's events to a ``SmokeResult``, with a diagnosis.
* ``result``: the values a smoke run or a lint produces.
* ``report``: console text, JUnit XML, JSON, GitHub annotations.
* ``pytest_plugin``: a door (``pytest --nbtrack-smoke``), not a room of the core.
"""
