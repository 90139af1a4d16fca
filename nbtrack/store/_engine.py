"""Connecting to a store: engines, SQLite pragmas, error translation, schema checks.

For: turning a store URL into a configured SQLAlchemy engine, turning driver
exceptions into one-sentence ``StoreError``s (password masked; a server that
cannot be reached right now is a ``StoreUnreachableError``), and checking or
creating the schema on open.
Not for: reading or writing runs (``sql.py``, ``sql_read.py``).

SQLite is opened in WAL mode with ``synchronous=NORMAL``, foreign keys on and
a 30 s busy timeout. Python's sqlite3 transaction handling is switched off and
nbtrack emits ``BEGIN`` itself: ``BEGIN IMMEDIATE`` for writes, so a writer
waits for the lock through the busy timeout up front instead of failing with
"database is locked" when a read transaction tries to become a write one.

A SQLite store nbtrack cannot write (a read-only file, or a read-only folder
that cannot hold the ``-wal`` and ``-shm`` files) is opened read-only
(``mode=ro``); in a read-only folder with no ``-wal`` file, where no writer
can be at work, also ``immutable=1``, because SQLite cannot make the
``-shm`` file it otherwise needs to read a WAL database.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine

from nbtrack.config import mask_url
from nbtrack.errors import SchemaError, StoreError, StoreUnreachableError
from nbtrack.store import schema

__all__ = [
    "BUSY_TIMEOUT",
    "INSUFFICIENT_PRIVILEGE",
    "PG_LOCK_KEY",
    "cannot_reach",
    "check_schema",
    "current_revision",
    "detect_revision",
    "ensure_schema",
    "guard",
    "make_engine",
    "make_parent",
    "read_only_reason",
    "sqlite_path",
    "umask",
    "write_engine",
]

BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock
_WRITE_OPTION = "nbtrack_write"
#: PostgreSQL advisory lock ("nbtrack") serialising schema changes and new runs
PG_LOCK_KEY = 0x6E62747261636B


def parse_url(url: str) -> URL:
    """*url* parsed; a URL SQLAlchemy cannot read is one ``StoreError`` sentence."""
    try:
        return sa.make_url(url)
    except (exc.ArgumentError, ValueError):
        raise StoreError(
            f"The store URL {mask_url(url)!r} is not a valid URL"
            " (expected e.g. postgresql://user@host:5432/db or a file path).",
            uri=mask_url(url),
        ) from None


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for other dialects or in-memory."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_parent(path: Path) -> None:
    """Make the folder of a new SQLite store *path*; one sentence when it cannot be."""
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(
            f"Cannot create the run store {path}: its directory {parent} cannot be made "
            f"({error.strerror or error}).",
            uri=str(path),
        ) from None
    if not os.access(parent, os.W_OK):
        raise StoreError(
            f"Cannot create the run store {path}: the directory {parent} is read-only.",
            uri=str(path),
        )


def _where(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def umask() -> int:
    """The process's umask, read without changing it where Linux says it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere the one way to read it is to set it (and put it back)
    os.umask(mask)
    return mask


def read_only_reason(path: Path) -> str | None:
    """Why nbtrack cannot write the existing SQLite file *path*; None when it can."""
    if not os.access(path.parent, os.W_OK):
        return f"its directory {path.parent} is read-only"
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    return None


def _read_only_creator(path: Path) -> Any:
    """A connect function opening *path* read-only (see the module docstring)."""
    from urllib.parse import quote

    wal = path.with_name(path.name + "-wal")
    query = "mode=ro"
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        query += "&immutable=1"
    uri = f"file:{quote(str(path.resolve()))}?{query}"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)

    return connect


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """An engine for *url*; SQLite connections get nbtrack's pragmas.

    *read_only* opens an existing SQLite file read-only (writes then fail).
    """
    parsed = parse_url(url)
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            options: dict[str, Any] = {}
            path = sqlite_path(url)
            if read_only and path is not None:
                options = {"creator": _read_only_creator(path)}
            if parsed.database in (None, "", ":memory:"):
                # one shared connection, or every pooled connection sees its own empty db
                options = {"poolclass": sa.StaticPool}
                parsed = parsed.update_query_dict({"check_same_thread": "false"})
            engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT}, **options)
            _configure_sqlite(engine)
            return engine
        if backend == "postgresql":
            if parsed.get_driver_name() != "psycopg":
                parsed = parsed.set(drivername="postgresql+psycopg")
            return sa.create_engine(
                parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10}
            )
    except ModuleNotFoundError as error:
        raise StoreError(
            f"The store {mask_url(url)} needs the Python package {error.name!r}; "
            "install it with `pip install 'nbtrack[postgres]'`.",
            uri=mask_url(url),
        ) from None
    raise StoreError(
        f"The store URL {mask_url(url)} uses {backend!r}; nbtrack supports sqlite and postgresql.",
        uri=mask_url(url),
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # nbtrack emits BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # persistent once set; a no-op read when the file is already in WAL
            with contextlib.suppress(sqlite3.DatabaseError):
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def write_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions start as writers."""
    return engine.execution_options(**{_WRITE_OPTION: True})


#: PostgreSQL's SQLSTATE for "permission denied" (a read-only role writing)
INSUFFICIENT_PRIVILEGE = "42501"


def translate(error: BaseException, url: str) -> StoreError:
    """One sentence for a driver error, naming the store (password masked)."""
    masked = mask_url(url)
    parsed = parse_url(url)
    where = _where(parsed)
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    low = text.lower()
    if parsed.get_backend_name() == "sqlite":
        if "locked" in low or "busy" in low:
            return StoreError(
                f"The SQLite store {where} stayed locked by another process for more than "
                f"{BUSY_TIMEOUT:g} s.",
                uri=masked,
            )
        if "readonly" in low or "read-only" in low or "read only" in low or "unable to open" in low:
            return StoreError(
                f"The SQLite store {where} {_sqlite_access(Path(where))}.", uri=masked
            )
        if "not a database" in low or "malformed" in low:
            return StoreError(f"{where} is not a readable SQLite run store ({text}).", uri=masked)
        return StoreError(f"The SQLite store {where} failed: {text}.", uri=masked)
    if getattr(original, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
        role = parsed.username or "this user"
        return StoreError(
            f"The PostgreSQL role {role!r} may not do this on the store {masked}"
            f" ({text.split(chr(10))[0]}): it can read the store, and changes need a role"
            " with INSERT, UPDATE and DELETE on its tables (see docs/store.md, Read-only access).",
            uri=masked,
        )
    if _connection_failure(error, low):
        reason = "connection refused" if "refused" in low else text.split(":")[-1].strip()
        if "password authentication failed" in low:
            reason = "password authentication failed"
        elif "does not exist" in low:
            reason = text.split("FATAL:")[-1].strip() if "FATAL:" in text else text
        kind = StoreUnreachableError if cannot_reach(error) else StoreError
        return kind(
            f"Cannot reach the PostgreSQL store at {where} ({masked}): {reason}.", uri=masked
        )
    return StoreError(f"The PostgreSQL store {masked} failed: {text}.", uri=masked)


def _connection_failure(error: BaseException, low: str) -> bool:
    """Whether a driver error (lower-cased text *low*) is about the connection."""
    return isinstance(error, exc.OperationalError | exc.InterfaceError) and (
        "connect" in low or "timeout" in low or "refused" in low or "resolve" in low
    )


def cannot_reach(error: BaseException) -> bool:
    """Whether *error* means "the server cannot be reached right now".

    *error* is a driver error (what :func:`translate` asks, to choose
    ``StoreUnreachableError``) or an error the store raised (then: whether it
    is a ``StoreUnreachableError``). True for what :func:`translate` words as
    "Cannot reach the PostgreSQL store" (connection refused, a timeout, the
    server gone), except the causes that retrying cannot cure: bad
    credentials, a missing database, a host name that does not resolve. A
    SQLite file is never "unreachable".
    """
    if isinstance(error, StoreError):
        return isinstance(error, StoreUnreachableError)
    original = getattr(error, "orig", None) or error
    low = " ".join(str(original).split()).lower()
    if not _connection_failure(error, low) or "sqlite" in type(original).__module__:
        return False
    permanent = ("password authentication failed", "does not exist", "resolve", "translate host")
    return not any(word in low for word in permanent)


def _sqlite_access(path: Path) -> str:
    """Why a SQLite file cannot be opened or written, as the end of a sentence."""
    parent = path.parent
    if not parent.is_dir():
        return f"cannot be opened: its directory {parent} does not exist"
    if path.is_dir():
        return "cannot be opened: it is a directory, not a SQLite file"
    if not os.access(parent, os.W_OK):
        return (
            f"cannot be opened for writing: its directory {parent} is read-only "
            "(SQLite keeps -wal and -shm files beside the store)"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return "cannot be written: the file is read-only"
    return "cannot be opened or written (check the file's permissions)"


@contextlib.contextmanager
def guard(url: str) -> Iterator[None]:
    """Turn driver errors raised inside the block into ``StoreError``."""
    try:
        yield
    except exc.DBAPIError as error:
        raise translate(error, url) from None
    except exc.SQLAlchemyError as error:  # pragma: no cover - defensive
        raise translate(error, url) from None


# -- schema --------------------------------------------------------------------


def _table_names(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    return {row[0] for row in connection.exec_driver_sql(sql)}


def current_revision(connection: Connection) -> tuple[str | None, bool]:
    """(the store's schema revision or None, whether any nbtrack table exists)."""
    names = _table_names(connection)
    revision = None
    if "alembic_version" in names:
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
        revision = row[0] if row else None
    return revision, bool(names & {"runs", "alembic_version"})


def _fingerprint(connection: Connection) -> dict[str, frozenset[str]]:
    """{table: its column names} of every table but Alembic's record."""
    inspector = sa.inspect(connection)
    return {
        name: frozenset(column["name"] for column in inspector.get_columns(name))
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


def detect_revision(connection: Connection) -> str | None:
    """The revision whose tables and columns the store has; None when none matches.

    For a store whose ``alembic_version`` record is gone (dropped by hand, or
    lost in a copy) but whose tables are there. Each revision's tables are
    what its migrations make on an in-memory SQLite database, so the answer
    is the same for both dialects and for every revision this nbtrack ships.
    """
    from nbtrack.store import migrations

    found = _fingerprint(connection)
    for revision in reversed(schema.REVISIONS):
        scratch = sa.create_engine("sqlite://")
        try:
            with scratch.begin() as memory:
                migrations.upgrade(memory, revision)
                if _fingerprint(memory) == found:
                    return revision
        finally:
            scratch.dispose()
    return None


def _lost_record(where: str) -> SchemaError:
    return SchemaError(
        f"The run store {where} has nbtrack's tables but no record of its schema revision"
        " (its alembic_version table is missing or empty); run `nbtrack db upgrade` to"
        " restore the record.",
        uri=where,
    )


def check_schema(revision: str | None, has_tables: bool, url: str) -> None:
    """Raise ``SchemaError`` unless *revision* is the one this nbtrack speaks."""
    if revision == schema.HEAD:
        return
    where = mask_url(url)
    if revision is None and not has_tables:
        raise StoreError(f"There is no run store at {where} yet.", uri=where)
    if revision is None:
        raise _lost_record(where)
    if revision in schema.REVISIONS:
        raise SchemaError(
            f"The run store {where} was made by an older nbtrack (schema {revision or 'none'}); "
            "run `nbtrack db upgrade`.",
            uri=where,
        )
    raise SchemaError(
        f"The run store {where} was made by a newer nbtrack (schema {revision}); upgrade nbtrack.",
        uri=where,
    )


def ensure_schema(
    engine: Engine, url: str, *, upgrade: bool, experiment: str | None = None
) -> tuple[str | None, str | None]:
    """Create the tables of an empty store, or (with *upgrade*) migrate an old one.

    Runs under the store's write lock (``BEGIN IMMEDIATE`` on SQLite, an
    advisory lock on PostgreSQL) and re-reads the revision inside it, so
    several processes opening a new store at once create it exactly once.
    *experiment* is the experiment an upgrade gives the runs of a store made
    before experiments (0005): the opening project's. Returns (revision
    before, revision after).
    """
    with guard(url), write_engine(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
        before, has_tables = current_revision(connection)
        if before == schema.HEAD:
            return before, before
        if before is not None and before not in schema.REVISIONS:
            check_schema(before, has_tables, url)  # raises: newer than this nbtrack
        if has_tables and not upgrade:
            check_schema(before, has_tables, url)  # raises: older, needs upgrade
        from nbtrack.store import migrations

        if before is None and has_tables:
            _restore_record(connection, url)
        migrations.upgrade(connection, experiment=experiment)
        after, _ = current_revision(connection)
        return before, after


def _restore_record(connection: Connection, url: str) -> None:
    """Record the revision the tables match (Alembic's stamp), or say none does."""
    from nbtrack.store import migrations

    revision = detect_revision(connection)
    if revision is None:
        where = mask_url(url)
        raise SchemaError(
            f"The run store {where} has no record of its schema revision, and its tables"
            " match no schema this nbtrack knows; restore it from a backup, or point"
            " nbtrack at a new store.",
            uri=where,
        )
    migrations.stamp(connection, revision)
