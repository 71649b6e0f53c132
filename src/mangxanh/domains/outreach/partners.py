"""The partner pages: groups and fanpages that agreed to spread the city's content, their agreements, their
member counts over time, and the posts of theirs that were ingested."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from mangxanh.core.analysis.detectors.channels import handle_from_url
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.outreach.models import PartnerMembers, PartnerPage
from mangxanh.domains.sources.models import Source
from mangxanh.errors import Conflict, InvalidInput, NotFound

PLATFORMS = ("facebook", "zalo", "tiktok", "youtube", "web")
MAX_MEMBERS = 1_000_000_000
# Decision 3550/QĐ-UBND: partner groups and fanpages of at least 50,000 members.
PLAN_MEMBERS = 50_000


@dataclass(frozen=True, slots=True)
class PartnerDetails:
    """What a form says of a partner page, before it is checked."""

    name: str
    platform: str
    url: str
    handle: str = ""
    source_id: int | None = None
    contact: str = ""
    agreement_from: date | None = None
    agreement_to: date | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class PartnerView:
    page: PartnerPage
    members: int | None  # the latest count noted
    counted_on: date | None

    def active_on(self, day: date) -> bool:
        """Whether its agreement runs on the day."""
        return self.page.agreement_from <= day and (self.page.agreement_to is None or day <= self.page.agreement_to)


def _checked(session: Session, details: PartnerDetails) -> PartnerDetails:
    name = " ".join(details.name.split())[:200]
    url = details.url.strip()
    if not name:
        raise InvalidInput("Give the partner page's name.")
    if details.platform not in PLATFORMS:
        raise InvalidInput("Unknown platform: {platform}.", platform=details.platform[:40])
    if not url.startswith("https://") or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidInput("The page's address must be an https:// address of at most 500 characters.")
    if details.agreement_from is None:
        raise InvalidInput("Give the day the agreement starts.")
    if details.agreement_to is not None and details.agreement_to < details.agreement_from:
        raise InvalidInput("The agreement cannot end before it starts.")
    if details.source_id is not None:
        source = session.get(Source, details.source_id)
        if source is None or source.deleted_at is not None:
            raise InvalidInput("No source with number {id}.", id=details.source_id)
    handle = (details.handle.strip().lstrip("@") or handle_from_url(url)).lower()[:200]
    return PartnerDetails(name=name, platform=details.platform, url=url, handle=handle, source_id=details.source_id,
                          contact=" ".join(details.contact.split())[:300], agreement_from=details.agreement_from,
                          agreement_to=details.agreement_to, note=details.note.strip()[:2000])


def save_partner(session: Session, *, user: User | None, details: PartnerDetails, page_id: int | None = None
                 ) -> PartnerPage:
    """Add a partner page, or change one (``page_id``); the audit log records who did and what it says now."""
    checked = _checked(session, details)
    clash = session.scalar(select(PartnerPage.id).where(PartnerPage.name == checked.name))
    if clash is not None and clash != page_id:
        raise Conflict("A partner page named “{name}” is already registered.", name=checked.name)
    page = PartnerPage() if page_id is None else get_partner(session, page_id)
    for field in ("name", "platform", "url", "handle", "source_id", "contact", "agreement_from", "agreement_to",
                  "note"):
        setattr(page, field, getattr(checked, field))
    page.updated_at = utcnow()
    try:
        with session.begin_nested():  # another member of staff may register the same name at the same time
            session.add(page)
            session.flush()
    except IntegrityError:
        raise Conflict("A partner page named “{name}” is already registered.", name=checked.name) from None
    record_audit(session, kind=AuditKind.PARTNER_CHANGED, stream=SYSTEM_STREAM, actor=user,
                 subject=f"partner:{page.id}", data={"name": page.name, "url": page.url, "created": page_id is None,
                                                     "agreement": [str(page.agreement_from), str(page.agreement_to)]})
    return page


def record_members(session: Session, *, user: User | None, page_id: int, counted_on: date, members: int,
                   today: date | None = None) -> PartnerMembers:
    page = get_partner(session, page_id)
    if not 0 <= members <= MAX_MEMBERS:
        raise InvalidInput("The member count must be a whole number from 0 to {n}.", n=MAX_MEMBERS)
    if counted_on > (today or date.today()):
        raise InvalidInput("The count cannot be dated in the future.")
    row = PartnerMembers(page_id=page.id, counted_on=counted_on, members=members,
                         recorded_by_id=user.id if user else None)
    session.add(row)
    session.flush()
    record_audit(session, kind=AuditKind.PARTNER_CHANGED, stream=SYSTEM_STREAM, actor=user,
                 subject=f"partner:{page.id}", data={"members": members, "counted_on": str(counted_on)})
    return row


def get_partner(session: Session, page_id: int) -> PartnerPage:
    page = session.get(PartnerPage, page_id)
    if page is None:
        raise NotFound("No partner page with number {id}.", id=page_id)
    return page


def member_history(session: Session, page_id: int) -> list[PartnerMembers]:
    """The counts noted, oldest first; two on one day: the later noted stands."""
    return list(session.scalars(select(PartnerMembers).where(PartnerMembers.page_id == page_id)
                                .order_by(PartnerMembers.counted_on, PartnerMembers.id)))


def partner_views(session: Session, page_ids: Sequence[int] | None = None) -> list[PartnerView]:
    """The partner pages by name, each with its latest member count."""
    query = select(PartnerPage).order_by(PartnerPage.name)
    if page_ids is not None:
        query = query.where(PartnerPage.id.in_(page_ids))
    pages = list(session.scalars(query))
    latest: dict[int, tuple[date, int]] = {}
    for page_id, counted_on, members in session.execute(
            select(PartnerMembers.page_id, PartnerMembers.counted_on, PartnerMembers.members)
            .where(PartnerMembers.page_id.in_([p.id for p in pages]))
            .order_by(PartnerMembers.counted_on, PartnerMembers.id)):
        latest[page_id] = (counted_on, members)
    return [PartnerView(p, latest.get(p.id, (None, None))[1], latest.get(p.id, (None, None))[0]) for p in pages]


def partner_posts(session: Session, pages: Sequence[PartnerPage], *, since: datetime, until: datetime | None = None,
                  limit: int = 20_000) -> list[tuple[PartnerPage, StoredItem]]:
    """The ingested posts of the pages published in the window, each with its page, oldest first.

    A post is a page's when it came in through the page's own source, or when a platform export names
    the page as its author (platform and handle).
    """
    by_source = {p.source_id: p for p in pages if p.source_id is not None}
    by_handle = {(p.platform, p.handle): p for p in pages if p.handle}
    if not by_source and not by_handle:
        return []
    published = func.coalesce(StoredItem.published_at, StoredItem.fetched_at)
    conditions: list[ColumnElement[bool]] = [StoredItem.source_id.in_(by_source)] if by_source else []
    conditions += [and_(StoredItem.platform == platform, func.lower(StoredItem.author_handle) == handle)
                   for platform, handle in by_handle]
    query = select(StoredItem).where(or_(*conditions), published >= since)
    if until is not None:
        query = query.where(published < until)
    out = []
    for item in session.scalars(query.order_by(published, StoredItem.id).limit(limit)):
        page = by_source.get(item.source_id) or by_handle.get((item.platform, (item.author_handle or "").lower()))
        if page is not None:
            out.append((page, item))
    return out
