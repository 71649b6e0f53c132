"""What the education area stores: a checked draft, only when its writer agreed to share it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.db import Base, UTCDateTime, utcnow


class SharedDraft(Base):
    """A draft a writer chose to share after checking it, to help the team improve the checker.

    No address, account or cookie is kept with it: the text and what the checker read in it.
    """

    __tablename__ = "shared_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    risk: Mapped[str] = mapped_column(String(8))
    categories: Mapped[list[str]] = mapped_column(JSON)
    checker_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
