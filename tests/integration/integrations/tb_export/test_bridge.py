"""``nbtrack.tensorboard.SummaryWriter``: TensorBoard's calls logged to the run and to files."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

import nbtrack
from nbtrack.compare.reader import Reader
from nbtrack.config import Settings
from nbtrack.errors import UsageError
from nbtrack.integrations.tensorboard.bridge import TensorBoardWarning
from nbtrack.model import Run
from nbtrack.tensorboard import SummaryWriter
from tests.helpers.tensorboard_read import load, scalars

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _stored(run_id: str) -> Run:
    nbtrack.end_run()
    return nbtrack.get_run(run_id)


def _png(run: Run, name: str, step: int) -> bytes:
    """The bytes of *run*'s image artifact *name* at *step*, from the store."""
    (artifact,) = [a for a in run.artifacts if (a.name, a.step) == (name, step)]
    with Reader.current() as reader:
        return reader.artifact_path(artifact).read_bytes()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_without_event_files_scalars_go_to_the_run_it_starts_and_nothing_to_disk(
    settings: Settings, project_root: Path
) -> None:
    assert nbtrack.active_run() is None
    with SummaryWriter(write_to_disk=False, purge_step=1) as writer:  # tensorboardX's words
        for epoch in range(3):
            writer.add_scalar("val/acc", 0.5 + epoch / 10, epoch, walltime=123.0)
        writer.add_scalars("loss", {"train": 0.3, "val": np.float32(0.4)}, 2)
    run = nbtrack.active_run()
    assert run is not None  # the writer's close does not end the run
    stored = _stored(run.id)
    history = nbtrack.metric_history(run.id, "val/acc")
    assert history["step"].tolist() == [0, 1, 2]
    assert history["value"].tolist() == pytest.approx([0.5, 0.6, 0.7])
    metrics = {m.key: (m.last, m.last_step) for m in stored.metrics}
    assert metrics["loss/train"] == (0.3, 2)
    assert metrics["loss/val"] == (pytest.approx(0.4), 2)
    assert not (project_root / "runs").exists()


def test_with_event_files_every_call_is_in_the_run_and_in_files_tensorboard_reads(
    settings: Settings, tmp_path: Path
) -> None:
    log_dir = tmp_path / "runs" / "exp1"
    with SummaryWriter(log_dir) as writer:
        for epoch in (1, 2):
            writer.add_scalar("val/acc", 0.8 + epoch / 100, epoch)
            fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
            ax.imshow(np.eye(3) * epoch)
            writer.add_figure("confusion_matrix", fig, epoch)
            assert not plt.fignum_exists(fig.number)  # closed, as TensorBoard's writers do
        writer.add_image("sample", np.full((3, 4, 5), 0.5), 2)  # CHW float in 0..1
        writer.add_text("notes", "lr looks high", 2, walltime=1_700_000_000.0)
        writer.add_text("notes", "second thought\non two lines", walltime=1_700_000_060.0)
        writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hparam/acc": 0.82})
        run_id = nbtrack.active_run().id  # type: ignore[union-attr]

    run = _stored(run_id)
    assert {p.key: p.value for p in run.params} == {"lr": 0.1, "opt": "adam"}
    assert {m.key: m.last for m in run.metrics} == pytest.approx(
        {"val/acc": 0.82, "hparam/acc": 0.82}
    )
    figures = sorted((a.step, a.name) for a in run.artifacts)
    assert figures == [(1, "confusion_matrix.png"), (2, "confusion_matrix.png"), (2, "sample.png")]
    # the layout `nbtrack import tensorboard` gives text: a section per tag, entries by step
    assert run.note == (
        "## notes\n\n"
        "step 0, 2023-11-14 22:14:20 UTC\n    second thought\n    on two lines\n\n"
        "step 2, 2023-11-14 22:13:20 UTC\n    lr looks high\n"
    )

    (event_file,) = log_dir.glob("events.out.tfevents.*")
    assert event_file.name.endswith(".nbtrack")
    assert [(s, round(v, 5)) for s, v, _ in scalars(log_dir, "val/acc")] == [(1, 0.81), (2, 0.82)]
    accumulator = load(log_dir)
    images = accumulator.Images("confusion_matrix")
    assert [i.step for i in images] == [1, 2]
    (event_image,) = accumulator.Images("sample")
    assert event_image.encoded_image_string == _png(run, "sample.png", 2)
    assert (event_image.width, event_image.height) == (5, 4)
    assert _pixels(event_image.encoded_image_string).tolist() == [[[128] * 3] * 5] * 4
    texts = [t.tensor_proto.string_val for t in accumulator.Tensors("notes")]
    assert texts == [[b"lr looks high"], [b"second thought\non two lines"]]
    assert scalars(log_dir, "hparam/acc")[0][1] == pytest.approx(0.82)
    assert "_hparams_/session_start_info" in accumulator.Tags()["tensors"]


@pytest.mark.parametrize(
    ("image", "dataformats", "expected"),
    [
        (np.arange(6, dtype=np.uint8).reshape(2, 3), "HW", np.arange(6).reshape(2, 3)),
        (
            np.tile(np.array([10, 20, 30], dtype=np.uint8), (2, 3, 1)),
            "HWC",
            [[[10, 20, 30]] * 3] * 2,
        ),
        (np.ones((3, 2, 2)), "CHW", [[[255] * 3] * 2] * 2),
        (np.full((2, 2, 4), 2.0), "HWC", [[[255] * 4] * 2] * 2),  # clipped, as TensorBoard does
    ],
)
def test_images_in_each_layout_become_the_pixels_they_hold(
    settings: Settings, image: np.ndarray, dataformats: str, expected: object
) -> None:
    writer = SummaryWriter(event_files=False)
    writer.add_image("img", image, 0, dataformats=dataformats)
    run_id = nbtrack.active_run().id  # type: ignore[union-attr]
    png = _png(_stored(run_id), "img.png", 0)
    assert _pixels(png).tolist() == np.asarray(expected).tolist()


@pytest.mark.parametrize(
    ("image", "dataformats", "sentence"),
    [
        (
            np.zeros((4, 4)),
            "CHW",
            "add_image('bad'): an image of shape (4, 4) does not fit dataformats 'CHW'"
            " (3 dimensions).",
        ),
        (
            np.zeros((2, 4, 4)),
            "CHW",
            "add_image('bad'): an image of shape (4, 4, 2) in 'CHW' must have 1, 3 or 4 channels"
            " and no empty side.",
        ),
        (
            np.zeros((1, 4, 4, 3)),
            "NHWC",
            "add_image('bad'): dataformats 'NHWC' is not one this writer takes; give 'CHW',"
            " 'HWC' or 'HW' (one image per call).",
        ),
        (
            np.array([["a"]]),
            "HW",
            "add_image('bad'): the image's values are <U1, not numbers.",
        ),
    ],
)
def test_a_bad_image_is_one_sentence_and_what_was_logged_stays(
    settings: Settings, image: np.ndarray, dataformats: str, sentence: str, tmp_path: Path
) -> None:
    writer = SummaryWriter(tmp_path / "tb")
    writer.add_scalar("acc", 0.5, 1)
    with pytest.raises(UsageError) as raised:
        writer.add_image("bad", image, 1, dataformats=dataformats)
    assert str(raised.value) == sentence
    writer.close()
    run = _stored(nbtrack.active_run().id)  # type: ignore[union-attr]
    assert [(m.key, m.last) for m in run.metrics] == [("acc", 0.5)]
    assert run.artifacts == ()
    assert [s for s, _, _ in scalars(tmp_path / "tb", "acc")] == [1]


def test_a_bad_scalar_raises_like_log_metric_and_writes_no_event(
    settings: Settings, tmp_path: Path
) -> None:
    writer = SummaryWriter(tmp_path / "tb")
    with pytest.raises(nbtrack.MetricError, match="metric 'acc' must be a real number"):
        writer.add_scalar("acc", "high", 1)
    writer.close()
    assert load(tmp_path / "tb").Tags()["scalars"] == []


def test_methods_it_does_not_record_warn_once_each(settings: Settings) -> None:
    writer = SummaryWriter(event_files=False)
    with pytest.warns(TensorBoardWarning, match="does not record add_histogram"):
        writer.add_histogram("w", np.zeros(3), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call is silent
        writer.add_histogram("w", np.zeros(3), 2)
    with pytest.raises(AttributeError):
        writer.no_such_method()  # type: ignore[operator]


def test_without_the_tensorboard_extra_one_warning_and_the_run_still_gets_the_points(
    settings: Settings, project_root: Path, store_url: str
) -> None:
    script = textwrap.dedent(
        """
        import sys, warnings
        sys.modules["tensorboard"] = None  # as if the extra were not installed
        import nbtrack
        from nbtrack.tensorboard import SummaryWriter
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as caught:
            writer = SummaryWriter()
            for step in range(3):
                writer.add_scalar("acc", step / 10, step)
            writer.close()
        print(len(caught), caught[0].category.__name__, str(caught[0].message))
        with nbtrack.active_run() as run:
            pass
        print(run.id)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={"NBTRACK_STORE": store_url, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    warned, run_id = done.stdout.strip().splitlines()
    assert warned == (
        "1 TensorBoardWarning writing TensorBoard event files needs the tensorboard package;"
        " install it with: pip install 'nbtrack[tensorboard]'. Logging to the nbtrack run goes"
        " on without event files."
    )
    assert nbtrack.metric_history(run_id, "acc")["step"].tolist() == [0, 1, 2]
    assert not (project_root / "runs").exists()


def test_torch_tensors_are_taken_as_torch_users_pass_them(settings: Settings) -> None:
    # torch is not in the dev extra (docs/tensorboard.md says why); this runs where it is installed
    torch = pytest.importorskip("torch")
    writer = SummaryWriter(event_files=False)
    writer.add_scalar("loss", torch.tensor(0.25), 1)
    writer.add_image("img", torch.ones(1, 2, 3), 1)  # CHW, one channel
    run = _stored(nbtrack.active_run().id)  # type: ignore[union-attr]
    assert [(m.key, m.last, m.last_step) for m in run.metrics] == [("loss", 0.25, 1)]
    assert _pixels(_png(run, "img.png", 1)).tolist() == [[255] * 3] * 2
