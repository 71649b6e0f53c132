"""Staff accounts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.db import Base, UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    DISTRICT_OFFICER = "district_officer"
    # Reads cases and figures, decides nothing (an inspector, a trainee, the leadership's office).
    VIEWER = "viewer"
    # The education area's people: a teacher runs contests for their own classes; an education
    # officer (the department's or a district's) keeps the question bank, runs public contests,
    # reads the district roll-up and edits the e-billboards' messages. Neither sees cases.
    TEACHER = "teacher"
    EDUCATION_OFFICER = "education_officer"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32), default=Role.ANALYST.value)
    district: Mapped[str | None] = mapped_column(String(100))
    # Where notices go (overdue cases, for supervisors), when SMTP is configured.
    email: Mapped[str | None] = mapped_column(String(254))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout and password change: every cookie signed for an older epoch stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Refused without looking at the password, because of earlier failures.
    THROTTLED = "throttled"


class LoginAttempt(Base):
    """Every attempt to log in, kept as it happened (append-only): the throttle counts them, the audit reads them."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # As typed (lower-cased and cut), whether or not such an account exists.
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_login_attempts_username_created", "username", "created_at"),
        Index("ix_login_attempts_address_created", "address", "created_at"),
    )
