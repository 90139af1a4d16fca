"""An artifact root in object storage (``s3://``, ``gs://``, ``az://``) through fsspec.

For: :class:`RemoteRoot`: uploading a file under its content address
(``<root>/sha256/ab/<hex>``), downloading one into this user's cache for a
reader, keeping bytes in a local spill folder while the storage cannot be
reached and pushing them later, dating and removing objects for ``nbtrack gc``.
Not for: choosing the root or checking its URL (``artifact_roots.py``).

Uploads: the file is hashed while read from disk (one pass, 1 MiB at a
time), then handed to the backend's ``put_file``, which streams it (s3fs
sends a multipart upload above 100 MiB), so a 2 GB model never sits in
memory. An object of 8 MiB or more already there with the right size is not
sent again (the key is the digest: same key and size, same bytes); a smaller
one is sent again, which costs one request like the question would. Object
stores make a PUT visible only once complete, so a reader never sees half an
object and no temporary key is needed. A single PUT carries a checksum the
server checks (botocore sends CRC32 by default); an upload of 8 MiB or more
(a multipart one is assembled from parts) also has its size read back
(``info``), so a short write is an error, not a silent hole. The sha256
itself is checked on every download, where a reader needs it. Transient
errors (connection refused or reset, timeouts, 5xx) are retried with
backoff (0.5, 1, 2 s); then the bytes go to the spill folder under
``.nbtrack/`` with one warning, the artifact row is recorded as usual, and
the next artifact write that reaches the storage (or ``nbtrack artifacts
push``) sends them. Missing buckets and refused credentials are not
retried: they are one-sentence ``StoreError``s.

Downloads: ``local_path`` returns the cached copy if there is one (no
network), the spilled copy (linked into the cache) if this machine has one,
else streams it into a temporary file in the cache (8 MiB reads, the next
fetched by a thread while the last is hashed and written; the artifact's
known size spares a HEAD request) and renames it into place only when the
sha256 matches the content address.

Storage options come from the environment the backends already read (AWS_*,
GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*); for S3, an endpoint in
``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (MinIO, moto, Ceph) is passed on.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from nbtrack.config import mask_url
from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.store import artifacts
from nbtrack.store.artifacts import CONTENT_ADDRESS

__all__ = ["ArtifactSpillWarning", "RemoteRoot"]

T = TypeVar("T")
_CHUNK = 1 << 20
#: what a download reads at a time (at most _AHEAD of them wait in memory)
_READ = 8 << 20
_AHEAD = 2
#: seconds slept before the 2nd, 3rd and 4th attempt of a storage call
BACKOFF = (0.5, 1.0, 2.0)
#: uploads at least this big are skipped when present and have their size read back
VERIFY_ABOVE = 8 << 20
#: errors no retry cures: a missing bucket or object, refused credentials, a bad argument
_PERMANENT = (FileNotFoundError, PermissionError, IsADirectoryError, ValueError, TypeError)


class ArtifactSpillWarning(UserWarning):
    """Artifacts were kept on this machine because their root could not be reached."""


def _storage_options(protocol: str) -> dict[str, Any]:
    # a new instance reads the environment's credentials now, not those of an earlier one
    common: dict[str, Any] = {"skip_instance_cache": True}
    if protocol not in ("s3", "s3a"):
        return common
    options: dict[str, Any] = {
        **common,
        "use_listings_cache": False,
        # our retries (BACKOFF) decide when to give up and spill; botocore's own stay short
        "config_kwargs": {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 1}},
    }
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint_url"] = endpoint
    return options


def _modified(info: dict[str, Any]) -> float | None:
    for key in ("LastModified", "last_modified", "mtime", "updated", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, int | float):
            return float(value)
        if hasattr(value, "timestamp"):
            return float(value.timestamp())
        from datetime import datetime

        with suppress(ValueError):
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    return None


class RemoteRoot:
    """Content-addressed objects under *url*; *spill* and *cache* are local folders."""

    def __init__(self, url: str, *, spill: Path, cache: Path) -> None:
        #: the canonical URL (``ArtifactRoot.url``); :attr:`root` the same, never None
        self.url: str | None = url
        self.root = url
        self.protocol = url.partition("://")[0]
        self.spill = spill
        self.cache = cache
        self._fs: Any = None
        self._warned = False
        self._bucket_seen = False

    # -- plumbing ------------------------------------------------------------------
    @property
    def fs(self) -> Any:
        if self._fs is None:
            import fsspec  # type: ignore[import-untyped]  # ships no type information

            cls = fsspec.get_filesystem_class(self.protocol)
            fs = cls(**_storage_options(self.protocol))
            if isinstance(getattr(fs, "retries", None), int):
                fs.retries = 1  # s3fs's own retries (5, with sleeps): BACKOFF decides here
            self._fs = fs
        return self._fs

    def _key(self, uri: str) -> str:
        return f"{self.root}/{uri}"

    def _call(self, action: Callable[[], T]) -> T:
        """*action*, retried with backoff on transient errors; errors as ``StoreError``s."""
        for attempt in range(len(BACKOFF) + 1):
            try:
                return action()
            except _PERMANENT:
                raise
            except Exception as error:  # the backends raise many kinds; all transient here
                if attempt == len(BACKOFF):
                    raise StoreUnreachableError(
                        f"The artifact root {mask_url(self.root)} does not answer ({error}).",
                        uri=mask_url(self.root),
                    ) from None
                time.sleep(BACKOFF[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    def _permanent(self, what: str, error: Exception) -> StoreError:
        if isinstance(error, FileNotFoundError):
            why = "the bucket or container does not exist"
        elif isinstance(error, PermissionError):
            why = "the storage refused the credentials (check AWS_*/GOOGLE_*/AZURE_* variables)"
        else:
            why = str(error)
        return StoreError(
            f"Cannot {what} the artifact root {mask_url(self.root)}: {why}.",
            uri=mask_url(self.root),
        )

    # -- writing -------------------------------------------------------------------
    def put_file(self, path: Path) -> tuple[str, int, str]:
        with open(path, "rb") as source:
            hexdigest = hashlib.file_digest(source, "sha256").hexdigest()
            size = os.fstat(source.fileno()).st_size
        uri = f"sha256/{hexdigest[:2]}/{hexdigest}"
        self._upload(uri, size, _put_file(self.fs, path), path=path)
        return f"sha256:{hexdigest}", size, uri

    def put_bytes(self, data: bytes) -> tuple[str, int, str]:
        hexdigest = hashlib.sha256(data).hexdigest()
        uri = f"sha256/{hexdigest[:2]}/{hexdigest}"
        self._upload(uri, len(data), lambda key: self.fs.pipe_file(key, data), data=data)
        return f"sha256:{hexdigest}", len(data), uri

    def _upload(
        self,
        uri: str,
        size: int,
        send: Callable[[str], object],
        *,
        path: Path | None = None,
        data: bytes | None = None,
    ) -> None:
        try:
            self._send(uri, size, send)
        except StoreUnreachableError as error:
            self._keep(path, data, error)
            return
        self.push()  # the storage answers: send what an outage left behind

    def _send(self, uri: str, size: int, send: Callable[[str], object]) -> None:
        key = self._key(uri)
        try:
            # already there (same digest, same size)? Asked only where it saves a transfer:
            # below VERIFY_ABOVE the question costs about what sending the bytes again does
            if size >= VERIFY_ABOVE and self._size(key) == size:
                return
            self._call(lambda: send(key))
            # a single PUT carries its own checksum (botocore's CRC32, gcsfs's crc32c), which
            # the server checks; a larger upload is read back, worth one request more
            stored = self._size(key) if size >= VERIFY_ABOVE else size
        except _PERMANENT as error:
            raise self._permanent("write to", error) from None
        if stored != size:
            raise StoreError(
                f"The artifact {uri} reached {mask_url(self.root)} with {stored} bytes"
                f" instead of {size}; log it again.",
                uri=mask_url(self.root),
            )

    def _size(self, key: str) -> int | None:
        """The size of the object at *key*; None when there is none."""

        def info() -> int | None:
            try:
                return int(self.fs.info(key)["size"])
            except FileNotFoundError:
                if not self._bucket_seen:  # a missing object, or a missing bucket?
                    bucket = self.root.partition("://")[2].split("/", 1)[0]
                    if not self.fs.exists(f"{self.protocol}://{bucket}"):
                        raise
                    self._bucket_seen = True
                return None

        return self._call(info)

    def _keep(self, path: Path | None, data: bytes | None, error: StoreError) -> None:
        """Put the bytes in the spill folder, warning once per root."""
        import io

        with open(path, "rb") if path is not None else io.BytesIO(data or b"") as source:
            artifacts.put_stream(self.spill, source)
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"nbtrack: {error} The artifact is kept in {self.spill} and recorded as usual;"
                " the next artifact write that reaches the storage, or `nbtrack artifacts push`,"
                " uploads it.",
                ArtifactSpillWarning,
                stacklevel=5,
            )

    def spilled(self) -> list[Path]:
        return sorted(p for p in self.spill.glob("sha256/*/*") if CONTENT_ADDRESS.fullmatch(
            p.relative_to(self.spill).as_posix()))  # fmt: skip

    def push(self) -> tuple[int, int]:
        sent = 0
        kept = self.spilled()
        for index, path in enumerate(kept):
            uri = path.relative_to(self.spill).as_posix()
            try:
                self._send(uri, path.stat().st_size, _put_file(self.fs, path))
            except StoreUnreachableError:
                return sent, len(kept) - index
            with suppress(FileNotFoundError):
                path.unlink()
            sent += 1
        return sent, 0

    # -- reading -------------------------------------------------------------------
    def local_path(self, uri: str, size: int | None = None) -> Path:
        if not uri:
            return self.cache
        cached = self.cache / uri
        match = CONTENT_ADDRESS.fullmatch(uri)
        if match is None or cached.is_file():
            return cached  # a uri that is no content address never reaches the storage
        spilled = self.spill / uri
        if spilled.is_file():
            # readers expect every file under the cache (the UI checks paths against it)
            _link_or_copy(spilled, cached)
            return cached
        try:
            self._call(lambda: self._download(uri, match.group(2), cached, size))
        except FileNotFoundError:
            return cached  # no such object: the reader reports the missing file
        except PermissionError as error:
            raise self._permanent("read", error) from None
        return cached

    def _download(self, uri: str, hexdigest: str, target: Path, size: int | None) -> None:
        """Stream the object to a temporary file, hashing as it comes, then rename it.

        A reader thread fetches the next chunk while this one hashes and writes
        the last (sha256 and file writes release the GIL), so the hash costs
        no time on top of the transfer. A known *size* spares the HEAD request.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".download-")
        try:
            options: dict[str, Any] = {"block_size": 2 * _READ, "cache_type": "readahead"}
            if size is not None:
                options["size"] = size
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, self.fs.open(self._key(uri), "rb", **options) as src:
                for chunk in _prefetched(src):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != hexdigest:
                raise StoreError(
                    f"The object {uri} in {mask_url(self.root)} does not hold the bytes its name"
                    " promises (sha256 mismatch); it was not used.",
                    uri=mask_url(self.root),
                )
            os.replace(tmp, target)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise

    # -- gc --------------------------------------------------------------------------
    def written_at(self, uri: str) -> float | None:
        spilled = self.spill / uri
        if spilled.is_file():
            return spilled.stat().st_mtime
        key = self._key(uri)

        def info() -> dict[str, Any] | None:
            try:
                found: dict[str, Any] = self.fs.info(key)
            except FileNotFoundError:
                return None
            return found

        try:
            found = self._call(info)
        except PermissionError as error:
            raise self._permanent("read", error) from None
        return None if found is None else _modified(found)

    def remove(self, uri: str) -> bool:
        removed = False
        for local in (self.spill / uri, self.cache / uri):
            with suppress(FileNotFoundError):
                local.unlink()
                removed = True
        key = self._key(uri)

        def rm() -> bool:
            try:
                self.fs.rm_file(key)
            except FileNotFoundError:
                return False
            return True

        try:
            return self._call(rm) or removed
        except PermissionError as error:
            raise self._permanent("remove from", error) from None


def _put_file(fs: Any, path: Path) -> Callable[[str], object]:
    def send(key: str) -> object:
        return fs.put_file(str(path), key)

    return send


def _prefetched(source: Any) -> Iterator[bytes]:
    """*source*'s chunks, each read by a thread while the caller handles the one before."""
    import queue
    import threading

    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                chunk = source.read(_READ)
                chunks.put(chunk or None)
                if not chunk:
                    return
        except BaseException as error:  # handed to the caller, raised there
            chunks.put(error)

    reader = threading.Thread(target=read, name="nbtrack-artifact-download", daemon=True)
    reader.start()
    try:
        while (item := chunks.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        with suppress(queue.Empty):
            chunks.get_nowait()  # a reader blocked on a full queue can finish
        reader.join()


def _link_or_copy(source: Path, target: Path) -> None:
    """*target* holds *source*'s bytes: a hard link, or a copy renamed into place."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileExistsError:
        return
    except OSError:  # another filesystem
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".copy-")
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
