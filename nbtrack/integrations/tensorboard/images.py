"""Images as TensorBoard's writers take them, made PNG files.

For: the ``SummaryWriter`` bridge and ``sync_tensorboard``: an image array
(numpy, or a torch tensor) in ``CHW``, ``HWC`` or ``HW`` layout, uint8 or
float in 0..1 (scaled by 255, as TensorBoard does), encoded to PNG with
Pillow; a matplotlib figure rendered to PNG; a PNG's width and height.

Not for: storing images (``ActiveRun.log_image``) or writing them to event
files (``eventfile.py``).
"""

from __future__ import annotations

import struct
from io import BytesIO
from typing import Any

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.records import INSTALL_HINT
from nbtrack.tracking import checks

__all__ = ["figure_png", "image_png", "png_size"]

_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def png_size(png: bytes, what: str) -> tuple[int, int]:
    """Width and height from a PNG's header chunk; *what* names it in the error."""
    if len(png) < 24 or not png.startswith(checks.PNG_SIGNATURE):
        raise UsageError(f"{what} is not a PNG file (it lacks the PNG signature).")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def figure_png(figure: Any, tag: str) -> bytes:
    """A matplotlib figure (anything with ``savefig``) rendered to PNG bytes."""
    if not callable(getattr(figure, "savefig", None)):
        raise UsageError(
            f"add_figure({tag!r}) needs a matplotlib figure (or a list of them),"
            f" not {type(figure).__name__}."
        )
    return checks.figure_png(figure, tag)


def image_png(image: Any, tag: str, dataformats: str = "CHW") -> bytes:
    """*image* in *dataformats* layout as PNG bytes (1, 3 or 4 channels)."""
    import numpy as np

    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - the tensorboard extra installs Pillow
        raise UsageError(f"add_image({tag!r}) needs the Pillow package; {INSTALL_HINT}.") from None
    array = _as_array(image, tag)
    hwc = _to_hwc(array, tag, dataformats)
    if hwc.dtype != np.uint8:
        if hwc.dtype.kind not in "fiu":
            raise UsageError(
                f"add_image({tag!r}): the image's values are {hwc.dtype}, not numbers."
            )
        scale = 255.0 if hwc.dtype.kind == "f" else 1.0
        hwc = np.clip(np.nan_to_num(hwc * scale), 0, 255).round().astype(np.uint8)
    channels = hwc.shape[2]
    pixels = hwc[:, :, 0] if channels == 1 else hwc
    buffer = BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), _MODES[channels]).save(buffer, format="PNG")
    return buffer.getvalue()


def _as_array(image: Any, tag: str) -> Any:
    import numpy as np

    if hasattr(image, "detach"):  # a torch tensor, possibly on a GPU
        image = image.detach().cpu().numpy()
    try:
        return np.asarray(image)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"add_image({tag!r}): the image is not an array ({exc}).") from None


def _to_hwc(array: Any, tag: str, dataformats: str) -> Any:
    layout = str(dataformats).upper()
    if layout not in ("CHW", "HWC", "HW"):
        raise UsageError(
            f"add_image({tag!r}): dataformats {dataformats!r} is not one this writer takes;"
            " give 'CHW', 'HWC' or 'HW' (one image per call)."
        )
    if array.ndim != len(layout):
        raise UsageError(
            f"add_image({tag!r}): an image of shape {tuple(array.shape)} does not fit"
            f" dataformats {dataformats!r} ({len(layout)} dimensions)."
        )
    if layout == "HW":
        array = array[:, :, None]
    elif layout == "CHW":
        array = array.transpose(1, 2, 0)
    if array.shape[2] not in _MODES or 0 in array.shape:
        raise UsageError(
            f"add_image({tag!r}): an image of shape {tuple(array.shape)} in {dataformats!r}"
            " must have 1, 3 or 4 channels and no empty side."
        )
    return array
