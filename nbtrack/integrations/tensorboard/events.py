"""Event payloads decoded into what a run stores: points, params, images, text.

For: the importer's inner loop. Each payload is parsed with TensorBoard's own
``Event`` class and each summary value sorted by what it is:

* a metric point: a v1 ``simple_value`` (tensorboardX, ``torch`` by default),
  or a v2 scalar tensor, plugin ``scalars`` (TF 2, ``torch`` with
  ``new_style=True``);
* params: plugin ``hparams``, the session start info's hparams;
* an image: a v1 ``image`` (encoded PNG/JPEG bytes), or a v2 tensor of plugin
  ``images`` (width, height, then each image's encoded bytes);
* a text entry: plugin ``text`` (a string tensor);
* anything else (histograms, audio, PR curves, graphs, ...): counted by kind
  as skipped, so the importer can say what it left out.

Not for: the record framing (``records.py``) or writing to a store
(``importer.py``).

A v2 writer attaches the plugin metadata to a tag's first value only (TF's
``FileWriter`` strips it from later ones, as TensorBoard's own reader knows);
:attr:`Decoded.plugins` remembers each tag's plugin, and the importer keeps
that memory with the file, so a read resumed in the middle of a file still
knows what a bare tensor is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.records import INSTALL_HINT
from nbtrack.model import JSONValue
from nbtrack.store.base import MetricRow

__all__ = ["Decoded", "Image", "Text", "decode", "event_class", "media_type"]

#: TensorBoard's names of the plugins whose data the importer keeps
SCALARS, HPARAMS, IMAGES, TEXT = "scalars", "hparams", "images", "text"


class Image(NamedTuple):
    tag: str
    step: int
    wall_time: float
    data: bytes


class Text(NamedTuple):
    tag: str
    step: int
    wall_time: float
    text: str


@dataclass
class Decoded:
    """What the payloads of one read held, in file order."""

    rows: list[MetricRow] = field(default_factory=list)
    params: dict[str, JSONValue] = field(default_factory=dict)
    images: list[Image] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    #: values left out, by kind (``histo``, ``audio``, a plugin's name, ...)
    skipped: Counter[str] = field(default_factory=Counter)
    #: records that passed their checksum but are not an ``Event``
    unreadable: int = 0
    #: tag -> plugin name of the v2 values seen (carried from one read to the next)
    plugins: dict[str, str] = field(default_factory=dict)
    #: the earliest and latest wall time of any event (None: no event had one)
    first_time: float | None = None
    last_time: float | None = None


def event_class() -> Any:
    """TensorBoard's ``Event`` protobuf class; a ``UsageError`` naming the extra without it."""
    try:
        from tensorboard.compat.proto.event_pb2 import Event
    except ImportError:
        raise UsageError(
            f"Reading TensorBoard event files needs the tensorboard package; {INSTALL_HINT}."
        ) from None
    return Event


def decode(payloads: Iterable[list[bytes]], out: Decoded) -> None:
    """Decode batches of payloads into *out* (appending to what it holds).

    The loop is the import's hot path (a million scalars take about two
    seconds): a plain ``simple_value`` goes straight to ``out.rows``, and only
    other values pay for a call.
    """
    from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

    parse = event_class().FromString
    add = out.rows.append
    first = out.first_time if out.first_time is not None else float("inf")
    last = out.last_time if out.last_time is not None else float("-inf")
    for batch in payloads:
        for payload in batch:
            try:
                event = parse(payload)
            except DecodeError:
                out.unreadable += 1
                continue
            wall = event.wall_time
            if wall < first:
                first = wall
            if wall > last:
                last = wall
            values = event.summary.value
            count = len(values)
            if count == 1:  # the usual event: one value (indexing beats iterating on upb)
                value = values[0]
                if value.HasField("simple_value"):
                    add((value.tag, value.simple_value, event.step, wall))
                else:
                    _other(value, event.step, wall, out)
                continue
            for i in range(count):
                value = values[i]
                if value.HasField("simple_value"):
                    add((value.tag, value.simple_value, event.step, wall))
                else:
                    _other(value, event.step, wall, out)
    if first <= last:
        out.first_time, out.last_time = first, last


def _other(value: Any, step: int, wall: float, out: Decoded) -> None:
    """A summary value that is not a v1 scalar: a plugin's tensor, an image, or skipped."""
    tag = value.tag
    kind = value.WhichOneof("value")
    plugin = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else ""
    if plugin:
        out.plugins.setdefault(tag, plugin)
    else:
        plugin = out.plugins.get(tag, "")
    if kind == "image":
        out.images.append(Image(tag, step, wall, value.image.encoded_image_string))
    elif plugin == HPARAMS:
        out.params.update(_hparams(value.metadata.plugin_data.content))
    elif kind == "tensor" and plugin == SCALARS:
        out.rows.append((tag, _scalar(value.tensor), step, wall))
    elif kind == "tensor" and plugin == TEXT:
        out.texts.append(Text(tag, step, wall, _text(value.tensor)))
    elif kind == "tensor" and plugin == IMAGES:
        # string_val is [width, height, image, image, ...]
        images = list(value.tensor.string_val)[2:]
        for n, data in enumerate(images):
            name = tag if len(images) == 1 else f"{tag}/{n}"
            out.images.append(Image(name, step, wall, data))
    else:
        out.skipped[plugin or kind or "empty"] += 1


def _hparams(content: bytes) -> dict[str, JSONValue]:
    """The hparams of a session start info (other hparams records hold none)."""
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    data = HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return {}
    params: dict[str, JSONValue] = {}
    for key, value in data.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind == "number_value":
            params[key] = _number(value.number_value)
        elif kind in ("string_value", "bool_value"):
            params[key] = getattr(value, kind)
        elif kind == "null_value":
            params[key] = None
        else:  # a list or a struct: protobuf's own JSON form of it
            from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

            params[key] = MessageToDict(value)
    return params


def _number(value: float) -> int | float:
    """An hparam number: TensorBoard keeps every number as a double, so a whole one
    (``epochs``, ``batch_size``: 64.0) comes back an int, as the user wrote it."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _scalar(tensor: Any) -> float:
    """A v2 scalar's value: the float or double field, else TensorBoard's conversion."""
    if len(tensor.float_val) == 1:
        return float(tensor.float_val[0])
    if len(tensor.double_val) == 1:
        return float(tensor.double_val[0])
    from tensorboard.util.tensor_util import make_ndarray

    return float(make_ndarray(tensor).item())


def _text(tensor: Any) -> str:
    """A text summary's string tensor as text: one string, lines, or rows of cells."""
    cells = [s.decode("utf-8", "replace") for s in tensor.string_val]
    dims = [d.size for d in tensor.tensor_shape.dim]
    if len(dims) == 2 and dims[0] * dims[1] == len(cells) and dims[1] > 0:
        width = dims[1]
        return "\n".join(" | ".join(cells[r : r + width]) for r in range(0, len(cells), width))
    return "\n".join(cells)


def media_type(data: bytes) -> tuple[str, str]:
    """(media type, file extension) of an encoded image, by its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", ".gif"
    return "application/octet-stream", ".bin"
