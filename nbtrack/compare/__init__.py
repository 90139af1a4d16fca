"""The read side: everything a door shows about stored runs comes from here.

For: reading the run store for people (the CLI's ``runs``/``show``/``compare``,
the DataFrame API, plots, the static report, the web UI) through one
:class:`~nbtrack.compare.reader.Reader`, so a query, a downsampling or an
access rule is written once. Returns plain values; rendering for a terminal,
markdown or HTML lives in its ``render_*`` modules, never in a door.
Not for: writing runs (``nbtrack.tracking``) or SQL (``nbtrack.store``).

* ``reader``: ``Reader``, the one read API over a store (runs, a run, metric
  histories as columns, artifact files).
* ``columns``: ``varying_keys``, the one rule for "the params that tell these
  runs apart" (list columns, comparisons, legends).
* ``frames``: runs and metric histories as pandas DataFrames (``runs_frame``,
  ``history_frame``), built from the store's columnar reads.
* ``artifacts``: a run's artifact found by name, loaded as an object by its
  type, or copied out with its digest checked.
* ``read_api``: the public read functions ``nbtrack.runs``,
  ``metric_history``, ``get_run``, ``load_artifact``, ``artifact_path``.
"""
