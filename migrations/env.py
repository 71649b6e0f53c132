"""Alembic environment: the URL comes from the caller (CLI, tests) or from the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mangxanh.config import get_settings
from mangxanh.db import make_engine
from mangxanh.domains.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("url") or get_settings().effective_database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `mangxanh db upgrade`.")
run_migrations_online()
