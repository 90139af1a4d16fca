"""Running a notebook in a kernel as one tracked run: the core of ``nbtrack run``.

``runner`` is the whole job as one function returning a value
(:func:`~nbtrack.execute.runner.run_notebook` ->
:class:`~nbtrack.execute.runner.BatchResult`); ``engine`` runs the cells on a
kernel of this interpreter with nbtrack loaded and decides how the run
ends; ``kernel`` is that kernel's process (ipykernel, less routine log
lines), and ``orphan`` ends its run
KILLED when ``nbtrack run`` dies under it; ``client`` is nbclient with what
cells print spooled to disk and the executed notebook written from there;
``locate`` names the user's cell that stopped the notebook; ``settle``
completes the stored run afterwards;
``redacted`` lets the kernel run a cell's real code (injected parameters
too) while every file keeps its secrets redacted.

A sweep (``nbtrack run --grid/--sample``) is many such runs: ``sweep`` plans
them (:func:`~nbtrack.execute.sweep.plan_sweep` -> a
:class:`~nbtrack.execute.sweep.SweepPlan` of values, each run tagged with the
sweep's id) and runs one in this process
(:func:`~nbtrack.execute.sweep.run_planned`, picklable, for a local child or a
Dask worker); ``sweep_local`` runs a plan's runs *jobs* at a time, each in a
child process of its own, and stops the lot on Ctrl-C or SIGTERM;
``sweep_dask`` sends them to a Dask cluster instead (``--dask ADDRESS``, through
:mod:`nbtrack.cluster`), into the same ``SweepResult``.

A sibling of :mod:`nbtrack.smoke` below the doors: both read, parameterise
and report on notebooks through :mod:`nbtrack.notebook` (one resolver, one
map from executed cells to the user's, one
:class:`~nbtrack.notebook.CellFailure`). Nothing here is imported at start-up;
``nbtrack run`` imports :mod:`nbtrack.execute.runner` when it runs.

Not for: parsing options or printing (``nbtrack.cli.run``), nor the run's
life inside the kernel (:mod:`nbtrack.tracking`).
"""
