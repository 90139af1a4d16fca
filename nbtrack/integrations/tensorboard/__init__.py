"""TensorBoard event files in and out, and the ``SummaryWriter`` bridge.

* ``records``  — the TFRecord framing of an event file (length, CRC-32C,
                 payload, CRC-32C): reading the intact records of a file from
                 an offset, writing framed records.
* ``importer`` — ``import_logdir``: each run folder of a log directory becomes
                 one run; re-importing changes nothing, a grown folder adds
                 only its new events. Its parts: ``events`` (a payload's
                 summary values sorted into points, params, images, text),
                 ``reading`` (one file as chunks of those, a large file
                 decoded in a helper process while the store writes),
                 ``resume`` (where a file's import starts: the data ref of
                 the last one, its prefix digest), ``textnote`` (text
                 summaries merged into the run's note).
* ``eventfile``— ``EventFileWriter``: one event file named as TensorBoard names
                 its own, events built with its protos (scalars, images, text,
                 the hparams session); shared by the export and the bridge.
* ``export``   — ``export_runs``: runs to event files ``tensorboard --logdir``
                 shows, one folder per run.
* ``bridge``   — ``SummaryWriter`` (logs to the active run, optionally to event
                 files too) and the ``record_*`` calls behind it.
* ``sync``     — ``sync_tensorboard``: existing tensorboardX / torch writers also
                 log to nbtrack (their methods wrapped; ``disable=True`` undoes it).
* ``images``   — image arrays (CHW/HWC/HW) and matplotlib figures as PNG bytes.

Events are parsed and built with TensorBoard's own protobuf classes
(``tensorboard.compat.proto``); only the record framing is written here.
"""
