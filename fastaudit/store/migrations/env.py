"""Alembic's entry point for the audit store: always given an open connection by
`fastaudit.store.db` (never a URL from an ini file), so a migration runs in the same
transaction and lock as the check that asked for it."""

from __future__ import annotations

from alembic import context

from fastaudit.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
