"""Items of content and what the detectors found in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.core.analysis.types import Finding
from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.sources.models import Source


class StoredItem(Base):
    """An item as stored. ``natural_key`` (platform + external id) makes ingestion idempotent."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey(Source.id))
    # Unique and known before the insert, so it also tells SQLAlchemy which id belongs to which row
    # of a multi-row INSERT (SQLite cannot promise RETURNING's order); no effect on the schema.
    natural_key: Mapped[str] = mapped_column(String(300), unique=True, insert_sentinel=True)
    platform: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="post")
    parent_external_id: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(300))
    author_handle: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reactions: Mapped[int] = mapped_column(Integer, default=0)
    shares: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    author_followers: Mapped[int] = mapped_column(Integer, default=0)
    # The record as the source sent it is kept with each capture (domains.evidence), not here.
    content_hash: Mapped[str] = mapped_column(String(64))
    # Near-duplicate cluster (campaign) the text belongs to; the same id on every copy.
    cluster_id: Mapped[str | None] = mapped_column(String(64))
    analysed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Distinct citizens who reported the item (the rules read it as citizen_reports).
    citizen_reports: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    findings: Mapped[list[StoredFinding]] = relationship(back_populates="item", order_by="StoredFinding.id")

    __table_args__ = (
        Index("ix_items_published_at", "published_at"), Index("ix_items_cluster_id", "cluster_id"),
        # A case's related cases: the same link, the same author on the same platform. A link may be
        # longer than a B-tree entry allows on PostgreSQL: there it is hashed.
        Index("ix_items_url", "url", postgresql_using="hash"),
        Index("ix_items_author", "platform", "author_handle"),
    )

    @property
    def reach(self) -> int:
        return self.reactions + self.shares + self.comments


class StoredFinding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    # The capture whose text the spans are offsets into.
    capture_id: Mapped[int] = mapped_column(ForeignKey("captures.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    category: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    spans: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    detector: Mapped[str] = mapped_column(String(64))
    detector_version: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[str] = mapped_column(Text, default="")
    explanation_params: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[StoredItem] = relationship(back_populates="findings")
    capture: Mapped[Capture] = relationship()

    def as_finding(self) -> Finding:
        """The finding as the rules engine takes it, to judge a stored item again."""
        return Finding(category=self.category, score=self.score, spans=tuple((s, e) for s, e in self.spans),
                       detector=self.detector, detector_version=self.detector_version,
                       explanation=self.explanation, explanation_params=self.explanation_params)

    __table_args__ = (
        UniqueConstraint("capture_id", "detector", "detector_version", "category", name="uq_findings_capture_detector"),
        Index("ix_findings_item_id", "item_id"),
        Index("ix_findings_case_id", "case_id"),
    )
