"""Event files read back by TensorBoard itself, as ``tensorboard --logdir`` would show them.

``load(folder)`` is TensorBoard's ``EventAccumulator`` over one run folder with
nothing sampled away; ``session_groups(logdir)`` asks the HPARAMS tab's own
backend (its ``list_session_groups`` handler over a data provider of the log
folder) for the rows the tab shows: each run's hparams and its metric values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load(folder: Path) -> Any:
    """TensorBoard's ``EventAccumulator`` of *folder*, every event kept."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    keep_all = {"scalars": 0, "images": 0, "tensors": 0, "histograms": 0}
    accumulator = EventAccumulator(str(folder), size_guidance=keep_all)
    accumulator.Reload()
    return accumulator


def scalars(folder: Path, tag: str) -> list[tuple[int, float, float]]:
    """``(step, value, wall_time)`` of each point of *tag* in *folder*, read by TensorBoard."""
    return [(e.step, e.value, e.wall_time) for e in load(folder).Scalars(tag)]


def session_groups(logdir: Path) -> dict[str, dict[str, Any]]:
    """The HPARAMS tab's rows: session name -> ``{"hparams": {...}, "metrics": {tag: value}}``."""
    from google.protobuf import json_format
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    tb_context = base_plugin.TBContext(
        data_provider=provider, logdir=str(logdir), multiplexer=multiplexer
    )
    request = json_format.Parse(
        '{"startIndex": 0, "sliceSize": 1000, "allowedStatuses": ["STATUS_UNKNOWN",'
        ' "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]}',
        api_pb2.ListSessionGroupsRequest(),
    )
    handler = list_session_groups.Handler(
        context.RequestContext(), backend_context.Context(tb_context), "", request
    )
    rows: dict[str, dict[str, Any]] = {}
    for group in handler.run().session_groups:
        for session in group.sessions:
            hparams = {k: json_format.MessageToDict(v) for k, v in group.hparams.items()}
            metrics = {m.name.tag: m.value for m in session.metric_values}
            rows[session.name] = {"hparams": hparams, "metrics": metrics}
    return rows
