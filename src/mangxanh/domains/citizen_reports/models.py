"""Citizens' reports: what they said, the links they named, their screenshots, and who is set aside."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User


class ReportState(StrEnum):
    DRAFT = "draft"  # being written, each answer saved as it is given
    SUBMITTED = "submitted"  # sent, or a draft left unfinished long enough to be taken as sent
    FILED = "filed"  # its links are items with cases, the report on them
    SET_ASIDE = "set_aside"  # kept but not filed: a set-aside reporter, or the form's trap for robots


class Outcome(StrEnum):
    """What staff tell the reporter came of the report (the reply), beside the stage the case shows."""

    NOT_VIOLATION = "not_violation"
    NOT_OURS = "not_ours"
    ACTION_REQUESTED = "action_requested"
    CONTENT_REMOVED = "content_removed"
    CLOSED = "closed"


class CitizenReport(Base):
    __tablename__ = "citizen_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the tracking code: the code itself is only ever in the reporter's hands.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=ReportState.DRAFT.value)
    channel: Mapped[str] = mapped_column(String(16), default="form")  # form or api
    choice: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Keyed digests (never the address or contact itself): distinct reporters are counted by
    # reporter_key (the contact if given, else the address); limits and set-asides by address_key.
    reporter_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    set_aside_reason: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(24))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redacted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The stage last told to the reporter by e-mail, so each change is told once.
    notified_stage: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    links: Mapped[list[ReportLink]] = relationship(back_populates="report", order_by="ReportLink.position",
                                                   cascade="all, delete-orphan")
    screenshots: Mapped[list[ReportScreenshot]] = relationship(order_by="ReportScreenshot.position",
                                                               cascade="all, delete-orphan")
    additions: Mapped[list[ReportAddition]] = relationship(order_by="ReportAddition.id", cascade="all, delete-orphan")
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])

    __table_args__ = (
        # The flood limits count an address's reports of the last hour; the sweep finds what to file.
        Index("ix_citizen_reports_address", "address_key", "created_at"),
        Index("ix_citizen_reports_state", "state", "updated_at"),
    )


class ReportLink(Base):
    """One link a report names; filed, it points at the item and the case it joined."""

    __tablename__ = "citizen_report_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    typed: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    identity: Mapped[str] = mapped_column(String(300))
    platform: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Why the content could not be fetched (an English msgid), when it could not.
    fetch_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[CitizenReport] = relationship(back_populates="links")

    __table_args__ = (
        UniqueConstraint("report_id", "position", name="uq_citizen_report_links_position"),
        # Reports of one link in the last hour (its flood limit), and a case's reports.
        Index("ix_citizen_report_links_identity", "identity", "created_at"),
        Index("ix_citizen_report_links_case", "case_id"),
        Index("ix_citizen_report_links_item", "item_id"),
    )


class ReportScreenshot(Base):
    """A screenshot as re-encoded on arrival (never the bytes uploaded)."""

    __tablename__ = "citizen_report_screenshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_reports.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("report_id", "position", name="uq_citizen_report_screenshots_position"),)


class ReportAddition(Base):
    """What a reporter added later by their tracking code (append-only, like everything they said)."""

    __tablename__ = "citizen_report_additions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("citizen_reports.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_citizen_report_additions_report", "report_id"),)


class SetAsideReporter(Base):
    """An address or contact whose reports are kept but not filed (abusive reporters); each addition audited."""

    __tablename__ = "set_aside_reporters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The same keyed digest as CitizenReport.address_key or .reporter_key.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    # The report whose reporter was set aside (staff never see the address or contact's digest).
    report_id: Mapped[int | None] = mapped_column(ForeignKey("citizen_reports.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
