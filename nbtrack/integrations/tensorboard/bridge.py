"""The ``SummaryWriter`` bridge: TensorBoard's writer API, logging to the active run.

For: :class:`SummaryWriter`, a drop-in for ``torch.utils.tensorboard`` and
``tensorboardX`` writers: ``add_scalar``, ``add_scalars``, ``add_image``,
``add_figure``, ``add_text``, ``add_hparams``, ``flush``, ``close`` and the
``with`` block. Each call logs to the run ``nbtrack.log_metric`` would log to
(the active run, started if there is none), and, with ``event_files=True``
(the default), also writes TensorBoard event files under ``log_dir``; and
the ``record_*`` functions that ``sync.py`` reuses for existing writers.

What each call becomes in the run:

* ``add_scalar(tag, v, step)`` -> metric *tag* (the same speed as ``log_metric``);
  ``add_scalars(main, {k: v}, step)`` -> metrics ``main/k``;
* ``add_image`` / ``add_figure`` -> a PNG artifact *tag* at *step*, one per
  step (a list of figures: ``tag/0``, ``tag/1``, ...);
* ``add_text(tag, text, step)`` -> an entry of the run's note, in the layout
  the TensorBoard import gives text (``textnote``: a section per tag);
* ``add_hparams(hparams, metrics)`` -> params, and the metrics at *global_step*.

``walltime`` and TensorBoard-only keyword arguments (``new_style``,
``display_name``, ...) are accepted; the run's points carry the time of the
call, the event files the ``walltime`` given. Other ``add_*`` methods
(histograms, graphs, embeddings, ...) warn once each and record nothing.

Not for: the event encoding (``eventfile.py``) or patching other writers
(``sync.py``). Closing a writer does not end the run: it ends as any run does.
"""

from __future__ import annotations

import datetime
import os
import socket
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.errors import UsageError
from nbtrack.tracking import api

if TYPE_CHECKING:
    from nbtrack.integrations.tensorboard.eventfile import EventFileWriter
    from nbtrack.tracking.run import ActiveRun

__all__ = [
    "SummaryWriter",
    "TensorBoardWarning",
    "record_figures",
    "record_hparams",
    "record_image",
    "record_scalar",
    "record_scalars",
    "record_text",
]


class TensorBoardWarning(UserWarning):
    """Something a TensorBoard writer was asked for that nbtrack does not record."""


def _run() -> ActiveRun:
    """The run ``nbtrack.log_metric`` logs to: the active one, or a new one."""
    return (api._tracker or api.get_tracker()).current()


# -- what a call records in the run (shared with sync.py) ----------------------------


def record_scalar(tag: str, value: Any, step: Any = None) -> None:
    _run().log_metric(tag, value, step)


def record_scalars(main_tag: str, values: Mapping[str, Any], step: Any = None) -> None:
    if not isinstance(values, Mapping):
        raise UsageError(
            f"add_scalars({main_tag!r}) takes a dict of tag -> number, not {values!r}."
        )
    _run().log_metrics({f"{main_tag}/{tag}": value for tag, value in values.items()}, step)


def record_image(tag: str, png: bytes, step: Any = None) -> None:
    _run().log_image(png, tag, step=_step_or_none(step))


def record_figures(tag: str, pngs: list[bytes], step: Any = None, *, listed: bool) -> None:
    """One artifact per figure: *tag*, or ``tag/0``, ``tag/1``... for a list of figures."""
    for index, png in enumerate(pngs):
        record_image(f"{tag}/{index}" if listed else tag, png, step)


def record_text(tag: str, text: Any, step: Any = None, wall_time: float | None = None) -> None:
    """An entry of the run's note, laid out as ``nbtrack import tensorboard`` lays out text
    (a section per tag, its entries by step: ``textnote``)."""
    from nbtrack.integrations.tensorboard.events import Text
    from nbtrack.integrations.tensorboard.textnote import merge_texts

    run = _run()
    entry = Text(str(tag), _step(step), wall_time or time.time(), str(text))
    note, _ = merge_texts(run.note, [entry])
    if note is not None:
        run.set_note(note)


def record_hparams(hparams: Any, metrics: Any, step: Any = None) -> None:
    if not isinstance(hparams, Mapping) or not isinstance(metrics, Mapping):
        raise UsageError(
            "add_hparams takes two dicts (hparam name -> value, metric name -> number),"
            f" not {type(hparams).__name__} and {type(metrics).__name__}."
        )
    run = _run()
    run.log_params(dict(hparams))
    if metrics:
        run.log_metrics(dict(metrics), _step_or_none(step))


def _step_or_none(step: Any) -> int | None:
    return None if step is None else int(step)


def figure_pngs(tag: str, figure: Any, close: bool) -> tuple[list[bytes], bool]:
    """The PNG of each figure (one, or a list), closed afterwards when *close*."""
    from nbtrack.integrations.tensorboard.images import figure_png

    listed = isinstance(figure, list | tuple)
    figures = list(figure) if listed else [figure]
    pngs = [figure_png(one, tag) for one in figures]
    if close:
        import matplotlib.pyplot as plt

        for one in figures:
            plt.close(one)
    return pngs, listed


def default_log_dir(comment: str = "") -> Path:
    """``runs/<Mon>DD_HH-MM-SS_<host><comment>``, the folder torch's writer picks."""
    stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
    return Path("runs") / f"{stamp}_{socket.gethostname()}{comment}"


class SummaryWriter:
    """TensorBoard's ``SummaryWriter`` that logs to the active nbtrack run.

    >>> from nbtrack.tensorboard import SummaryWriter      # doctest: +SKIP
    >>> with SummaryWriter(event_files=False) as writer:
    ...     writer.add_scalar("val/acc", 0.91, 3)

    *log_dir* (``logdir`` too, as tensorboardX spells it) is where event files
    go when *event_files* is true; without the tensorboard extra installed a
    ``TensorBoardWarning`` says so once and only the run is logged to.
    *max_queue* events or *flush_secs* seconds, whichever comes first, write
    the buffered events to the file. tensorboardX's ``write_to_disk=False`` is
    ``event_files=False``; ``purge_step`` and other writers' options are taken
    and not used.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        event_files: bool = True,
        **kwargs: Any,
    ) -> None:
        log_dir = log_dir if log_dir is not None else kwargs.pop("logdir", None)
        if kwargs.get("write_to_disk") is False:  # tensorboardX's way to say no files
            event_files = False
        self.log_dir = str(log_dir) if log_dir is not None else str(default_log_dir(comment))
        self._suffix = filename_suffix
        self._max_queue = max(1, int(max_queue))
        self._flush_secs = float(flush_secs)
        self._writers: dict[str, EventFileWriter] = {}
        self._queued = 0
        self._flushed_at = time.monotonic()
        self._warned: set[str] = set()
        self.event_files = bool(event_files) and _event_files_possible()
        if self.event_files:
            self._writer("")  # the file exists from the start, as TensorBoard's writers make it

    def get_logdir(self) -> str:
        """The folder event files are written to."""
        return self.log_dir

    # -- the methods ---------------------------------------------------------------
    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
        display_name: str = "",
        summary_description: str = "",
    ) -> None:
        """Metric *tag* at *global_step*: ``nbtrack.log_metric``, and a scalar event.

        The other arguments of torch's and tensorboardX's ``add_scalar`` are
        taken and not used (named, not ``**kwargs``: this is the hot path).
        """
        (api._tracker or api.get_tracker()).current().log_metric(tag, scalar_value, global_step)
        if self.event_files:
            self._writer("").scalar(
                tag, float(scalar_value), _step(global_step), walltime or time.time()
            )
            self._written()

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Metrics ``main_tag/tag``; in event files each tag is its own run folder,
        ``<log_dir>/<main_tag>_<tag>``, as TensorBoard's writers do."""
        record_scalars(main_tag, tag_scalar_dict, global_step)
        if self.event_files:
            wall = walltime or time.time()
            for tag, value in tag_scalar_dict.items():
                folder = f"{main_tag.replace('/', '_')}_{tag}"
                self._writer(folder).scalar(main_tag, float(value), _step(global_step), wall)
            self._written()

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """An image array (CHW, HWC or HW; uint8, or float in 0..1) as a PNG at the step."""
        from nbtrack.integrations.tensorboard.images import image_png

        png = image_png(img_tensor, tag, dataformats)
        record_image(tag, png, global_step)
        self._image_event(tag, png, global_step, walltime)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: int | None = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """A matplotlib figure (or a list: ``tag/0``, ``tag/1``...) as a PNG at the step.

        *close* closes the figures afterwards, as TensorBoard's writers do.
        """
        pngs, listed = figure_pngs(tag, figure, close)
        record_figures(tag, pngs, global_step, listed=listed)
        for index, png in enumerate(pngs):
            self._image_event(f"{tag}/{index}" if listed else tag, png, global_step, walltime)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """An entry of the run's note (a section per tag, entries by step); a text event."""
        wall = walltime or time.time()
        record_text(tag, text_string, global_step, wall)
        if self.event_files:
            self._writer("").text(tag, str(text_string), _step(global_step), wall)
            self._written()

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        hparam_domain_discrete: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Params from *hparam_dict*, metrics from *metric_dict* (at *global_step*).

        In event files: the HPARAMS tab's session for this writer's folder (or
        ``<log_dir>/<run_name>``) and the metrics as scalars beside it.
        """
        record_hparams(hparam_dict, metric_dict, global_step)
        if self.event_files:
            writer = self._writer(run_name or "")
            wall = time.time()
            for key, value in metric_dict.items():
                writer.scalar(key, float(value), _step(global_step), wall)
            writer.hparams(hparam_dict, started=wall, wall_time=wall)
            self._written()

    # -- life ----------------------------------------------------------------------
    def flush(self) -> None:
        """Write buffered events to the files, and the run's buffer to the store."""
        for writer in self._writers.values():
            writer.flush()
        self._queued, self._flushed_at = 0, time.monotonic()
        run = api.active_run()
        if run is not None:
            run.flush(timeout=5.0)

    def close(self) -> None:
        """Flush and close the event files (a later call opens new ones); the run goes on."""
        self.flush()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Callable[..., None]:
        """Other ``add_*`` methods of TensorBoard's writers: a warning once, nothing recorded."""
        if not name.startswith("add_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

        def ignored(*args: Any, **kwargs: Any) -> None:
            if name not in self._warned:
                self._warned.add(name)
                warnings.warn(
                    f"nbtrack's SummaryWriter does not record {name}; the call is ignored"
                    " (scalars, images, figures, text and hparams are recorded).",
                    TensorBoardWarning,
                    stacklevel=2,
                )

        return ignored

    # -- event files ----------------------------------------------------------------
    def _writer(self, folder: str) -> EventFileWriter:
        writer = self._writers.get(folder)
        if writer is None:
            from nbtrack.integrations.tensorboard.eventfile import SUFFIX, EventFileWriter

            suffix = f"{SUFFIX}{self._suffix}"
            writer = EventFileWriter(Path(self.log_dir, folder), suffix=suffix)
            self._writers[folder] = writer
        return writer

    def _image_event(self, tag: str, png: bytes, step: Any, walltime: float | None) -> None:
        if self.event_files:
            from nbtrack.integrations.tensorboard.images import png_size

            width, height = png_size(png, f"the image {tag!r}")
            self._writer("").image(tag, png, width, height, _step(step), walltime or time.time())
            self._written()

    def _written(self) -> None:
        self._queued += 1
        if self._queued >= self._max_queue or (
            time.monotonic() - self._flushed_at >= self._flush_secs
        ):
            for writer in self._writers.values():
                writer.flush()
            self._queued, self._flushed_at = 0, time.monotonic()


def _step(step: Any) -> int:
    """An event's step: TensorBoard writes 0 when none is given."""
    return 0 if step is None else int(step)


def _event_files_possible() -> bool:
    from nbtrack.integrations.tensorboard.eventfile import load_protos

    try:
        load_protos()
    except UsageError as exc:
        warnings.warn(
            f"{exc} Logging to the nbtrack run goes on without event files.",
            TensorBoardWarning,
            stacklevel=3,
        )
        return False
    return True
