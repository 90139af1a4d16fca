"""Alembic environment: always runs online, on the connection nbtrack hands in."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("nbtrack runs its migrations itself: use `nbtrack db upgrade`.")

context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
