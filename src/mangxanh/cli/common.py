"""What every command shares: the root app, settings and clear failures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings, load_settings

if TYPE_CHECKING:
    from mangxanh.core.items import Refusal

app = typer.Typer(help="Mạng Xanh: monitoring, case handling and reporting.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


def settings() -> Settings:
    return load_settings()


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def open_database(current: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """The configured database, refusing one that misses migrations."""
    from mangxanh.db import make_engine, make_session_factory
    from mangxanh.migrate import require_current

    require_current(current.effective_database_url)
    engine = make_engine(current.effective_database_url)
    return engine, make_session_factory(engine, audit_key=current.effective_audit_key())


def print_refusals(path: Path, refusals: Sequence[Refusal], shown: int = 50) -> None:
    """Each refused line with its number and reason (in English, as the command line answers)."""
    for refusal in refusals[:shown]:
        typer.echo(f"{path}:{refusal.position}: skipped: {refusal.message()}", err=True)
    if len(refusals) > shown:
        typer.echo(f"... and {len(refusals) - shown} more lines skipped", err=True)
