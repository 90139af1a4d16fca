"""Alembic migrations for the run store, run from code (no alembic.ini).

For: creating a new store's tables and upgrading an older store, both through
:func:`upgrade`, which the store calls while holding its write lock.
:func:`stamp` restores the record of a store whose ``alembic_version``
table was lost (``_engine.detect_revision`` finds which revision to record).
Not for: the normal open path. Opening a store reads ``alembic_version``
directly and compares it with ``schema.HEAD``; Alembic is imported only here,
and only when something must be created or upgraded.

Adding a revision: write ``versions/NNNN_<what>.py`` (``down_revision`` = the
previous head), change ``schema.py`` to match, append the id to
``schema.REVISIONS``. ``tests/unit/store/test_migrations.py`` checks the three
agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

__all__ = ["alembic_config", "script_heads", "stamp", "upgrade"]

HERE = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at this directory, bound to *connection*."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def script_heads() -> tuple[str, ...]:
    """The head revision(s) of the migration scripts shipped with this nbtrack."""
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade(connection: Connection, target: str = "head", *, experiment: str | None = None) -> None:
    """Apply every migration up to *target* on *connection* (inside its transaction).

    *experiment* names the experiment that runs made before experiments
    existed are put in (revision 0005); None puts them in ``"default"``.
    """
    from alembic import command

    config = alembic_config(connection)
    config.attributes["experiment"] = experiment
    command.upgrade(config, target)


def stamp(connection: Connection, revision: str) -> None:
    """Record *revision* as the store's schema without running any migration."""
    from alembic import command

    command.stamp(alembic_config(connection), revision)
