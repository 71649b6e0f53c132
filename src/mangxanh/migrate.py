"""Run the Alembic migrations from code (the CLI and the tests use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mangxanh.db import make_engine
from mangxanh.errors import ConfigurationError

# migrations/ lives at the repository root, beside src/ (the project installs editable).
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _config(url: str) -> Config:
    if not MIGRATIONS.is_dir():
        raise ConfigurationError("Migrations folder not found at {path}", path=str(MIGRATIONS))
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(_config(url), revision)


def require_current(url: str) -> None:
    """Stop with a clear message when the database is missing migrations."""
    head = ScriptDirectory.from_config(_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    if current != head:
        raise ConfigurationError(
            "The database is at revision {current}, the code needs {head}: run `mangxanh db upgrade`.",
            current=current or "none", head=head or "none",
        )
