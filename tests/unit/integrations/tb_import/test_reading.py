"""Reading event files that real writers made: the framing, the decoding, the text note.

Files come from tensorboardX (v1 scalars, images, text, hparams) and from
TensorBoard's own ``tensorboard.summary.Writer`` (v2 scalar tensors, as TF 2
and torch's ``new_style`` write them); what is decoded is checked against
TensorBoard's ``EventAccumulator`` over the same file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader
from tensorboard.summary import Writer as V2Writer
from tensorboardX import SummaryWriter

from nbtrack.integrations.tensorboard.events import Decoded, Text, decode
from nbtrack.integrations.tensorboard.records import RecordReader
from nbtrack.integrations.tensorboard.textnote import merge_texts


def _accumulator(folder: Path) -> EventAccumulator:
    keep_all = {"scalars": 0, "images": 0, "tensors": 0, "histograms": 0}
    accumulator = EventAccumulator(str(folder), size_guidance=keep_all)
    accumulator.Reload()
    return accumulator


def _only_file(folder: Path) -> Path:
    (path,) = [p for p in folder.iterdir() if p.is_file()]
    return path


def _decode(path: Path, offset: int = 0, plugins: dict[str, str] | None = None) -> Decoded:
    decoded = Decoded(plugins=dict(plugins or {}))
    decode(RecordReader(path, offset).batches(), decoded)
    return decoded


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A tensorboardX run folder: scalars of two tags, an image, two texts, a histogram."""
    folder = tmp_path / "mixed"
    with SummaryWriter(str(folder)) as writer:
        for step in range(20):
            writer.add_scalar("train/loss", 1.0 / (step + 1), step)
            writer.add_scalar("lr", 0.1 * 0.9**step, step)
        writer.add_image("sample", np.full((3, 4, 5), 0.5), 7)
        writer.add_text("notes", "first\n\nthird line", 1)
        writer.add_text("notes", "later", 3)
        writer.add_histogram("weights", np.arange(10.0), 0)
    return folder


def test_records_are_the_records_tensorboard_reads_and_the_hash_covers_them(mixed: Path) -> None:
    path = _only_file(mixed)
    hasher = hashlib.sha256()
    reader = RecordReader(path, hasher=hasher)
    payloads = list(reader)
    theirs = [bytes(record) for record in RawEventFileLoader(str(path)).Load()]
    assert payloads == theirs
    assert (reader.end, reader.problem, reader.truncated) == (path.stat().st_size, None, False)
    assert hasher.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()


def test_decoded_scalars_are_tensorboards_with_step_and_wall_time(mixed: Path) -> None:
    decoded = _decode(_only_file(mixed))
    accumulator = _accumulator(mixed)
    for tag in ("train/loss", "lr"):
        ours = [(step, value, wall) for key, value, step, wall in decoded.rows if key == tag]
        assert ours == [(e.step, e.value, e.wall_time) for e in accumulator.Scalars(tag)]
    assert len(decoded.rows) == 40
    (image,) = decoded.images
    (theirs,) = accumulator.Images("sample")
    assert (image.tag, image.step, image.data) == ("sample", 7, theirs.encoded_image_string)
    assert [(t.tag, t.step, t.text) for t in decoded.texts] == [
        ("notes/text_summary", 1, "first\n\nthird line"),
        ("notes/text_summary", 3, "later"),
    ]
    assert decoded.skipped == {"histo": 1}
    walls = [e.wall_time for e in accumulator.Scalars("lr")]
    assert decoded.first_time is not None
    assert decoded.first_time <= min(walls)
    assert decoded.last_time is not None
    assert decoded.last_time >= max(walls)


def test_hparams_of_tensorboardx_become_params(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "hp")) as writer:
        writer.add_hparams({"lr": 0.01, "layers": 3, "opt": "adam", "bn": True}, {"hp/acc": 0.8})
    (session,) = [p for p in (tmp_path / "hp").iterdir() if p.is_dir()]
    decoded = _decode(_only_file(session))
    assert decoded.params == {"lr": 0.01, "layers": 3.0, "opt": "adam", "bn": True}
    # simple_value is a float32
    assert [(key, value) for key, value, _, _ in decoded.rows] == [
        ("hp/acc", float(np.float32(0.8)))
    ]


def test_v2_scalar_tensors_are_points(tmp_path: Path) -> None:
    folder = tmp_path / "v2"
    writer = V2Writer(str(folder))
    for step in range(6):
        writer.add_scalar("val/acc", 0.5 + step / 20, step=step)
    writer.close()
    decoded = _decode(_only_file(folder))
    theirs = _accumulator(folder).Tensors("val/acc")
    assert [(s, v, w) for _, v, s, w in decoded.rows] == [
        (e.step, float(e.tensor_proto.float_val[0]), e.wall_time) for e in theirs
    ]
    assert decoded.plugins == {"val/acc": "scalars"}


def test_a_resumed_read_knows_the_plugin_of_a_tag_whose_metadata_came_earlier(
    tmp_path: Path,
) -> None:
    # TF's FileWriter attaches a tag's plugin metadata to its first value only; built
    # here with TensorBoard's own protos (TensorFlow is not a test dependency)
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.util.tensor_util import make_tensor_proto

    from nbtrack.integrations.tensorboard.records import frame

    records = []
    for step in range(4):
        value = Summary.Value(tag="acc", tensor=make_tensor_proto(np.float32(step / 4)))
        if step == 0:
            value.metadata.CopyFrom(
                SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
            )
        event = Event(wall_time=1_796_000_000.0 + step, step=step)
        event.summary.value.append(value)
        records.append(frame(event.SerializeToString()))
    path = tmp_path / "events.out.tfevents.1796000000.host"
    path.write_bytes(b"".join(records))
    whole = _decode(path)
    assert [(v, s) for _, v, s, _ in whole.rows] == [(0.0, 0), (0.25, 1), (0.5, 2), (0.75, 3)]
    offset = len(records[0]) + len(records[1])
    blind = _decode(path, offset)
    assert blind.rows == []
    assert blind.skipped == {"tensor": 2}
    resumed = _decode(path, offset, whole.plugins)
    assert resumed.rows == whole.rows[2:]


def test_a_truncated_file_keeps_its_whole_records_and_says_where_it_ends(mixed: Path) -> None:
    path = _only_file(mixed)
    data = path.read_bytes()
    whole = list(RecordReader(path))
    path.write_bytes(data[:-7])
    reader = RecordReader(path)
    assert list(reader) == whole[:-1]
    assert reader.truncated
    assert reader.end == len(data) - len(whole[-1]) - 16
    assert reader.problem == f"a partial record at byte {reader.end} (the file ends mid-record)"


@pytest.mark.parametrize(("where", "phrase"), [(20, "fails its checksum"), (0, "header")])
def test_a_damaged_byte_stops_the_read_at_its_record_keeping_those_before(
    mixed: Path, where: int, phrase: str
) -> None:
    path = _only_file(mixed)
    data = bytearray(path.read_bytes())
    whole = list(RecordReader(path))
    start = sum(len(p) + 16 for p in whole[:10])  # the 11th record
    data[start + where] ^= 0x40
    path.write_bytes(bytes(data))
    reader = RecordReader(path)
    assert list(reader) == whole[:10]
    assert reader.end == start
    assert not reader.truncated
    assert reader.problem is not None
    assert phrase in reader.problem
    assert f"at byte {start}" in reader.problem


def _text(tag: str, step: int, text: str) -> Text:
    return Text(tag, step, 1_796_000_000.0 + step, text)


def test_texts_merge_into_one_section_per_tag_in_step_order_and_never_twice() -> None:
    note, added = merge_texts(None, [_text("a", 3, "three"), _text("b", 0, "bee")])
    assert added == 2
    assert note is not None
    note, added = merge_texts(note, [_text("a", 1, "one\n\nstill one"), _text("a", 3, "three")])
    assert added == 1
    assert note is not None
    assert note.index("## a") < note.index("step 1,") < note.index("step 3,") < note.index("## b")
    assert "    one\n    \n    still one" in note
    assert merge_texts(note, [_text("a", 1, "one\n\nstill one"), _text("b", 0, "bee")]) == (
        None,
        0,
    )


def test_text_a_user_added_to_the_note_stays() -> None:
    note, _ = merge_texts("my own words\n\n", [_text("a", 0, "zero")])
    assert note is not None
    assert note.startswith("my own words\n\n## a\n")
    note, _ = merge_texts(note + "\nremember this\n", [_text("a", 5, "five")])
    assert note is not None
    assert "remember this" in note
    assert "step 5," in note
