"""Dolt refs: ``dolt://[user@]host[:port]/db[@ref][/table]`` resolved to a commit hash.

For: :func:`resolve`, which asks a Dolt SQL server (the MySQL protocol,
through PyMySQL, ``pip install 'nbtrack[dolt]'``) which commit a branch, tag
or commit hash names now, with Dolt's documented system tables
(``dolt_branches``, ``dolt_tags``, ``dolt_commits``) and, for a table, its
value hash (``DOLT_HASHOF_TABLE`` in the revision database ``db/<commit>``).
The ref's digest is ``dolt:<commit hash>``; a branch that moves later does
not move the recorded version.

Not for: reading the data (the notebook does that) or storing the ref.

Why system tables rather than ``DOLT_HASHOF('ref')``: an unknown ref makes
``DOLT_HASHOF`` fail with Dolt's generic error 1105, which a client can only
tell from a server fault by its message text; a lookup that finds no row is
an answer. The password comes from ``DOLT_PASSWORD`` (or the URI, which is
discouraged: the stored path hides it as ``***``), never from the store.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from nbtrack.config import mask_url
from nbtrack.data.faults import Unreachable
from nbtrack.data.timeout import network_timeout
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, JSONValue

__all__ = ["PASSWORD_ENV", "DoltTarget", "parse", "resolve"]

#: where the password comes from (Dolt's own CLI reads the same variable)
PASSWORD_ENV = "DOLT_PASSWORD"
DEFAULT_PORT = 3306
DEFAULT_USER = "root"

_URI = re.compile(
    r"^dolt://(?:(?P<user>[^:@/]+)(?::(?P<password>[^@/]*))?@)?"
    r"(?P<host>[^:@/]+)(?::(?P<port>[^/]*))?"
    r"/(?P<db>[^@/]+)(?:@(?P<ref>[^/]*))?(?:/(?P<table>[^/]*))?/?$"
)
#: a Dolt commit hash: 32 characters of base32 (0-9, a-v)
_COMMIT_HASH = re.compile(r"^[0-9a-v]{32}$")
_FORM = "dolt://[user@]host[:port]/database[@branch|@tag|@commit][/table]"

# MySQL error codes Dolt answers with (go-mysql-server keeps MySQL's numbers)
_ACCESS_DENIED = 1045
_BAD_DATABASE = 1049
_NO_SUCH_TABLE = 1146
#: PyMySQL's own codes for a server it could not reach or that went away
_CANNOT_CONNECT = {2003, 2006, 2013, 2055}


@dataclass(frozen=True)
class DoltTarget:
    """A ``dolt://`` URI taken apart (names percent-decoded: a branch ``a%2Fb`` is ``a/b``)."""

    host: str
    port: int
    user: str
    password: str | None
    database: str
    ref: str | None
    table: str | None


def parse(target: str) -> DoltTarget:
    """The parts of a ``dolt://`` URI, or ``UsageError`` naming what is wrong.

    >>> parse("dolt://localhost/mydb@main").port
    3306
    """
    match = _URI.match(target)
    if match is None:
        raise UsageError(f"cannot track data {mask_url(target)!r}: a Dolt URI reads {_FORM}.")
    port_text = match["port"]
    if port_text is not None and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        raise UsageError(
            f"cannot track data {mask_url(target)!r}: the port {port_text!r} is not a number"
            " from 1 to 65535."
        )
    for part in ("ref", "table"):
        if match[part] == "":
            raise UsageError(
                f"cannot track data {mask_url(target)!r}: the {part} after"
                f" {'@' if part == 'ref' else '/'} is empty; a Dolt URI reads {_FORM}."
            )
    return DoltTarget(
        host=match["host"],
        port=int(port_text) if port_text else DEFAULT_PORT,
        user=unquote(match["user"]) if match["user"] else DEFAULT_USER,
        password=unquote(match["password"]) if match["password"] is not None else None,
        database=unquote(match["db"]),
        ref=unquote(match["ref"]) if match["ref"] else None,
        table=unquote(match["table"]) if match["table"] else None,
    )


def resolve(target: str, *, version: str | int | None, root: Path) -> DataRef:
    """The commit a Dolt branch, tag or commit names now (*version*, if given, names it instead).

    ``UsageError`` for a malformed URI or a database, ref or table that does
    not exist; :class:`~nbtrack.data.refs.Unreachable` for a server that is
    down, slow or refuses the credentials, or PyMySQL not installed.
    """
    del root  # a URI is not relative to the project
    where = parse(target)
    shown = mask_url(target)
    try:
        import pymysql
    except ImportError:
        raise Unreachable(
            "PyMySQL is not installed, so Dolt cannot be asked: pip install 'nbtrack[dolt]'"
        ) from None
    ref = str(version) if version is not None else where.ref
    # seconds to connect and for each answer (NBTRACK_DATA_TIMEOUT): a slower
    # server is one that cannot answer now
    timeout = network_timeout()
    try:
        connection = pymysql.connect(
            host=where.host,
            port=where.port,
            user=where.user,
            password=where.password or os.environ.get(PASSWORD_ENV, ""),
            connect_timeout=timeout,
            read_timeout=timeout,
            write_timeout=timeout,
            charset="utf8mb4",
        )
    except pymysql.err.MySQLError as exc:
        raise _unreachable(where, exc) from None
    try:
        return _ask(connection, where, ref, shown)
    except pymysql.err.MySQLError as exc:
        code = exc.args[0] if exc.args else None
        if code == _BAD_DATABASE:
            raise UsageError(
                f"cannot track data {shown!r}: the Dolt server at {where.host}:{where.port}"
                f" has no database {where.database!r}."
            ) from None
        if code == _NO_SUCH_TABLE and where.table is not None:
            raise UsageError(
                f"cannot track data {shown!r}: database {where.database!r} has no table"
                f" {where.table!r} at {ref or 'its default branch'}."
            ) from None
        raise _unreachable(where, exc) from None
    finally:
        connection.close()


def _unreachable(where: DoltTarget, exc: Exception) -> Unreachable:
    code = exc.args[0] if exc.args else None
    server = f"the Dolt server at {where.host}:{where.port}"
    if code == _ACCESS_DENIED:
        return Unreachable(
            f"{server} refused user {where.user!r} (access denied): set {PASSWORD_ENV}"
        )
    if code in _CANNOT_CONNECT:
        return Unreachable(
            f"{server} cannot be reached (down, or no answer in {network_timeout():g} s)"
        )
    message = exc.args[1] if len(exc.args) > 1 else exc
    return Unreachable(f"{server} could not answer now: {message}")


def _rows(connection: Any, sql: str, *args: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def _ask(connection: Any, where: DoltTarget, ref: str | None, shown: str) -> DataRef:
    """The queries, on an open connection; the caller maps MySQL errors to ours."""
    connection.select_db(where.database)  # 1049 for a database that does not exist
    detail: dict[str, JSONValue] = {"database": where.database}
    if ref is None:
        (ref,) = _rows(connection, "SELECT ACTIVE_BRANCH()")[0]
        detail["default_branch"] = True
    detail["ref"] = ref
    commit = _commit_of(connection, ref, detail)
    found = _rows(
        connection,
        "SELECT commit_hash, committer, email, date FROM dolt_commits WHERE commit_hash = %s",
        commit or "",
    )
    if commit is None or not found:
        raise UsageError(
            f"cannot track data {shown!r}: database {where.database!r} has no branch, tag or"
            f" commit {ref!r}."
        )
    commit_hash, committer, email, date = found[0]
    detail.update(commit=commit_hash, committer=committer, email=email, date=_iso(date))
    if where.table is not None:
        # a revision database is read-only at that commit: the table as the run read it
        connection.select_db(f"{where.database}/{commit_hash}")
        detail["table"] = where.table
        (detail["table_hash"],) = _rows(connection, "SELECT DOLT_HASHOF_TABLE(%s)", where.table)[0]
    return DataRef(
        path=shown,
        kind="dolt",
        digest=f"dolt:{commit_hash}",
        size=None,
        detail=detail,
        logged_at=time.time(),
    )


def _commit_of(connection: Any, ref: str, detail: dict[str, JSONValue]) -> str | None:
    """The commit hash *ref* names, saying in *detail* whether it was a branch or a tag."""
    branch = _rows(connection, "SELECT hash FROM dolt_branches WHERE name = %s", ref)
    if branch:
        detail["ref_kind"] = "branch"
        return str(branch[0][0])
    tag = _rows(connection, "SELECT tag_hash FROM dolt_tags WHERE tag_name = %s", ref)
    if tag:
        detail["ref_kind"] = "tag"
        return str(tag[0][0])
    if _COMMIT_HASH.match(ref):
        detail["ref_kind"] = "commit"
        return ref
    return None


def _iso(value: Any) -> JSONValue:
    """A commit date as ISO 8601 UTC (Dolt's DATETIME columns are UTC)."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.isoformat()
    return None if value is None else str(value)
