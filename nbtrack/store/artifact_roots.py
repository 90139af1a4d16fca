"""Which artifact root a store uses: a local folder or a URL fsspec reaches.

For: reading the ``artifacts`` setting (a folder, ``file:///mnt/shared``,
``s3://bucket/prefix``, ``gs://``, ``az://``) into one canonical URL with no
credentials in it (what a store records in ``store_settings``), choosing
between that setting, the root the store records and the default folder, and
:class:`LocalRoot`, the root of a folder (``file://`` URLs are folders too: a
mounted share needs no download and no cache).
Not for: object storage itself (``artifact_remote.py``), or the SQL of the
recorded root (``sql_artifacts.py``).

The rules, in order: a setting that disagrees with the store's recorded root
is a ``ConfigError`` (two clients of one store must not write to two
places); a setting or a recorded root is used; with neither, the default
folder (``.nbtrack/artifacts`` next to a SQLite store, or in the project),
which is never recorded because it means a different folder on each machine.
A set or recorded folder must exist: an unmounted share is an error, not a
new empty folder on the local disk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import unquote, urlsplit

from nbtrack.config import mask_url
from nbtrack.errors import ConfigError, StoreError
from nbtrack.store import artifacts

__all__ = [
    "ArtifactRoot",
    "LocalRoot",
    "canonical",
    "check_protocol",
    "choose",
]

#: the extra that installs an fsspec protocol's backend
_EXTRAS = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "adl": "azure",
}


class ArtifactRoot(Protocol):
    """Where a store's artifact bytes go and come from."""

    #: the canonical URL the store records; None for the default folder (never recorded)
    url: str | None

    def put_file(self, path: Path) -> tuple[str, int, str]:
        """Store the file at *path*; (``sha256:<hex>``, size, uri)."""
        ...

    def put_bytes(self, data: bytes) -> tuple[str, int, str]: ...

    def local_path(self, uri: str, size: int | None = None) -> Path:
        """Where the bytes of *uri* (*size* bytes, if known) are on this machine.

        ``""`` gives the folder every such path is under (the root, or the cache).
        """
        ...

    def written_at(self, uri: str) -> float | None: ...

    def remove(self, uri: str) -> bool: ...

    def push(self) -> tuple[int, int]:
        """Upload what was kept locally while the root was unreachable; (sent, still kept)."""
        ...


class LocalRoot:
    """A folder on this machine (the default, a set folder, or a ``file://`` URL)."""

    def __init__(self, path: Path, url: str | None) -> None:
        self.path = path
        self.url = url

    def put_file(self, path: Path) -> tuple[str, int, str]:
        with open(path, "rb") as source:
            return self.put_stream(source)

    def put_stream(self, source: BinaryIO) -> tuple[str, int, str]:
        return artifacts.put_stream(self.path, source)

    def put_bytes(self, data: bytes) -> tuple[str, int, str]:
        import io

        return self.put_stream(io.BytesIO(data))

    def local_path(self, uri: str, size: int | None = None) -> Path:
        return self.path / uri

    def written_at(self, uri: str) -> float | None:
        return artifacts.written_at(self.path, uri)

    def remove(self, uri: str) -> bool:
        return artifacts.remove(self.path, uri)

    def push(self) -> tuple[int, int]:
        return 0, 0  # a folder is written at once or not at all


def canonical(value: str, base: Path) -> str:
    """*value* (a setting or a recorded root) as the URL a store records.

    Folders become ``file:///absolute/path`` (relative ones are under *base*,
    the project root); other URLs lose any ``user:password@`` and trailing
    slashes, so credentials are never recorded and ``s3://b/p/`` is ``s3://b/p``.

    >>> canonical("s3://key:secret@bucket/runs/", Path("/p"))
    's3://bucket/runs'
    >>> canonical("shared/artifacts", Path("/p"))
    'file:///p/shared/artifacts'
    """
    if "://" not in value:
        path = Path(os.path.expanduser(value))
        return f"file://{Path(os.path.abspath(base / path))}"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(
                f"The artifacts setting {value!r} names a file:// URL on the host"
                f" {parts.netloc!r}; use file:///absolute/path (three slashes) for a folder"
                " mounted on this machine.",
                key="artifacts",
            )
        return f"file://{Path(os.path.abspath(unquote(parts.path) or '/'))}"
    host = parts.netloc.rpartition("@")[2]
    if not host:
        raise ConfigError(
            f"The artifacts setting {mask_url(value)!r} has no bucket or container"
            f" after {scheme}://.",
            key="artifacts",
        )
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def local_folder(url: str) -> Path | None:
    """The folder a canonical ``file://`` URL names; None for other URLs."""
    if url.startswith("file://"):
        return Path(url[len("file://") :])
    return None


def check_protocol(url: str) -> None:
    """A ``ConfigError`` unless fsspec can open *url*'s protocol here (imports fsspec)."""
    protocol = url.partition("://")[0]
    import fsspec  # type: ignore[import-untyped]  # ships no type information

    try:
        fsspec.get_filesystem_class(protocol)
    except ValueError:
        raise ConfigError(
            f"The artifact root {mask_url(url)!r} uses the protocol {protocol!r}, which fsspec"
            " does not know; use s3://, gs://, az://, file:///path or a folder.",
            key="artifacts",
        ) from None
    except ImportError:
        extra = _EXTRAS.get(protocol)
        how = f"pip install 'nbtrack[{extra}]'" if extra else f"install fsspec's {protocol} backend"
        raise ConfigError(
            f"The artifact root {mask_url(url)!r} needs fsspec's {protocol}:// backend,"
            f" which is not installed: {how}.",
            key="artifacts",
        ) from None


def disagree(setting: str, recorded: str) -> ConfigError:
    return ConfigError(
        f"The artifacts setting {mask_url(setting)!r} differs from the artifact root this store"
        f" records ({mask_url(recorded)}); remove the setting to use the store's root, or move"
        " the store's root with `nbtrack artifacts root --set URL` after copying its objects.",
        key="artifacts",
    )


def choose(
    setting: str | None,
    recorded: str | None,
    *,
    base: Path,
    default: Path,
    spill: Path,
    cache: Path,
) -> ArtifactRoot:
    """The root to use: see the module's rules.

    *base* is the project root; *spill* the folder under which each remote
    root gets its own spill folder; *cache* the download cache.
    """
    wanted = canonical(setting, base) if setting is not None else None
    if wanted is not None and recorded is not None and wanted != recorded:
        raise disagree(wanted, recorded)
    url = wanted or recorded
    if url is None:
        return LocalRoot(default, None)
    return open_url(url, spill=spill, cache=cache, recorded=wanted is None)


def open_url(url: str, *, spill: Path, cache: Path, recorded: bool = False) -> ArtifactRoot:
    """The root at canonical *url*; *recorded*: it came from the store, not a setting."""
    folder = local_folder(url)
    if folder is not None:
        if not folder.is_dir():
            whose = "this store records" if recorded else "the artifacts setting names"
            raise StoreError(
                f"The artifact root {folder} that {whose} is not a folder on this machine;"
                " mount or create it.",
                uri=url,
            )
        return LocalRoot(folder, url)
    check_protocol(url)
    from nbtrack.store.artifact_remote import RemoteRoot

    # one spill folder per root, so a push never sends one root's bytes to another
    tag = hashlib.sha256(url.encode()).hexdigest()[:12]
    return RemoteRoot(url, spill=spill / tag, cache=cache)


def cache_dir() -> Path:
    """This user's download cache: ``$XDG_CACHE_HOME/nbtrack/artifacts`` (``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nbtrack" / "artifacts"
