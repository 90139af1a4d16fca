"""What tests share: build inputs, run commands, drive a shell, wait for the store.

* ``notebooks`` — notebooks built in code on ``nbformat.v4.new_*`` (cells from
  strings, tags, counts, outputs), written to a path or read as the model.
* ``cli`` — ``nbtrack ...`` in-process (click's runner) or as a real process.
* ``shell`` — the IPython shell with ``%load_ext nbtrack`` behind the ``ip``
  fixture, and the active run as the store has it.
* ``runs`` — reading a run's params; waiting until a run's buffer is flushed.
* ``git`` — git in a test's own repository, as a test user.
* ``secrets`` — every place under a store or an output a test's secret still shows.
* ``processes`` — whether a process a test (or a notebook) started still runs.
* ``relay`` — a TCP relay to PostgreSQL that a test cuts to make the store
  unreachable for real.

Not for: fixtures (they live in the ``conftest.py`` of the tests that use
them, built from these helpers) or assertions (tests say what they check).
Heavy libraries (nbformat, IPython) are imported inside the functions.
"""
