"""Event files nbtrack writes, read back by TensorBoard's own loader; the export's refusals."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.eventfile import EventFileWriter, hparam_value
from nbtrack.integrations.tensorboard.export import (
    ExportFigure,
    ExportRun,
    export_runs,
    run_folder_name,
)
from nbtrack.integrations.tensorboard.images import image_png, png_size
from nbtrack.store.base import HistoryArrays


def _events(path: Path) -> list[object]:
    return list(EventFileLoader(str(path)).Load())


def test_a_file_is_named_as_tensorboard_names_its_own_and_opens_with_the_version_event(
    tmp_path: Path,
) -> None:
    writer = EventFileWriter(tmp_path / "run", when=1700000000.5)
    assert re.fullmatch(r"events\.out\.tfevents\.1700000000\.[^.]+\.\d+\.nbtrack", writer.path.name)
    writer.scalar("loss", 0.5, step=3, wall_time=1700000001.25)
    assert writer.path.read_bytes() == b""  # buffered until flush or close
    writer.close()
    writer.close()  # a second close does nothing
    first, scalar = _events(writer.path)
    assert first.file_version == "brain.Event:2"  # type: ignore[attr-defined]
    assert (scalar.step, scalar.wall_time) == (3, 1700000001.25)  # type: ignore[attr-defined]
    (value,) = scalar.summary.value  # type: ignore[attr-defined]
    assert value.tag == "loss"


def test_the_bulk_path_and_the_single_path_write_the_same_events(tmp_path: Path) -> None:
    steps, values, walls = [0, 5, 2**40], [0.0, -1.5, float("nan")], [1.0, 2.0, 3.0]
    with EventFileWriter(tmp_path / "bulk", when=1) as bulk:
        bulk.scalars("acc", steps, values, walls)
    with EventFileWriter(tmp_path / "single", when=1) as single:
        for step, value, wall in zip(steps, values, walls, strict=True):
            single.scalar("acc", value, step, wall)
    assert bulk.path.read_bytes() == single.path.read_bytes()
    read = [(e.step, e.summary.value[0].tensor.float_val[0]) for e in _events(bulk.path)[1:]]  # type: ignore[attr-defined]
    assert read[:2] == [(0, 0.0), (5, -1.5)]
    assert read[2][0] == 2**40
    assert np.isnan(read[2][1])


def test_text_and_images_are_the_events_tensorboards_plugins_read(tmp_path: Path) -> None:
    png = image_png(np.zeros((2, 3), dtype=np.uint8), "img", "HW")
    with EventFileWriter(tmp_path / "run") as writer:
        writer.text("note", "héllo", 0, 1.0)
        writer.image("img", png, *png_size(png, "img"), step=4, wall_time=2.0)
    _, text, image = _events(writer.path)
    (value,) = text.summary.value  # type: ignore[attr-defined]
    assert value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.string_val == ["héllo".encode()]
    (value,) = image.summary.value  # type: ignore[attr-defined]
    # the loader hands an image summary on as the images plugin reads it: width, height, PNG
    assert value.metadata.plugin_data.plugin_name == "images"
    assert value.tensor.string_val == [b"3", b"2", png]
    assert image.step == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (3, 3.0), (0.5, 0.5), ("adam", "adam"), ([1, 2], "[1, 2]"), (None, "null")],
)
def test_params_become_what_the_hparams_plugin_takes(value: object, expected: object) -> None:
    assert hparam_value(value) == expected


@pytest.mark.parametrize(
    ("run_id", "name", "folder"),
    [
        ("3f9c2a1b" * 4, "baseline", "baseline_3f9c2a1b"),
        ("3f9c2a1b" * 4, None, "3f9c2a1b"),
        ("3f9c2a1b" * 4, "lr=0.1 / bs 32", "lr-0.1-bs-32_3f9c2a1b"),
        ("3f9c2a1b" * 4, "../../etc", "etc_3f9c2a1b"),
        ("3f9c2a1b" * 4, "ünïcode ✓", "n-code_3f9c2a1b"),
        ("3f9c2a1b" * 4, "x" * 100, "x" * 60 + "_3f9c2a1b"),
    ],
)
def test_run_folders_are_safe_names(run_id: str, name: str | None, folder: str) -> None:
    assert run_folder_name(run_id, name) == folder


def _run(figures: tuple[ExportFigure, ...] = ()) -> ExportRun:
    history = HistoryArrays(
        steps=np.array([0, 0], dtype=np.int64),
        has_step=np.array([False, False]),
        values=np.array([1.0, 2.0]),
        timestamps=np.array([time.time(), time.time()]),
    )
    return ExportRun(
        id="a" * 32, name="r", started_at=1.0, histories={"x": history}, figures=figures
    )


def test_a_missing_or_non_png_figure_stops_the_export_before_anything_is_written(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        UsageError, match=r"cannot export the figure .*gone\.png: its file is missing"
    ):
        export_runs([_run((ExportFigure(tmp_path / "gone.png", "gone.png"),))], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a not a png at all")
    with pytest.raises(UsageError, match=r"the figure .*fake\.png is not a PNG file"):
        export_runs([_run((ExportFigure(fake, "fake.png", step=1),))], tmp_path / "out")


def test_the_same_run_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="run folder r_aaaaaaaa is asked for twice"):
        export_runs([_run(), _run()], tmp_path / "out")
    assert not (tmp_path / "out").exists()
