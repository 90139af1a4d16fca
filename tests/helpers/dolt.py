"""A stand-in Dolt SQL server for the tests: the MySQL protocol, Dolt's documented answers.

No Dolt binary can be had from PyPI, Debian or npm, so the tests of
``nbtrack.data.dolt`` run against this: ``mysql-mimic`` speaks the MySQL wire
protocol on a free loopback port, checks the user and password
(``mysql_native_password``, as Dolt's SQL server does), and answers exactly
the statements the resolver sends, with the result shapes of Dolt's
documentation (docs.dolthub.com, "Dolt System Tables" and "Dolt SQL
Functions"):

* ``USE db`` / COM_INIT_DB: error 1049 for a database that does not exist;
  ``db/<commit>`` is a read-only revision database;
* ``SELECT ACTIVE_BRANCH()``;
* ``SELECT hash FROM dolt_branches WHERE name = ?``;
* ``SELECT tag_hash FROM dolt_tags WHERE tag_name = ?``;
* ``SELECT commit_hash, committer, email, date FROM dolt_commits WHERE commit_hash = ?``;
* ``SELECT DOLT_HASHOF_TABLE(?)`` in a revision database: error 1146 for a
  table that does not exist there.

Any other statement is an error, so a resolver that starts sending
something Dolt was not checked for fails its tests.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mysql_mimic import IdentityProvider, MysqlServer, NativePasswordAuthPlugin, Session, User
from mysql_mimic.errors import MysqlError
from sqlglot import exp

__all__ = ["DoltCommit", "DoltDatabase", "DoltStandIn"]

BAD_DATABASE = 1049
NO_SUCH_TABLE = 1146


@dataclass(frozen=True)
class DoltCommit:
    hash: str
    committer: str
    email: str
    date: datetime
    #: table name -> DOLT_HASHOF_TABLE at this commit
    tables: dict[str, str] = field(default_factory=dict)


@dataclass
class DoltDatabase:
    commits: dict[str, DoltCommit]
    branches: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    default_branch: str = "main"


class _Identity(IdentityProvider):  # type: ignore[misc]
    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.auth_string = NativePasswordAuthPlugin.create_auth_string(password)

    async def get_user(self, username: str) -> User | None:
        if username != self.user:
            return None
        return User(
            name=username, auth_string=self.auth_string, auth_plugin=NativePasswordAuthPlugin.name
        )


def _where_value(expression: exp.Expression) -> str:
    eq = expression.find(exp.EQ)
    if eq is None or not isinstance(eq.expression, exp.Literal):
        raise MysqlError("stand-in: expected WHERE column = 'literal'")
    return str(eq.expression.this)


class _DoltSession(Session):  # type: ignore[misc]
    def __init__(self, server: DoltStandIn) -> None:
        super().__init__()
        self.server = server
        # mysql-mimic answers a SELECT without a table itself (sqlglot's executor),
        # which knows no Dolt function: those are this stand-in's to answer
        self.middlewares.remove(self._static_query_middleware)

    def _db(self) -> tuple[DoltDatabase, DoltCommit | None]:
        name = self.database or ""
        base, _, revision = name.partition("/")
        database = self.server.databases.get(base)
        if database is None:
            raise MysqlError(f"database not found: {name}", code=BAD_DATABASE)
        return database, database.commits.get(revision) if revision else None

    async def use(self, database: str) -> None:
        base, _, revision = database.partition("/")
        known = self.server.databases.get(base)
        if known is None or (revision and revision not in known.commits):
            raise MysqlError(f"database not found: {database}", code=BAD_DATABASE)
        self.database = database

    async def query(self, expression: exp.Expression, sql: str, attrs: dict[str, str]) -> Any:
        self.server.statements.append(sql)
        database, revision = self._db()
        table = expression.find(exp.Table)
        function = expression.find(exp.Anonymous)
        if table is None and function is not None:
            name = function.name.upper()
            if name == "ACTIVE_BRANCH" and not function.expressions:
                return [(database.default_branch,)], ["active_branch()"]
            if name == "DOLT_HASHOF_TABLE" and len(function.expressions) == 1:
                at = revision or database.commits[database.branches[database.default_branch]]
                wanted = str(function.expressions[0].this)
                if wanted not in at.tables:
                    raise MysqlError(f"table not found: {wanted}", code=NO_SUCH_TABLE)
                return [(at.tables[wanted],)], [f"dolt_hashof_table('{wanted}')"]
        if table is not None and table.name == "dolt_branches":
            branch = _where_value(expression)
            hashes = [database.branches[branch]] if branch in database.branches else []
            return [(h,) for h in hashes], ["hash"]
        if table is not None and table.name == "dolt_tags":
            tag = _where_value(expression)
            hashes = [database.tags[tag]] if tag in database.tags else []
            return [(h,) for h in hashes], ["tag_hash"]
        if table is not None and table.name == "dolt_commits":
            commit = database.commits.get(_where_value(expression))
            rows = [(commit.hash, commit.committer, commit.email, commit.date)] if commit else []
            return rows, ["commit_hash", "committer", "email", "date"]
        raise MysqlError(f"stand-in Dolt does not answer: {sql}")


class DoltStandIn:
    """The stand-in server on a free loopback port, in a thread of its own.

    ``statements`` lists every SQL statement it was sent, in order.
    """

    def __init__(
        self, databases: dict[str, DoltDatabase], *, user: str = "root", password: str = ""
    ) -> None:
        self.databases = databases
        self.statements: list[str] = []
        self._server = MysqlServer(
            session_factory=lambda: _DoltSession(self),
            identity_provider=_Identity(user, password),
        )
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> DoltStandIn:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self._thread.start()
        asyncio.run_coroutine_threadsafe(
            self._server.start_server(sock=listener, port=None), self._loop
        ).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving (a second call does nothing): the port then refuses connections."""
        if self._loop.is_closed():
            return

        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
