"""The TFRecord framing of TensorBoard event files.

An event file is a sequence of records, each::

    uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes
    | length bytes of payload      | uint32 masked CRC-32C of the payload

The payload is a serialized ``Event`` protobuf, parsed elsewhere with
TensorBoard's own classes. TensorBoard's Python reader checks the CRCs in pure
Python when TensorFlow is absent (~15 µs a record); here the CRC-32C comes from
``google-crc32c`` (C), so a million records are framed in well under a second.

A file being written, or cut short, ends in a partial record: reading stops
before it and says where, so the caller keeps what was whole and can resume at
that offset once the file has grown.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from nbtrack.errors import UsageError

__all__ = ["RecordReader", "frame", "hash_window", "masked_crc"]

_HEADER = struct.Struct("<QI")
_CRC = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8
_CHUNK = 16 << 20  # bytes read at a time: a huge file never sits in memory whole

INSTALL_HINT = "install it with: pip install 'nbtrack[tensorboard]'"


def _crc32c() -> Callable[[bytes], int]:
    try:
        import google_crc32c
    except ImportError:  # pragma: no cover - the extra names it
        raise UsageError(
            f"TensorBoard event files need the google-crc32c package; {INSTALL_HINT}."
        ) from None
    value: Callable[[bytes], int] = google_crc32c.value
    return value


def masked_crc(data: bytes, crc32c: Callable[[bytes], int] | None = None) -> int:
    """The masked CRC-32C TFRecord stores after the length and after the payload."""
    crc = (crc32c or _crc32c())(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame(payload: bytes, crc32c: Callable[[bytes], int] | None = None) -> bytes:
    """One record: *payload* with its length and both checksums."""
    crc = crc32c or _crc32c()
    length = struct.pack("<Q", len(payload))
    return b"".join(
        (length, _CRC.pack(masked_crc(length, crc)), payload, _CRC.pack(masked_crc(payload, crc)))
    )


@dataclass
class RecordReader:
    """The whole records of one event file from *offset* on.

    Iterate it for the payloads, or call :meth:`batches` for them a list at a
    time (the importer's loop: no generator step per record). Afterwards
    ``end`` is the offset just past the last whole record (where a later read
    resumes), and ``problem`` is ``None`` when the file ended cleanly, else one
    phrase: a partial record at the end (``truncated``: a writer may still be
    appending) or a checksum that does not match (``corrupt``: reading stopped
    there, the records before it are kept). *hasher* (a ``hashlib`` object),
    when given, is fed every byte of the whole records read, so a caller gets
    the digest of what it took without reading the file twice.

    Each payload's checksum is checked; a header's (the length's) only when its
    payload's fails or when it claims more bytes than the file holds. That is
    as strict: a damaged length points the payload check at the wrong bytes,
    which fail it, and then the header is checked to say which part is
    damaged; a length past the end is checked before it is taken for a record
    still being written. It saves a third of the framing cost per record.
    """

    path: Path
    offset: int = 0
    hasher: Any = None
    end: int = 0
    problem: str | None = None
    truncated: bool = False

    def __iter__(self) -> Iterator[bytes]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[bytes]]:
        """The payloads, one list per chunk of the file read (up to 16 MiB of records)."""
        crc = _crc32c()
        unpack_header, unpack_crc = _HEADER.unpack_from, _CRC.unpack_from
        self.end = self.offset
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            buffer = b""
            base = self.offset  # file offset of buffer[0]
            while True:
                chunk = handle.read(_CHUNK)
                buffer = buffer + chunk if buffer else chunk
                at, size = 0, len(buffer)
                payloads: list[bytes] = []
                take = payloads.append
                while at + 12 <= size:
                    length, header_crc = unpack_header(buffer, at)
                    stop = at + 12 + length
                    if stop + 4 > size:
                        if masked_crc(buffer[at : at + 8], crc) != header_crc:
                            self._corrupt(base + at, header=True)
                        break
                    payload = buffer[at + 12 : stop]
                    value = crc(payload)
                    if (((value >> 15) | (value << 17)) + _MASK_DELTA) & 0xFFFFFFFF != unpack_crc(
                        buffer, stop
                    )[0]:
                        header = masked_crc(buffer[at : at + 8], crc) != header_crc
                        self._corrupt(base + at, header=header)
                        break
                    take(payload)
                    at = stop + 4
                if self.hasher is not None and at:
                    self.hasher.update(memoryview(buffer)[:at])
                self.end = base + at
                if payloads:
                    yield payloads
                if self.problem is not None:
                    return
                buffer = buffer[at:]
                base += at
                if not chunk:
                    break
            if buffer:
                self.truncated = True
                self.problem = f"a partial record at byte {base} (the file ends mid-record)"

    def _corrupt(self, at: int, *, header: bool) -> None:
        self.problem = (
            f"a record header failing its checksum at byte {at}"
            if header
            else f"a record that fails its checksum at byte {at}"
        )


class _Window(io.RawIOBase):
    """At most *length* bytes of an open file from where it stands: what ``file_digest`` reads."""

    def __init__(self, handle: BinaryIO, length: int) -> None:
        self._handle = handle
        self.left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self.left]
        got: int = self._handle.readinto(view)  # type: ignore[attr-defined]
        self.left -= got
        return got


def hash_window(path: Path, start: int, length: int, hasher: Any) -> int:
    """Feed *hasher* the *length* bytes of *path* from *start* (fewer at the end); how many.

    ``hashlib.file_digest`` does the reading, on a window of the file: the
    importer hashes what it has taken of a file (a prefix, or the bytes a read
    added to one), never necessarily the whole file.
    """
    with open(path, "rb", buffering=0) as handle:
        handle.seek(start)
        window = _Window(handle, length)
        hashlib.file_digest(window, lambda: hasher)
    return length - window.left
