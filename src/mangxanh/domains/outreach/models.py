"""Saved versions of the registries the detectors read, the scans of stored items for new corrections, and the
trends' counts.

Versions are append-only, as the rules' are: going back means saving an older text again.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User


class RegistryVersion(Base):
    __tablename__ = "registry_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_name: Mapped[str] = mapped_column(String(32))  # "agencies" or "corrections"
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_registry_versions_registry_name", "registry_name", "id"),)


class ScanStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CorrectionScan(Base):
    """The stored items read for the corrections a saved version added or changed, and what was found.

    Written with the version, in its transaction, so that no saved correction goes unmatched: a
    scan left pending or cut off by a stopped process is taken up again by the next tick.
    """

    __tablename__ = "correction_scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey(RegistryVersion.id))
    corrections: Mapped[list[str]] = mapped_column(JSON)  # the ids of the corrections to look for
    status: Mapped[str] = mapped_column(String(16), default=ScanStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scanned: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    cases_opened: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    version: Mapped[RegistryVersion] = relationship()

    __table_args__ = (Index("ix_correction_scans_status", "status"),)


class TrendCount(Base):
    """How many items carried a term on a day (Vietnam's day) on a platform, kept as items arrive."""

    __tablename__ = "trend_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    term: Mapped[str] = mapped_column(String(80), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)
    # Of them: with a finding over the case threshold (any category but false information), and false.
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    false_info: Mapped[int] = mapped_column(Integer, default=0)
    reach: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ix_trend_counts_term_day", "term", "day"),)


class TrendDay(Base):
    """How many items arrived for a day on a platform: what a term's count is compared with."""

    __tablename__ = "trend_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    items: Mapped[int] = mapped_column(Integer, default=0)


class TrendTerm(Base):
    """A term's label: the first spelling seen with its accents ("thu phí" for the key "thu phi")."""

    __tablename__ = "trend_terms"

    term: Mapped[str] = mapped_column(String(80), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    first_day: Mapped[date] = mapped_column(Date)
