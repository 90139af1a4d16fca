"""``nbtrack export tensorboard``: runs out as event files, read back by TensorBoard itself."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.store import open_store
from tests.helpers.cli import Invoke
from tests.helpers.cli import nbtrack as run_nbtrack
from tests.helpers.tensorboard_read import load, scalars, session_groups

matplotlib.use("Agg")
import matplotlib.pyplot as plt


@pytest.fixture
def invoke(store_url: str) -> Invoke:
    return partial(run_nbtrack, env={"NBTRACK_STORE": store_url})


def _figure(value: float) -> object:
    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.plot([0, 1], [0, value])
    return fig


@pytest.fixture
def run_id(settings: Settings) -> str:
    with nbtrack.start_run(name="baseline sgd/1", settings=settings) as run:
        nbtrack.log_params({"lr": 0.05, "optimizer": "sgd", "layers": [64, 32], "bn": True})
        for epoch in range(50):
            nbtrack.log_metric("val/acc", 0.5 + epoch / 100, step=epoch)
            nbtrack.log_metric("loss", 1 / (epoch + 1), step=epoch)
        nbtrack.log_metric("lr_now", 0.1)  # no step: exported at ordinals 0, 1
        nbtrack.log_metric("lr_now", 0.05)
        for epoch in (1, 2):
            fig = _figure(epoch)
            nbtrack.log_figure(fig, "confusion_matrix", step=epoch)
            plt.close(fig)
        run.set_note("first try with batch norm")
    return run.id


def test_export_writes_what_tensorboard_reads_back_scalars_images_note_and_hparams(
    invoke: Invoke, run_id: str, store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "tb"
    code, stdout, err = invoke("export", "tensorboard", run_id[:8], "-o", str(out))
    assert code == 0, err
    folder = out / f"baseline-sgd-1_{run_id[:8]}"
    assert stdout.strip() == str(folder)
    assert "exported 1 run(s): 102 scalars, 2 images" in err
    (event_file,) = folder.iterdir()
    assert event_file.name.startswith("events.out.tfevents.")
    store = open_store(store_url)
    try:
        stored = store.get_run(run_id)
        history = store.metric_columns(run_id, "val/acc")
        png = {a.step: store.artifact_path(a).read_bytes() for a in stored.artifacts}
    finally:
        store.close()

    read = scalars(folder, "val/acc")
    assert [step for step, _, _ in read] == list(history.steps)
    # TensorBoard keeps a scalar as a 32-bit float; the wall time is exact
    assert [value for _, value, _ in read] == [float(np.float32(v)) for v in history.values]
    assert [wall for _, _, wall in read] == list(history.timestamps)
    assert [(s, v) for s, v, _ in scalars(folder, "lr_now")] == [
        (0, float(np.float32(0.1))),
        (1, float(np.float32(0.05))),
    ]
    accumulator = load(folder)
    images = accumulator.Images("confusion_matrix")
    assert [(i.step, i.encoded_image_string) for i in images] == [(1, png[1]), (2, png[2])]
    assert (images[0].width, images[0].height) == (100, 100)
    (note,) = accumulator.Tensors("note")
    assert note.tensor_proto.string_val == [b"first try with batch norm"]

    (row,) = session_groups(out).values()
    assert row["hparams"] == {"lr": 0.05, "optimizer": "sgd", "layers": "[64, 32]", "bn": True}
    assert row["metrics"]["val/acc"] == pytest.approx(0.99)  # the final value
    assert row["metrics"]["loss"] == pytest.approx(1 / 50)


def test_an_existing_run_folder_is_refused_unless_force_and_other_folders_stay(
    invoke: Invoke, run_id: str, tmp_path: Path
) -> None:
    out = tmp_path / "tb"
    (out / "someone-else").mkdir(parents=True)
    (out / "someone-else" / "events.out.tfevents.1.host.1").write_bytes(b"theirs")
    assert invoke("export", "tensorboard", run_id, "-o", str(out)).exit_code == 0
    (first,) = (out / f"baseline-sgd-1_{run_id[:8]}").iterdir()
    before = first.read_bytes()

    code, _, err = invoke("export", "tensorboard", run_id, "-o", str(out))
    assert code == 2
    assert err.strip() == (
        f"Error: {out / f'baseline-sgd-1_{run_id[:8]}'} already holds TensorBoard event files;"
        " export to another folder, or give --force to replace them."
    )
    assert first.read_bytes() == before

    code, _, err = invoke("export", "tensorboard", run_id, "-o", str(out), "--force")
    assert code == 0, err
    assert "replacing the event files in 1" in err
    (again,) = (out / f"baseline-sgd-1_{run_id[:8]}").iterdir()
    assert [s for s, _, _ in scalars(again.parent, "loss")] == list(range(50))
    assert (out / "someone-else" / "events.out.tfevents.1.host.1").read_bytes() == b"theirs"


def test_where_exports_every_matching_run_each_to_its_folder(
    invoke: Invoke, settings: Settings, tmp_path: Path
) -> None:
    ids = []
    for lr in (0.1, 0.01):
        with nbtrack.start_run(settings=settings, tags={"sweep": "a"}) as run:
            nbtrack.log_param("lr", lr)
            nbtrack.log_metric("acc", lr * 5, step=3)
        ids.append(run.id)
    with nbtrack.start_run(settings=settings, tags={"sweep": "b"}):
        nbtrack.log_metric("acc", 0.0, step=0)
    out = tmp_path / "sweep"
    code, stdout, err = invoke(
        "export", "tensorboard", "--where", "tags.sweep = 'a'", "-o", str(out)
    )
    assert code == 0, err
    assert stdout.splitlines() == [str(out / run_id[:8]) for run_id in ids]  # no name: the id
    rows = session_groups(out)
    assert {name: row["hparams"]["lr"] for name, row in rows.items()} == {
        ids[0][:8]: 0.1,
        ids[1][:8]: 0.01,
    }
    assert {name: row["metrics"]["acc"] for name, row in rows.items()} == pytest.approx(
        {ids[0][:8]: 0.5, ids[1][:8]: 0.05}
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        ((), "export needs runs: give run ids (nbtrack export tensorboard RUN -o tb/) or --where"),
        (("abc", "--where", "name = 'x'"), "give runs to export or --where, not both"),
        (
            ("--where", "name = 'nobody'"),
            "--where \"name = 'nobody'\" matches no runs; nothing to export",
        ),
        (("0000dead",), "No run matches the id '0000dead'; `nbtrack runs` lists run ids."),
    ],
)
def test_bad_requests_exit_2_with_one_sentence_and_write_nothing(
    invoke: Invoke, run_id: str, tmp_path: Path, args: tuple[str, ...], sentence: str
) -> None:
    code, stdout, err = invoke("export", "tensorboard", *args, "-o", str(tmp_path / "tb"))
    assert (code, stdout) == (2, "")
    assert err.strip() == f"Error: {sentence}"
    assert not (tmp_path / "tb").exists()


def test_an_output_that_is_a_file_is_refused(invoke: Invoke, run_id: str, tmp_path: Path) -> None:
    target = tmp_path / "tb"
    target.write_text("a file")
    code, _, err = invoke("export", "tensorboard", run_id, "-o", str(target))
    assert code == 2
    assert "is a file" in err
    assert target.read_text() == "a file"
