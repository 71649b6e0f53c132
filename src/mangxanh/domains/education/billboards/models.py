"""What the e-billboards store: the screens, and the messages they play."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.education.billboards.schedule import Schedule


class Orientation(StrEnum):
    LANDSCAPE = "landscape"  # 1920×1080
    PORTRAIT = "portrait"  # 1080×1920


class Theme(StrEnum):
    """The colours a message may take: a fixed set, each legible from across a lobby."""

    GREEN = "green"  # the platform's own: general advice
    BLUE = "blue"  # information, where to find help
    AMBER = "amber"  # a warning: a scam going round
    RED = "red"  # an alert: danger to children, an emergency number


class BillboardScreen(Base):
    """A playlist shared by the displays that open its address (``/bang-tin/{code}``)."""

    __tablename__ = "billboard_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    # In the address the displays were set up with: it never changes once created.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(200), default="")
    orientation: Mapped[str] = mapped_column(String(12), default=Orientation.LANDSCAPE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BillboardMessage(Base):
    """A short awareness message, its validity period, daily schedule and target screens.

    ``screen_codes`` empty means every screen. Withdrawn messages are kept (who said what, when).
    """

    __tablename__ = "billboard_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(120))
    theme: Mapped[str] = mapped_column(String(16), default=Theme.GREEN.value)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    daily_from: Mapped[time | None] = mapped_column(Time)
    daily_until: Mapped[time | None] = mapped_column(Time)
    screen_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    seconds: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey(User.id))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def schedule(self) -> Schedule:
        return Schedule(frozenset(self.weekdays or ()), self.daily_from, self.daily_until)

    def targets(self, screen_code: str) -> bool:
        return not self.screen_codes or screen_code in self.screen_codes

