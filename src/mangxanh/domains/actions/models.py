"""Outward actions, the official letters that carry them, and the re-checks of what they asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases.models import Case
from mangxanh.domains.sources.models import Source


class Letter(Base):
    """An official letter as issued: its number, what it said, and the DOCX and PDF exactly as sent.

    Append-only (database triggers): a letter that went out is never regenerated or changed; its
    files' SHA-256 are also in the history of every case it covers.
    """

    __tablename__ = "letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    docx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    docx_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("year", "seq", name="uq_letters_year_seq"),)


class OutwardAction(Base):
    """What the department asked of whom on a case, and what became of it."""

    __tablename__ = "outward_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(Case.id))
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(300))
    # A partner platform with an API token answers the requests addressed to it through the API.
    recipient_source_id: Mapped[int | None] = mapped_column(ForeignKey(Source.id))
    deadline_hours: Mapped[int] = mapped_column(Integer, default=24)
    note: Mapped[str] = mapped_column(Text, default="")
    # Kind-specific facts: a fine's decision number, amount in VND, who was fined, whether it was paid.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    letter_id: Mapped[int | None] = mapped_column(ForeignKey(Letter.id))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship()
    letter: Mapped[Letter | None] = relationship()
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it as is
    __table_args__ = (
        Index("ix_outward_actions_case_id", "case_id"),
        Index("ix_outward_actions_state_due", "state", "due_at"),
        Index("ix_outward_actions_recipient_source", "recipient_source_id", "state"),
    )


class ActionCheck(Base):
    """A fetch of the content an action asked to remove: removed, still there, or unreachable. Append-only."""

    __tablename__ = "action_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey(OutwardAction.id))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))

    __table_args__ = (Index("ix_action_checks_action_id", "action_id", "checked_at"),)
