"""Other tools' formats and libraries, in and out of the run store.

* ``tensorboard`` — TensorBoard event files: ``records`` (the TFRecord
  framing, CRC-32C checked), ``importer`` (a log folder in as runs),
  ``export`` (runs out as event files, through ``eventfile``), ``bridge``
  (the drop-in ``SummaryWriter``), ``sync`` (``sync_tensorboard``).
* ``sklearn``     — ``autolog``: scikit-learn estimators' params, training
  score and ``partial_fit`` steps recorded at ``fit``.
* ``mlmd``        — ML-Metadata: runs as Executions, their data refs and
  artifacts as Artifacts with INPUT/OUTPUT events, the notebook a Context
  (``mapping``, ``export``).

Nothing here is imported eagerly, and the third-party packages (tensorboard,
scikit-learn, ml-metadata) are imported only inside the functions that use them: a user
without them never pays for them, and gets one sentence naming the extra to
install when a command needs one.
"""
