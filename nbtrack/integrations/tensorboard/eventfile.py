"""Writing TensorBoard event files: ``Event`` protos built with TensorBoard's classes.

For: :class:`EventFileWriter`, one event file named as TensorBoard names its own
(``events.out.tfevents.<time>.<host>.<pid>.<suffix>``) that opens with the
``brain.Event:2`` version event, and the events nbtrack writes into it:
scalars, PNG images, text and the hparams plugin's session records. Shared by
the export (``export.py``) and the ``SummaryWriter`` bridge (``bridge.py``).

Not for: choosing what to write (the callers do), reading event files
(``records.py`` and the importer), or encoding protobuf by hand: every event
is a ``tensorboard.compat.proto.event_pb2.Event`` serialized by protobuf,
framed by :func:`~nbtrack.integrations.tensorboard.records.frame`.

TensorBoard and google-crc32c are imported when a writer is made, never at
module import, and their absence is one sentence naming the extra.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.records import INSTALL_HINT, frame

__all__ = ["EventFileWriter", "event_file_name", "hparam_value", "load_protos"]

#: the marker nbtrack puts at the end of the event files it writes
SUFFIX = "nbtrack"
#: buffered bytes written out at once (a training loop does not pay a syscall a point)
_BUFFER_BYTES = 1 << 20
#: TFRecord's checksum mask (records.masked_crc), inlined in the bulk path
_CRC, _MASK, _U32 = struct.Struct("<I"), 0xA282EAD8, 0xFFFFFFFF


def load_protos() -> tuple[ModuleType, ModuleType, Callable[[bytes], int]]:
    """TensorBoard's ``event_pb2`` and ``summary_pb2`` and the CRC-32C function.

    Raises ``UsageError`` naming the extra when the tensorboard package (or
    google-crc32c) is missing.
    """
    try:
        import google_crc32c
        from tensorboard.compat.proto import event_pb2, summary_pb2
    except ImportError as exc:
        missing = (exc.name or "tensorboard").split(".")[0].replace("_", "-")
        raise UsageError(
            f"writing TensorBoard event files needs the {missing} package; {INSTALL_HINT}."
        ) from None
    crc: Callable[[bytes], int] = google_crc32c.value
    return event_pb2, summary_pb2, crc


def event_file_name(when: float | None = None, suffix: str = SUFFIX) -> str:
    """The file name TensorBoard's writers use: time, host and pid, then *suffix*."""
    stamp = int(time.time() if when is None else when)
    return f"events.out.tfevents.{stamp}.{socket.gethostname()}.{os.getpid()}.{suffix}"


def hparam_value(value: Any) -> bool | float | str:
    """A param as the hparams plugin takes it: bool, number or string.

    Lists, dicts and None (JSON values a run may hold) are written as their
    JSON text, so the HPARAMS tab shows what the run recorded.
    """
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return json.dumps(value, sort_keys=True)


class EventFileWriter:
    """One event file in *folder*, written through a buffer.

    >>> writer = EventFileWriter(Path("tb/run"))          # doctest: +SKIP
    >>> writer.scalar("loss", 0.25, step=1, wall_time=time.time())
    >>> writer.close()

    The folder is created; the file opens with the version event TensorBoard
    expects first. Nothing reaches the disk before :meth:`flush` or
    :meth:`close` once less than a megabyte is buffered.
    """

    def __init__(self, folder: Path, *, when: float | None = None, suffix: str = SUFFIX) -> None:
        self._event_pb2, self._summary_pb2, self._crc = load_protos()
        self._Event = self._event_pb2.Event
        self._Summary = self._summary_pb2.Summary
        self._Value = self._summary_pb2.Summary.Value
        started = time.time() if when is None else when
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.path = folder / event_file_name(started, suffix)
            self._file: IO[bytes] | None = open(self.path, "ab")  # noqa: SIM115 - held until close()
        except OSError as exc:
            raise UsageError(
                f"cannot write TensorBoard event files in {folder}: {exc.strerror}."
            ) from None
        self._parts: list[bytes] = []
        self._scalar_events: dict[str, tuple[Any, Any]] = {}
        self._size = 0
        self.write(self._Event(wall_time=started, file_version="brain.Event:2"))

    # -- events ------------------------------------------------------------------
    def write(self, event: Any) -> None:
        """Frame one ``Event`` and buffer it."""
        record = frame(event.SerializeToString(), self._crc)
        self._parts.append(record)
        self._size += len(record)
        if self._size >= _BUFFER_BYTES:
            self.flush()

    def scalar(self, tag: str, value: float, step: int, wall_time: float) -> None:
        """One scalar point (a ``simple_value``, what every TensorBoard version reads)."""
        cached = self._scalar_events.get(tag)
        if cached is None:
            event = self._Event(summary=self._Summary(value=[self._Value(tag=tag)]))
            cached = self._scalar_events[tag] = (event, event.summary.value[0])
        event, field = cached  # filled in again: a third of the cost of a new Event
        event.step, event.wall_time, field.simple_value = step, wall_time, value
        self.write(event)

    def scalars(self, tag: str, steps: Any, values: Any, wall_times: Any) -> None:
        """Many points of one tag, in the order given (the export's bulk path).

        One ``Event`` is filled in again for each point rather than built anew,
        and a record's header (its length and that length's checksum) is made
        once per payload length: three times faster than :meth:`scalar` a
        point, which is what lets an export write 200,000 points a second.
        """
        event = self._Event(summary=self._Summary(value=[self._Value(tag=tag, simple_value=0.0)]))
        value_field = event.summary.value[0]
        serialize, crc, parts = event.SerializeToString, self._crc, self._parts
        headers: dict[int, bytes] = {}
        pack_crc = _CRC.pack
        size = 0
        for step, value, wall in zip(steps, values, wall_times, strict=True):
            event.step, event.wall_time, value_field.simple_value = step, wall, value
            payload = serialize()
            length = len(payload)
            header = headers.get(length)
            if header is None:
                header = headers[length] = frame(payload, crc)[:12]
            check = crc(payload)
            parts += (header, payload, pack_crc((((check >> 15) | (check << 17)) + _MASK) & _U32))
            size += length + 16
            if size >= _BUFFER_BYTES:
                self._size += size
                size = 0
                self.flush()
        self._size += size

    def image(
        self, tag: str, png: bytes, width: int, height: int, step: int, wall_time: float
    ) -> None:
        """One PNG image (RGBA colour space: what Pillow and matplotlib write)."""
        image = self._Summary.Image(
            height=height, width=width, colorspace=4, encoded_image_string=png
        )
        summary = self._Summary(value=[self._Value(tag=tag, image=image)])
        self.write(self._Event(wall_time=wall_time, step=step, summary=summary))

    def text(self, tag: str, text: str, step: int, wall_time: float) -> None:
        """One text entry, as the text plugin reads it (a string tensor)."""
        from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

        metadata = self._summary_pb2.SummaryMetadata(
            plugin_data=self._summary_pb2.SummaryMetadata.PluginData(plugin_name="text")
        )
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING,
            string_val=[text.encode("utf-8")],
            tensor_shape=tensor_shape_pb2.TensorShapeProto(),
        )
        summary = self._Summary(value=[self._Value(tag=tag, metadata=metadata, tensor=tensor)])
        self.write(self._Event(wall_time=wall_time, step=step, summary=summary))

    def hparams(
        self,
        params: Mapping[str, Any],
        *,
        trial: str | None = None,
        started: float | None = None,
        wall_time: float | None = None,
    ) -> None:
        """The hparams plugin's session record: *params* of this run (one trial).

        The HPARAMS tab lists the run with these values; its metric columns
        are the scalar tags of the same folder, read at their last step.
        """
        from tensorboard.plugins.hparams import summary_v2

        values = {str(key): hparam_value(value) for key, value in params.items()}
        summary = summary_v2.hparams_pb(values, trial_id=trial, start_time_secs=started)
        self.write(self._Event(wall_time=wall_time or time.time(), summary=summary))

    # -- life --------------------------------------------------------------------
    def flush(self) -> None:
        """Write what is buffered to the file (and the operating system)."""
        if self._file is None or not self._parts:
            return
        self._file.write(b"".join(self._parts))
        self._file.flush()
        self._parts.clear()
        self._size = 0

    def close(self) -> None:
        """Flush and close; a second call does nothing."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None

    @property
    def closed(self) -> bool:
        return self._file is None

    def __enter__(self) -> EventFileWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
