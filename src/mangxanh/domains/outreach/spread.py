"""What came of a correction, in the plan's terms: how long the rumour ran before the city answered, how many
partner pages shared the answer and how far it reached, and the rumour's copies before and after.

Read when asked, from what was ingested: a rumour's copies are the stored items on which the
false-information detector found this correction's claim; a partner's share is a post of a partner
page, published after the correction, that carries its text or links to it (core/trends/copies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.core.trends.copies import Message
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.outreach.models import PartnerPage, RumourAnswer
from mangxanh.domains.outreach.partners import PartnerView, partner_posts, partner_views


@dataclass(frozen=True, slots=True)
class Share:
    page: PartnerPage
    item: StoredItem

    @property
    def reach(self) -> int:
        return self.item.reactions + self.item.shares + self.item.comments


@dataclass(frozen=True, slots=True)
class Spread:
    first_copy_at: datetime | None
    corrected_at: datetime | None
    copies_before: int
    copies_after: int
    shares: list[Share] = field(default_factory=list)
    members: dict[int, int] = field(default_factory=dict)  # of each page that shared: its latest count

    @property
    def time_to_correction(self) -> timedelta | None:
        if self.first_copy_at is None or self.corrected_at is None:
            return None
        return self.corrected_at - self.first_copy_at

    @property
    def pages_shared(self) -> int:
        return len({s.page.id for s in self.shares})

    @property
    def reach(self) -> int:
        return sum(s.reach for s in self.shares)

    @property
    def members_reached(self) -> int:
        return sum(self.members.values())


def rumour_copies(session: Session, correction_id: str) -> list[datetime]:
    """When each stored copy of the rumour was published (or arrived), oldest first.

    The findings' parameters are JSON, read here rather than queried, the same on both databases: a
    city has thousands of false-information findings, not millions.
    """
    when = func.coalesce(StoredItem.published_at, StoredItem.fetched_at)
    seen: dict[int, datetime] = {}
    for item_id, params, at in session.execute(
            select(StoredFinding.item_id, StoredFinding.explanation_params, when)
            .join(StoredItem, StoredItem.id == StoredFinding.item_id)
            .where(StoredFinding.category == "FALSE_INFO")):
        if isinstance(params, dict) and params.get("id") == correction_id:
            seen[item_id] = at
    return sorted(seen.values())


def partner_shares(session: Session, answer: RumourAnswer, pages: Sequence[PartnerPage]) -> list[Share]:
    if answer.corrected_at is None:
        return []
    message = Message.of(answer.post, links=[answer.published_url, answer.source_url])
    return [Share(page, item) for page, item in partner_posts(session, pages, since=answer.corrected_at)
            if message.carried_by(item.text, url=item.url or "")]


def spread_of(session: Session, answer: RumourAnswer) -> Spread:
    copies = rumour_copies(session, answer.correction_id)
    corrected = answer.corrected_at
    views: list[PartnerView] = partner_views(session)
    shares = partner_shares(session, answer, [v.page for v in views])
    shared = {s.page.id for s in shares}
    return Spread(
        first_copy_at=copies[0] if copies else None, corrected_at=corrected,
        copies_before=sum(1 for at in copies if corrected is None or at < corrected),
        copies_after=sum(1 for at in copies if corrected is not None and at >= corrected),
        shares=shares, members={v.page.id: v.members for v in views if v.page.id in shared and v.members})
