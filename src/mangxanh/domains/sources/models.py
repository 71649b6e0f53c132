"""Where content comes from: sources, their runs, and the API tokens partners push with."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User


class SourceKind(StrEnum):
    RSS = "rss"
    WEB = "web"
    CSV_EXPORT = "csv_export"
    JSONL_EXPORT = "jsonl_export"
    API = "api"
    DEMO = "demo"
    CITIZEN = "citizen"  # what citizens reported that was not stored before


# Kinds the scheduler fetches on their interval; the others receive files or pushes.
PULLED_KINDS = frozenset({SourceKind.RSS, SourceKind.WEB})


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    # Connector state and options: ETag / Last-Modified of a feed, a CSV layout.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Paused sources keep their items and history but are not fetched and refuse pushes.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    interval_s: Mapped[int] = mapped_column(Integer, default=3600)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last failure as an English msgid and its parameters, shown translated in the console.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # Deleting keeps the row: stored items and case evidence still point at it.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SourceRun(Base):
    """One fetch or import of a source and what it brought in."""

    __tablename__ = "source_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # ok, not_modified, failed
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_source_runs_source_started", "source_id", "started_at"),)


class ApiToken(Base):
    """A partner's token for the push API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
