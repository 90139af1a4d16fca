"""Reading one event file as chunks of decoded events, a large one in a helper process.

For: the importer, which writes each chunk to the store as it comes. A file
with at least :data:`HELPER_BYTES` left to read is decoded by a helper
process (``python -m nbtrack.integrations.tensorboard.reading``) while this
process writes the chunks before it; a smaller one is decoded here.

Why a process and not a thread: decoding (about 3 µs an event, framing and
TensorBoard's ``Event`` parser) and the store's write (about 1.5 µs a point)
both hold the GIL for most of their time; a writer thread gets the GIL back
only every switch interval after each short SQLite step, and measured slower
than doing both in turn. A helper process decodes on the second core; the
chunks come back pickled (about 0.25 µs a point each way), so a million
points take about the time of the slower half instead of the sum.

The helper is a plain ``python -m`` subprocess, not ``multiprocessing``:
spawning through ``multiprocessing`` imports the caller's main module again,
which re-runs a user's unguarded script (``import_logdir("runs/")`` at the top
of a file). A helper that cannot start, or dies before its first chunk, is
replaced by decoding here.
Not for: the framing (``records``), decoding one payload (``events``), or the
store (``importer``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.errors import NbtrackError
from nbtrack.integrations.tensorboard.events import Decoded, decode
from nbtrack.integrations.tensorboard.records import RecordReader, hash_window

__all__ = ["HELPER_BYTES", "FileRead"]

#: bytes left to read from which a file is decoded in a helper process (~150,000 scalars)
HELPER_BYTES = 8 << 20
#: events per chunk: the store writes one while the helper decodes the next
EVENTS_PER_CHUNK = 10_000
#: the helper's pipe: a few chunks' worth (~400 KB pickled each), so it can decode
#: ahead of the writes; 1 MiB is the most an unprivileged process may ask for
PIPE_BYTES = 1 << 20


def _chunks(reader: RecordReader, plugins: dict[str, str]) -> Iterator[Decoded]:
    for batch in reader.batches():
        for at in range(0, len(batch), EVENTS_PER_CHUNK):
            chunk = Decoded(plugins=plugins)
            decode([batch[at : at + EVENTS_PER_CHUNK]], chunk)
            yield chunk


@dataclass
class FileRead:
    """The events of *path* from *offset* on, as chunks; then where the read ended.

    *plugins* is the tag -> plugin memory from earlier reads (updated as the
    read goes); *hasher* is fed the bytes of the whole records read.
    """

    path: Path
    offset: int
    plugins: dict[str, str]
    hasher: Any
    helper: bool | None = None  # None: by the bytes left to read
    end: int = 0
    problem: str | None = None
    truncated: bool = False
    _started: bool = field(default=False, repr=False)

    def chunks(self) -> Iterator[Decoded]:
        helper = self.helper
        if helper is None:
            helper = self.path.stat().st_size - self.offset >= HELPER_BYTES
        if helper:
            yield from self._in_helper()
            if self._started:
                return
        reader = RecordReader(self.path, self.offset, hasher=self.hasher)
        yield from _chunks(reader, self.plugins)
        self.end, self.problem, self.truncated = reader.end, reader.problem, reader.truncated

    def _in_helper(self) -> Iterator[Decoded]:
        # the folder nbtrack is imported from, so the helper imports the same nbtrack
        root = str(Path(__file__).resolve().parents[3])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
        }
        argv = [sys.executable, "-m", __name__, str(self.path), str(self.offset)]
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(
                    [*argv, json.dumps(self.plugins)],
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    env=env,
                )
            except OSError:
                return
            _widen(process)
            try:
                yield from self._receive(process)
            finally:
                _stop(process, finished=self.problem != _DIED)
                assert process.stdout is not None
                process.stdout.close()
            if self._started and self.problem == _DIED:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip().splitlines()
                raise NbtrackError(
                    f"Decoding {self.path} in a helper process failed"
                    f"{': ' + said[-1] if said else ''}; nothing after its last chunk was stored."
                )

    def _receive(self, process: subprocess.Popen[bytes]) -> Iterator[Decoded]:
        assert process.stdout is not None
        self.problem = _DIED
        while True:
            try:
                message = pickle.load(process.stdout)
            except EOFError:
                return
            if message[0] == "chunk":
                self._started = True
                self.plugins.update(message[1].plugins)
                yield message[1]
            else:
                _, self.end, self.problem, self.truncated = message
                self._started = True
                self._hash_read()
                return

    def _hash_read(self) -> None:
        """Feed the hasher what the helper read (it cannot hand its hash back)."""
        hash_window(self.path, self.offset, self.end - self.offset, self.hasher)


#: ``problem`` while the helper has not said how its read ended
_DIED = "the helper process stopped before the end of its read"


def _widen(process: subprocess.Popen[bytes]) -> None:
    """Give the pipe room for a few chunks (Linux's default is 64 KiB).

    With a pipe that holds less than a chunk, the helper waits for every read
    and the two processes take turns instead of overlapping; with room, it
    decodes ahead while this process writes to the store.
    """
    import fcntl

    assert process.stdout is not None
    with contextlib.suppress(OSError):  # a lower /proc/sys/fs/pipe-max-size: the default stays
        fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _stop(process: subprocess.Popen[bytes], *, finished: bool) -> None:
    """Let a helper that sent its end exit; stop one that did not (the caller gave up)."""
    if finished:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    if process.poll() is None:
        process.kill()
    process.wait()


def _helper(path: str, offset: str, plugins: str) -> None:
    """The helper: decode *path* from *offset*, each chunk pickled to stdout, then the end."""
    import gc

    # the chunks' tuples are the only garbage and none is cyclic: the collector would
    # only walk them (a short-lived process of its own, so nothing else is affected)
    gc.disable()
    out = sys.stdout.buffer
    reader = RecordReader(Path(path), int(offset))
    for chunk in _chunks(reader, json.loads(plugins)):
        pickle.dump(("chunk", chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump(("end", reader.end, reader.problem, reader.truncated), out)
    out.flush()


if __name__ == "__main__":
    _helper(*sys.argv[1:4])
