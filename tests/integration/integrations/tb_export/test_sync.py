"""``nbtrack.sync_tensorboard()`` on real tensorboardX writers: their files, and the run."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import tensorboardX

import nbtrack
from nbtrack.config import Settings
from nbtrack.integrations.tensorboard.bridge import TensorBoardWarning
from nbtrack.model import Run
from tests.helpers.tensorboard_read import load, scalars

matplotlib.use("Agg")
import matplotlib.pyplot as plt

METHODS = ("add_scalar", "add_scalars", "add_image", "add_figure", "add_text", "add_hparams")
ORIGINALS = {name: tensorboardX.SummaryWriter.__dict__[name] for name in METHODS}


@pytest.fixture
def synced(settings: Settings) -> Iterator[list[str]]:
    yield nbtrack.sync_tensorboard()
    nbtrack.sync_tensorboard(disable=True)


def _stored() -> Run:
    run = nbtrack.active_run()
    assert run is not None
    nbtrack.end_run()
    return nbtrack.get_run(run.id)


def test_a_synced_tensorboardx_writer_logs_to_the_run_and_still_writes_its_files(
    synced: list[str], tmp_path: Path
) -> None:
    expected = ["tensorboardX.SummaryWriter"]
    if importlib.util.find_spec("torch") is not None:
        expected.append("torch.utils.tensorboard.SummaryWriter")
    assert synced == expected
    log_dir = tmp_path / "runs" / "tbx"
    with tensorboardX.SummaryWriter(logdir=str(log_dir)) as writer:
        for epoch in (1, 2):
            writer.add_scalar("val/acc", 0.5 + epoch / 10, epoch)
            fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
            ax.imshow(np.eye(3) * epoch)
            writer.add_figure("confusion_matrix", fig, epoch)  # tensorboardX calls add_image
        writer.add_scalars("loss", {"train": 0.2, "val": 0.3}, 2)
        writer.add_image("sample", np.zeros((3, 4, 4)), 2)
        writer.add_text("notes", "from tensorboardX", 2, walltime=1_700_000_000.0)
        writer.add_hparams({"lr": 0.1, "bs": 32}, {"hparam/acc": 0.7}, name="trial")

    run = _stored()
    assert {p.key: p.value for p in run.params} == {"lr": 0.1, "bs": 32}
    metrics = {m.key: (m.count, m.last_step) for m in run.metrics}
    # add_hparams' own writer calls add_scalar inside it: recorded once, by add_hparams
    assert metrics == {
        "val/acc": (2, 2),
        "loss/train": (1, 2),
        "loss/val": (1, 2),
        "hparam/acc": (1, None),
    }
    images = sorted((a.name, a.step) for a in run.artifacts)
    assert images == [("confusion_matrix.png", 1), ("confusion_matrix.png", 2), ("sample.png", 2)]
    assert run.note == "## notes\n\nstep 2, 2023-11-14 22:13:20 UTC\n    from tensorboardX\n"

    # tensorboardX's own files, unchanged by the sync, read back by TensorBoard
    assert [(s, round(v, 4)) for s, v, _ in scalars(log_dir, "val/acc")] == [(1, 0.6), (2, 0.7)]
    assert [i.step for i in load(log_dir).Images("confusion_matrix")] == [1, 2]
    assert scalars(log_dir / "trial", "hparam/acc")[0][1] == pytest.approx(0.7)


def test_sync_twice_records_once_and_disable_puts_the_methods_back(
    settings: Settings, tmp_path: Path
) -> None:
    nbtrack.sync_tensorboard()
    nbtrack.sync_tensorboard()
    writer = tensorboardX.SummaryWriter(logdir=str(tmp_path / "tb"))
    writer.add_scalar("acc", 0.5, 1)
    assert nbtrack.sync_tensorboard(disable=True)[0] == "tensorboardX.SummaryWriter"
    assert {n: tensorboardX.SummaryWriter.__dict__[n] for n in METHODS} == ORIGINALS
    writer.add_scalar("acc", 0.6, 2)  # no longer synced
    writer.close()
    (metric,) = _stored().metrics
    assert (metric.key, metric.count, metric.last) == ("acc", 1, 0.5)
    assert [s for s, _, _ in scalars(tmp_path / "tb", "acc")] == [1, 2]
    assert nbtrack.sync_tensorboard(disable=True)  # disabling again changes nothing
    assert {n: tensorboardX.SummaryWriter.__dict__[n] for n in METHODS} == ORIGINALS


def test_what_nbtrack_refuses_is_a_warning_and_tensorboard_keeps_the_call(
    synced: list[str], tmp_path: Path
) -> None:
    writer = tensorboardX.SummaryWriter(logdir=str(tmp_path / "tb"))
    writer.add_hparams({"lr": 0.1}, {"acc": 0.5}, name="a")
    with pytest.warns(TensorBoardWarning, match="nbtrack did not record a TensorBoard call: .*lr"):
        writer.add_hparams({"lr": 0.2}, {"acc": 0.6}, name="b")  # another lr in the same run
    writer.close()
    assert [p.value for p in _stored().params] == [0.1]
    assert scalars(tmp_path / "tb" / "b", "acc")[0][1] == pytest.approx(0.6)


def test_a_synced_torch_writer_logs_to_the_run_and_writes_its_files(
    synced: list[str], tmp_path: Path
) -> None:
    # torch is not in the dev extra (docs/tensorboard.md says why); this runs where it is installed
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter

    assert "torch.utils.tensorboard.SummaryWriter" in synced
    log_dir = tmp_path / "torch"
    writer = SummaryWriter(log_dir=str(log_dir))
    for epoch in (1, 2):
        writer.add_scalar("val/acc", torch.tensor(0.5 + epoch / 10), epoch)
        fig, ax = plt.subplots(figsize=(2, 2), dpi=40)
        ax.plot([0, epoch])
        writer.add_figure("curve", fig, epoch)  # torch's add_figure calls add_image
    writer.add_image("sample", torch.zeros(3, 4, 4), 2)
    writer.add_hparams({"lr": 0.1}, {"hparam/acc": 0.7}, run_name="trial")  # nests add_scalar
    writer.close()

    run = _stored()
    assert {p.key: p.value for p in run.params} == {"lr": 0.1}
    assert {m.key: (m.count, m.last_step) for m in run.metrics} == {
        "val/acc": (2, 2),
        "hparam/acc": (1, None),
    }
    images = sorted((a.name, a.step) for a in run.artifacts)
    assert images == [("curve.png", 1), ("curve.png", 2), ("sample.png", 2)]
    assert [(s, round(v, 4)) for s, v, _ in scalars(log_dir, "val/acc")] == [(1, 0.6), (2, 0.7)]
