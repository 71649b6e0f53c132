"""Saved versions of the registries the detectors read, the scans of stored items for new corrections, the
trends' counts, the partner pages, the answers to rumours and the positive-content campaigns.

Versions are append-only, as the rules' are: going back means saving an older text again.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mangxanh.db import Base, UTCDateTime, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.cases.models import Case
from mangxanh.domains.sources.models import Source


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


class PartnerPage(Base):
    """A group or fanpage that agreed to spread the city's positive content (Decision 3550/QĐ-UBND, 2022).

    Its posts are found by the source its feed or export comes in through, or by its platform and
    handle in any source (a platform export names the page that posted).
    """

    __tablename__ = "partner_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    handle: Mapped[str] = mapped_column(String(200), default="")  # lower case, as items carry it
    source_id: Mapped[int | None] = mapped_column(ForeignKey(Source.id))
    contact: Mapped[str] = mapped_column(String(300), default="")
    agreement_from: Mapped[date] = mapped_column(Date)
    agreement_to: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    source: Mapped[Source | None] = relationship()


class PartnerMembers(Base):
    """A page's member (or follower) count on a day, as the department noted it: the history is kept."""

    __tablename__ = "partner_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey(PartnerPage.id))
    counted_on: Mapped[date] = mapped_column(Date)
    members: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_partner_members_page_id", "page_id", "counted_on"),)


class RumourAnswer(Base):
    """The department's answer to a rumour: a correction post for its official channels and a notice asking
    the partner pages to share it, each an outward action on the case (drafted, approved by a
    supervisor, then published or sent)."""

    __tablename__ = "rumour_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey(Case.id))
    correction_id: Mapped[str] = mapped_column(String(80))  # the official correction it rests on (registry id)
    topic: Mapped[str] = mapped_column(String(80), default="")  # the trend's term it was drafted from, if any
    post: Mapped[str] = mapped_column(Text)
    notice: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str] = mapped_column(Text)
    publish_action_id: Mapped[int] = mapped_column(ForeignKey(OutwardAction.id))
    notice_action_id: Mapped[int | None] = mapped_column(ForeignKey(OutwardAction.id))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_url: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    publish_action: Mapped[OutwardAction] = relationship(foreign_keys=[publish_action_id])

    @property
    def corrected_at(self) -> datetime | None:
        """When the correction went out: as recorded here, or when its action was marked sent on the case."""
        return self.published_at or self.publish_action.sent_at
    notice_action: Mapped[OutwardAction | None] = relationship(foreign_keys=[notice_action_id])

    __table_args__ = (Index("ix_rumour_answers_case_id", "case_id"),)


class Campaign(Base):
    """A positive-content campaign: its messages, the partner pages asked to post them, and its period."""

    __tablename__ = "outreach_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # Each message: {"text": …, "image_url": …, "hashtags": ["#…"]}.
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey(User.id))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    targets: Mapped[list[CampaignTarget]] = relationship(cascade="all, delete-orphan")


class CampaignTarget(Base):
    __tablename__ = "outreach_campaign_targets"

    campaign_id: Mapped[int] = mapped_column(ForeignKey(Campaign.id), primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey(PartnerPage.id), primary_key=True)

    page: Mapped[PartnerPage] = relationship()
