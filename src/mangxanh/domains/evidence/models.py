"""Captures: what was seen of an item at one moment, written once (append-only in the database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mangxanh.core.evidence import capture_document, capture_intact
from mangxanh.db import Base, UTCDateTime


class Capture(Base):
    """One version of an item's content. An edit of the item is a new capture, never a change of this row.

    ``sha256`` is the digest of the canonical document (core.evidence); the findings made on this
    text and the decisions taken on it point here, so their spans always match the text shown.
    """

    __tablename__ = "captures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per item
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    text: Mapped[str] = mapped_column(Text)
    # The page's HTML as fetched, where a page was (web pages); bytes, exactly as they came.
    html: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    html_sha256: Mapped[str | None] = mapped_column(String(64))
    # The item's metadata and the record as its source sent it.
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    process: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("item_id", "seq", name="uq_captures_item_seq"),)

    def document(self) -> dict[str, Any]:
        return capture_document(text=self.text, html_sha256=self.html_sha256, meta=self.meta,
                                captured_at=self.captured_at, process=self.process)

    def intact(self) -> bool:
        """Whether the row still hashes to the digest it was written with (and its HTML to its own)."""
        return capture_intact(text=self.text, html=self.html, html_sha256=self.html_sha256, meta=self.meta,
                              captured_at=self.captured_at, process=self.process, sha256=self.sha256)
