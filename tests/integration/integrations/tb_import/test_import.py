"""``import_logdir``: log folders written by tensorboardX, imported into a real store.

Every test runs on SQLite and on PostgreSQL. What the store holds is checked
against TensorBoard's own ``EventAccumulator`` over the same folder.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX import SummaryWriter

from nbtrack.errors import StoreError, UsageError
from nbtrack.integrations.tensorboard.importer import (
    ImportResult,
    TensorBoardImportWarning,
    import_logdir,
)
from nbtrack.integrations.tensorboard.records import RecordReader
from nbtrack.model import ParamSource, Run, RunStatus
from nbtrack.store.base import Store


def _accumulator(folder: Path) -> EventAccumulator:
    keep_all = {"scalars": 0, "images": 0, "tensors": 0}
    accumulator = EventAccumulator(str(folder), size_guidance=keep_all)
    accumulator.Reload()
    return accumulator


def _by_name(store: Store) -> dict[str, Run]:
    return {s.name or "": store.get_run(s.id) for s in store.list_runs()}


def _points(store: Store, run: Run, key: str) -> list[tuple[int | None, float, float]]:
    return [(m.step, m.value, m.timestamp) for m in store.metric_history(run.id, key)]


def _totals(store: Store) -> tuple[int, int, int, int, int]:
    """Runs, points, artifacts, data refs, note characters: what a re-import must not change."""
    runs = _by_name(store).values()
    points = sum(m.count for r in runs for m in r.metrics)
    return (
        len(runs),
        points,
        sum(len(r.artifacts) for r in runs),
        sum(len(r.data) for r in runs),
        sum(len(r.note or "") for r in runs),
    )


def _records(path: Path) -> list[bytes]:
    """The framed records of an event file (a payload plus 16 bytes of framing each)."""
    data, records, at = path.read_bytes(), [], 0
    for payload in RecordReader(path):
        records.append(data[at : at + len(payload) + 16])
        at += len(payload) + 16
    return records


def _write_epochs(writer: SummaryWriter, epochs: range) -> None:
    for epoch in epochs:
        writer.add_scalar("train/loss", 1.0 / (epoch + 1), epoch)
        writer.add_scalar("val/acc", 0.5 + epoch / 100, epoch)


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    """Two run folders as a training script leaves them, plus add_scalars and add_hparams."""
    root = tmp_path / "runs"
    with SummaryWriter(str(root / "sgd")) as writer:
        _write_epochs(writer, range(30))
        writer.add_scalars("lr", {"encoder": 0.1, "head": 0.01}, 0)
        for epoch in (0, 1):
            image = np.zeros((3, 8, 8))
            image[epoch] = 1.0
            writer.add_image("confusion_matrix", image, epoch)
        writer.add_text("notes", "warm-up done", 5)
        writer.add_text("notes", "plateau", 20)
        writer.add_text("config", "lr=0.1 | momentum=0.9", 0)
    with SummaryWriter(str(root / "adam")) as writer:
        _write_epochs(writer, range(10))
        writer.add_hparams(
            {"lr": 0.001, "optimizer": "adam", "wandb_api_key": "k-123", "batch_size": 64}, {}
        )
    return root


def test_each_run_folder_becomes_a_finished_run_with_what_tensorboard_shows(
    logdir: Path, store: Store
) -> None:
    result = import_logdir(logdir, store=store)
    runs = _by_name(store)
    (hparams_folder,) = [p for p in (logdir / "adam").iterdir() if p.is_dir()]
    hparams_name = f"adam/{hparams_folder.name}"
    assert sorted(runs) == sorted(["sgd", "sgd/lr/encoder", "sgd/lr/head", "adam", hparams_name])
    assert (result.created, result.updated, result.unchanged) == (5, 0, 0)
    sgd = runs["sgd"]
    theirs = _accumulator(logdir / "sgd")
    for tag in ("train/loss", "val/acc"):
        assert _points(store, sgd, tag) == [
            (e.step, e.value, e.wall_time) for e in theirs.Scalars(tag)
        ]
    walls = [e.wall_time for e in theirs.Scalars("train/loss")]
    assert sgd.status is RunStatus.FINISHED
    assert sgd.started_at <= walls[0]
    assert sgd.ended_at is not None
    assert sgd.ended_at >= walls[-1]
    assert sgd.tags["source"] == "tensorboard"
    assert sgd.tags["tensorboard.run"] == "sgd"
    assert "tensorboard.pending" not in sgd.tags
    assert _points(store, runs["sgd/lr/head"], "lr") == [
        (e.step, e.value, e.wall_time) for e in _accumulator(logdir / "sgd/lr/head").Scalars("lr")
    ]
    images = sorted(sgd.artifacts, key=lambda a: a.step or 0)
    assert [(a.name, a.step, a.media_type) for a in images] == [
        ("confusion_matrix.png", 0, "image/png"),
        ("confusion_matrix.png", 1, "image/png"),
    ]
    for artifact, event in zip(images, theirs.Images("confusion_matrix"), strict=True):
        assert store.artifact_path(artifact).read_bytes() == event.encoded_image_string
    assert sgd.note is not None
    # one section per tag, in the order the tags first appear
    assert sgd.note.index("## notes/text_summary") < sgd.note.index("## config/text_summary")
    assert sgd.note.index("step 5,") < sgd.note.index("    warm-up done")
    assert sgd.note.index("    warm-up done") < sgd.note.index("step 20,")
    params = {p.key: (p.value, p.source) for p in runs[hparams_name].params}
    assert params == {
        "lr": (0.001, ParamSource.FILE),
        "optimizer": ("adam", ParamSource.FILE),
        "wandb_api_key": ("***", ParamSource.FILE),
        "batch_size": (64, ParamSource.FILE),  # TensorBoard's double 64.0, an int again
    }
    assert type(params["batch_size"][0]) is int
    assert type(params["lr"][0]) is float


def test_importing_the_same_folder_again_changes_nothing(logdir: Path, store: Store) -> None:
    import_logdir(logdir, store=store)
    before = _totals(store)
    again = import_logdir(logdir, store=store)
    assert (again.created, again.updated, again.unchanged, again.points) == (0, 0, 5, 0)
    assert _totals(store) == before


def test_a_logdir_moved_elsewhere_is_still_the_same_runs(
    logdir: Path, store: Store, tmp_path: Path
) -> None:
    import_logdir(logdir, store=store)
    before = _totals(store)
    moved = shutil.copytree(logdir, tmp_path / "elsewhere" / "runs")
    assert import_logdir(moved, store=store).unchanged == 5
    assert _totals(store) == before


def test_a_grown_folder_adds_only_its_new_events(tmp_path: Path, store: Store) -> None:
    logdir = tmp_path / "runs"
    writer = SummaryWriter(str(logdir / "live"))
    _write_epochs(writer, range(10))
    writer.add_text("notes", "epoch 9", 9)
    writer.flush()  # tensorboardX writes from a thread: some events may not be in yet
    (first,) = import_logdir(logdir, store=store).runs
    assert first.created
    _write_epochs(writer, range(10, 25))
    writer.add_text("notes", "epoch 24", 24)
    writer.close()
    # a second process appends in a file of its own (a resumed training job)
    with SummaryWriter(str(logdir / "live"), filename_suffix=".resumed") as resumed:
        _write_epochs(resumed, range(25, 30))
    result = import_logdir(logdir, store=store)
    (run,) = result.runs
    assert (run.created, run.points, run.texts) == (False, 60 - first.points, 2 - first.texts)
    live = _by_name(store)["live"]
    assert [p[0] for p in _points(store, live, "val/acc")] == list(range(30))
    assert live.note is not None
    assert live.note.count("## notes") == 1
    assert "    epoch 9" in live.note
    assert "    epoch 24" in live.note
    assert len(live.data) == 3  # the first file twice (two reads), the resumed file once


def test_a_rewritten_file_is_read_again_without_doubling_what_the_run_holds(
    tmp_path: Path, store: Store
) -> None:
    logdir = tmp_path / "runs"
    with SummaryWriter(str(logdir / "r")) as writer:
        _write_epochs(writer, range(10))
        writer.add_image("img", np.ones((3, 4, 4)), 3)
        writer.add_text("t", "hello", 1)
    import_logdir(logdir, store=store)
    (path,) = (logdir / "r").iterdir()
    with SummaryWriter(str(tmp_path / "other")) as writer:
        _write_epochs(writer, range(10, 12))
    (other,) = (tmp_path / "other").iterdir()
    ours, theirs = _records(path), _records(other)
    # the same events and two more, but another first record: rewritten, not grown
    path.write_bytes(b"".join([theirs[0], *ours[1:], *theirs[1:]]))
    result = import_logdir(logdir, store=store)
    assert result.points == 4
    run = _by_name(store)["r"]
    assert [p[0] for p in _points(store, run, "val/acc")] == list(range(12))
    assert len(run.artifacts) == 1
    assert run.note is not None
    assert run.note.count("hello") == 1


def test_a_truncated_file_keeps_its_events_warns_once_and_resumes_when_complete(
    tmp_path: Path, store: Store
) -> None:
    logdir = tmp_path / "runs"
    with SummaryWriter(str(logdir / "cut")) as writer:
        _write_epochs(writer, range(20))
    (path,) = (logdir / "cut").iterdir()
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])  # the last event's record is cut
    with pytest.warns(TensorBoardImportWarning) as caught:
        result = import_logdir(logdir, store=store)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert str(path) in message
    assert "partial record" in message
    assert result.problems[0].path == path
    cut = _by_name(store)["cut"]
    assert [p[0] for p in _points(store, cut, "train/loss")] == list(range(20))
    assert [p[0] for p in _points(store, cut, "val/acc")] == list(range(19))
    path.write_bytes(whole)  # the writer finished the record
    again = import_logdir(logdir, store=store)
    assert again.points == 1
    assert not again.problems
    assert [p[0] for p in _points(store, cut, "val/acc")] == list(range(20))


def test_a_damaged_byte_keeps_the_events_before_it_and_names_the_file(
    tmp_path: Path, store: Store
) -> None:
    logdir = tmp_path / "runs"
    with SummaryWriter(str(logdir / "bad")) as writer:
        _write_epochs(writer, range(20))
    with SummaryWriter(str(logdir / "good")) as writer:
        _write_epochs(writer, range(5))
    (path,) = (logdir / "bad").iterdir()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.warns(TensorBoardImportWarning) as caught:
        import_logdir(logdir, store=store)
    assert len(caught) == 1
    assert str(path) in str(caught[0].message)
    assert "checksum" in str(caught[0].message)
    runs = _by_name(store)
    kept = store.metric_history(runs["bad"].id, "train/loss")
    assert 5 < len(kept) < 20
    assert [m.step for m in kept] == list(range(len(kept)))
    assert len(store.metric_history(runs["good"].id, "val/acc")) == 5


def test_an_import_interrupted_by_the_store_is_completed_later_without_doubles(
    logdir: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> None:
        raise StoreError("The run store went away.")

    with monkeypatch.context() as patch:
        patch.setattr(store, "add_data_ref", refuse)
        with pytest.raises(StoreError):
            import_logdir(logdir, store=store)
    half = _by_name(store)
    assert half["adam"].tags.get("tensorboard.pending") == "1"  # points in, refs not
    assert sorted(half) == ["adam"]  # the first folder's refs were refused
    import_logdir(logdir, store=store)
    runs = _by_name(store)
    assert len(runs) == 5
    theirs = _accumulator(logdir / "adam")
    assert _points(store, runs["adam"], "val/acc") == [
        (e.step, e.value, e.wall_time) for e in theirs.Scalars("val/acc")
    ]
    assert all("tensorboard.pending" not in r.tags for r in runs.values())


def test_a_dry_run_counts_and_writes_nothing(logdir: Path, store: Store) -> None:
    result = import_logdir(logdir, store=store, dry_run=True)
    assert isinstance(result, ImportResult)
    assert result.dry_run
    assert (result.created, result.points) == (5, 30 * 2 + 2 + 10 * 2)
    assert store.list_runs() == []


def test_name_prefix_goes_before_each_name(logdir: Path, store: Store) -> None:
    import_logdir(logdir / "sgd", store=store, name_prefix="exp1/")
    assert sorted(_by_name(store)) == ["exp1/lr/encoder", "exp1/lr/head", "exp1/sgd"]


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (lambda p: p, "does not exist"),
        (lambda p: (p.write_text("x"), p)[1], "is a file, not a log folder"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("x"), p)[2], "No TensorBoard event"),
    ],
)
def test_a_bad_logdir_is_one_sentence(
    tmp_path: Path, store: Store, make: object, phrase: str
) -> None:
    path = make(tmp_path / "logs")  # type: ignore[operator]
    with pytest.raises(UsageError, match=phrase) as raised:
        import_logdir(path, store=store)
    assert "logs" in str(raised.value)
    assert str(raised.value).count(". ") == 0


def test_files_decoded_in_the_helper_process_import_the_same(
    logdir: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.integrations.tensorboard import reading

    monkeypatch.setattr(reading, "HELPER_BYTES", 0)  # every file goes to the helper
    monkeypatch.setattr(reading, "EVENTS_PER_CHUNK", 7)  # and comes back in many chunks
    helpers: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def started(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        helpers.append(popen(*args, **kwargs))
        return helpers[-1]

    monkeypatch.setattr(reading.subprocess, "Popen", started)
    (path,) = [p for p in (logdir / "sgd").iterdir() if p.is_file()]
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])
    with pytest.warns(TensorBoardImportWarning, match="partial record"):
        result = import_logdir(logdir, store=store)
    assert result.created == 5
    assert len(helpers) == 5  # one a file (sgd, its two add_scalars folders, adam, its hparams)
    assert [h.returncode for h in helpers] == [0] * 5  # each read to its end, none fell back
    sgd = _by_name(store)["sgd"]
    theirs = _accumulator(logdir / "sgd")
    assert _points(store, sgd, "train/loss") == [
        (e.step, e.value, e.wall_time) for e in theirs.Scalars("train/loss")
    ]
    assert len(sgd.artifacts) == 2
    path.write_bytes(whole)  # complete: the helper resumes at the partial record
    import_logdir(logdir, store=store)
    sgd = _by_name(store)["sgd"]
    assert sgd.note is not None
    assert sgd.note.count("plateau") == 1
    assert [m.count for m in sgd.metrics if m.key == "val/acc"] == [30]


def test_without_a_helper_process_the_file_is_decoded_here(
    logdir: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.integrations.tensorboard import reading

    monkeypatch.setattr(reading, "HELPER_BYTES", 0)
    monkeypatch.setattr(reading.sys, "executable", str(logdir / "no-such-python"))
    assert import_logdir(logdir, store=store).points == 30 * 2 + 2 + 10 * 2
