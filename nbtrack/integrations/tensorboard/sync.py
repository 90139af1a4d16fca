"""``nbtrack.sync_tensorboard()``: existing TensorBoard writers also log to nbtrack.

For: code a user does not want to change. The ``add_scalar``,
``add_scalars``, ``add_image``, ``add_figure``, ``add_text`` and
``add_hparams`` methods of ``tensorboardX.SummaryWriter`` and of
``torch.utils.tensorboard.SummaryWriter`` (each when it can be imported) are
wrapped: the writer's own method runs as before (its event files are
unchanged), then the call is recorded in the active run as the bridge's
``SummaryWriter`` records it. Calling it again changes nothing;
``sync_tensorboard(disable=True)`` puts the original methods back.

A writer's method that calls another (tensorboardX's ``add_figure`` calls
``add_image``, ``add_hparams`` makes a writer and calls its ``add_scalar``)
is recorded once, by the outer call. Something nbtrack refuses (a metric name
it cannot store, a param logged before with another value) is a
``TensorBoardWarning``, not an exception: TensorBoard has recorded the call.

Not for: nbtrack's own writer (``bridge.SummaryWriter``).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import threading
import warnings
from collections.abc import Callable
from typing import Any

from nbtrack.errors import NbtrackError
from nbtrack.integrations.tensorboard.bridge import (
    TensorBoardWarning,
    figure_pngs,
    record_figures,
    record_hparams,
    record_image,
    record_scalar,
    record_scalars,
    record_text,
)

__all__ = ["WRITERS", "sync_tensorboard"]

#: the writer classes synced, as (module, class name); each only when importable
WRITERS = (("tensorboardX", "SummaryWriter"), ("torch.utils.tensorboard", "SummaryWriter"))
_MARK = "__nbtrack_original__"


class _Nesting(threading.local):
    depth = 0


_nesting = _Nesting()


def sync_tensorboard(disable: bool = False) -> list[str]:
    """Make TensorBoard writers also log to the active nbtrack run (or stop it).

    Returns the writer classes now synced (or, with *disable*, restored), as
    ``module.Class`` names; a library that is not installed is skipped.

    >>> import nbtrack                                  # doctest: +SKIP
    >>> nbtrack.sync_tensorboard()
    ['tensorboardX.SummaryWriter']
    """
    done: list[str] = []
    for module_name, class_name in WRITERS:
        cls = _writer_class(module_name, class_name)
        if cls is None:
            continue
        for method, recorder in _RECORDERS.items():
            current = cls.__dict__.get(method)
            if current is None:
                continue
            original = getattr(current, _MARK, None)
            if disable and original is not None:
                setattr(cls, method, original)
            elif not disable and original is None:
                setattr(cls, method, _wrap(current, recorder))
        done.append(f"{module_name}.{class_name}")
    return done


def _writer_class(module_name: str, class_name: str) -> type | None:
    root = module_name.split(".")[0]
    if importlib.util.find_spec(root) is None:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:  # torch without its tensorboard dependency, say
        return None
    cls = getattr(module, class_name, None)
    return cls if isinstance(cls, type) else None


def _wrap(original: Callable[..., Any], recorder: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def synced(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _nesting.depth:
            return original(self, *args, **kwargs)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        _nesting.depth += 1
        try:
            return recorder(original, bound.arguments, self, args, kwargs)
        finally:
            _nesting.depth -= 1

    setattr(synced, _MARK, original)
    return synced


def _recording(call: Callable[[], None]) -> None:
    """Record in nbtrack; what nbtrack refuses is a warning (TensorBoard has it)."""
    try:
        call()
    except NbtrackError as exc:
        warnings.warn(f"nbtrack did not record a TensorBoard call: {exc}", TensorBoardWarning, 4)


# Each recorder gets the original method, the bound arguments by name, and the
# call as made; it calls the original and records, and returns what it returned.


def _scalar(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    result = original(self, *args, **kwargs)
    _recording(lambda: record_scalar(a["tag"], a["scalar_value"], a.get("global_step")))
    return result


def _scalars(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    result = original(self, *args, **kwargs)
    _recording(lambda: record_scalars(a["main_tag"], a["tag_scalar_dict"], a.get("global_step")))
    return result


def _image(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    from nbtrack.integrations.tensorboard.images import image_png

    result = original(self, *args, **kwargs)
    layout = a.get("dataformats") or "CHW"
    tag, step = a["tag"], a.get("global_step")
    _recording(lambda: record_image(tag, image_png(a["img_tensor"], tag, layout), step))
    return result


def _figure(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    # rendered before the writer's own method, which may close the figures
    tag = a["tag"]
    pngs: list[bytes] = []
    listed = False

    def render() -> None:
        nonlocal pngs, listed
        pngs, listed = figure_pngs(tag, a["figure"], close=False)

    _recording(render)
    result = original(self, *args, **kwargs)
    if pngs:
        _recording(lambda: record_figures(tag, pngs, a.get("global_step"), listed=listed))
    return result


def _text(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    result = original(self, *args, **kwargs)
    _recording(
        lambda: record_text(a["tag"], a["text_string"], a.get("global_step"), a.get("walltime"))
    )
    return result


def _hparams(original: Any, a: dict[str, Any], self: Any, args: Any, kwargs: Any) -> Any:
    result = original(self, *args, **kwargs)
    params, metrics = a["hparam_dict"], a["metric_dict"]
    _recording(lambda: record_hparams(params, metrics, a.get("global_step")))
    return result


_RECORDERS: dict[str, Callable[..., Any]] = {
    "add_scalar": _scalar,
    "add_scalars": _scalars,
    "add_image": _image,
    "add_figure": _figure,
    "add_text": _text,
    "add_hparams": _hparams,
}
