"""``SqlStore``'s artifact files: its root, recorded in the store, and the bytes under it.

For: :class:`ArtifactFiles`, a base class of ``SqlStore``: choosing the root
once per store object (``artifact_roots.choose``: the ``artifacts`` setting,
the root the store records in ``store_settings`` under ``artifact_root``, or
the default folder), recording a set root on the first artifact write so
every other client of the store finds it with no setting of its own, and the
``Store`` methods that put, find, date and remove artifact bytes.
Not for: the artifact rows of runs (``sql.py``), or object storage itself
(``artifact_remote.py``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.config import STORE_DIRNAME, mask_url
from nbtrack.errors import StoreError
from nbtrack.model import Artifact
from nbtrack.store import artifact_roots, schema
from nbtrack.store.artifact_roots import ArtifactRoot

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["ROOT_KEY", "ArtifactFiles"]

#: the ``store_settings`` key of the artifact root's canonical URL
ROOT_KEY = "artifact_root"


class ArtifactFiles:
    """``SqlStore``'s methods for artifact bytes (see ``Store`` for the contract)."""

    settings: Settings
    missing: bool
    #: the default folder: ``.nbtrack/artifacts`` next to a SQLite store, or in the project
    artifact_root: Path
    _root: ArtifactRoot | None = None
    #: the root recorded in the store when :attr:`_root` was chosen
    _recorded: str | None = None

    if TYPE_CHECKING:  # provided by SqlStore

        def _write(self, run_id: str | None = None) -> AbstractContextManager[Connection]: ...

        def _read(self) -> AbstractContextManager[Connection]: ...

    # -- the root ------------------------------------------------------------------
    def recorded_artifact_root(self) -> str | None:
        """The artifact root URL this store records (no credentials); None if none."""
        if self.missing:
            return None
        with self._read() as connection:
            return _recorded_in(connection)

    def artifact_store(self) -> ArtifactRoot:
        """The artifact root this store object uses, chosen on first use."""
        if self._root is None:
            recorded = self.recorded_artifact_root()
            self._root = artifact_roots.choose(
                self.settings.artifacts,
                recorded,
                base=self.settings.root,
                default=self.artifact_root,
                spill=self._spill_dir(),
                cache=artifact_roots.cache_dir(),
            )
            self._recorded = recorded
        return self._root

    def _spill_dir(self) -> Path:
        """Where this project keeps artifacts that could not reach their root."""
        return self.settings.root / STORE_DIRNAME / "artifact-spill"

    def _writable_root(self) -> ArtifactRoot:
        """The root, recorded in the store first if it is set and the store has none."""
        root = self.artifact_store()
        if root.url is None or self._recorded == root.url:
            return root
        with self._write() as connection:
            recorded = _recorded_in(connection)
            if recorded is None:
                connection.execute(
                    schema.store_settings.insert().values(key=ROOT_KEY, value=root.url)
                )
            elif recorded != root.url:  # another client recorded its root meanwhile
                self._root = None
                raise artifact_roots.disagree(root.url, recorded)
        self._recorded = root.url
        return root

    def set_artifact_root(self, value: str) -> str:
        """Record *value* (a URL or folder) as the store's artifact root; the canonical URL.

        Objects are not moved: copy them to the new root first.
        """
        url = artifact_roots.canonical(value, self.settings.root)
        artifact_roots.open_url(url, spill=self._spill_dir(), cache=artifact_roots.cache_dir())
        table = schema.store_settings
        with self._write() as connection:
            connection.execute(table.delete().where(table.c.key == ROOT_KEY))
            connection.execute(table.insert().values(key=ROOT_KEY, value=url))
        self._root = None
        return url

    def push_artifacts(self) -> tuple[int, int]:
        """Upload what an outage of the artifact root left on this machine; (sent, kept)."""
        return self.artifact_store().push()

    def artifact_root_status(self) -> dict[str, str | None]:
        """The recorded root and the one this client uses, both masked, for ``db status``."""
        recorded = self.recorded_artifact_root()
        root = self.artifact_store()
        used = root.url or str(self.artifact_root)
        return {
            "recorded": None if recorded is None else mask_url(recorded),
            "used": mask_url(used),
        }

    # -- the bytes -----------------------------------------------------------------
    def put_artifact(self, path: Path) -> tuple[str, int, str]:
        root = self._writable_root()
        try:
            return root.put_file(path)
        except FileNotFoundError:
            raise StoreError(f"The artifact file {path} does not exist.", uri=str(path)) from None
        except IsADirectoryError:
            raise StoreError(f"The artifact {path} is a directory, not a file.") from None
        except PermissionError:
            raise StoreError(
                f"The artifact file {path} cannot be read (permission denied)."
            ) from None

    def put_artifact_bytes(self, data: bytes) -> tuple[str, int, str]:
        return self._writable_root().put_bytes(data)

    def artifact_path(self, artifact: Artifact) -> Path:
        return self.artifact_store().local_path(artifact.uri, artifact.size)

    def artifact_written_at(self, artifact: Artifact) -> float | None:
        return self.artifact_store().written_at(artifact.uri)

    def remove_artifact(self, artifact: Artifact) -> bool:
        return self.artifact_store().remove(artifact.uri)


def _recorded_in(connection: Connection) -> str | None:
    """The artifact root URL recorded in ``store_settings``; None if none is."""
    table = schema.store_settings
    row = connection.execute(sa.select(table.c.value).where(table.c.key == ROOT_KEY)).first()
    return None if row is None else str(row[0])
