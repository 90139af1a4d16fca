"""ML-Metadata export: runs, their data and their files as an MLMD lineage graph.

* ``mapping`` — what a run becomes, as plain values and without ml-metadata:
  an Execution (``nbtrack.Run``), its data refs INPUT and its artifacts
  OUTPUT events of Artifacts keyed by digest (``nbtrack.Dataset``,
  ``nbtrack.File``, ``nbtrack.Model``), its notebook a Context.
* ``export``  — ``export_runs``: that plan written into an MLMD SQLite store
  with Google's ``ml-metadata`` package (``nbtrack[mlmd]``), idempotently.

ml-metadata is imported only inside ``export``'s functions.
"""
