"""Positive-content campaigns: messages for the partner pages to post in a period, which of them posted each
and when (matched in their ingested posts), and how far it reached: the page and the workbook for the
department's monthly report."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mangxanh.core.sheets import cell_text
from mangxanh.core.trends.copies import Message
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.outreach.models import Campaign, CampaignTarget, PartnerPage
from mangxanh.domains.outreach.partners import partner_posts, partner_views
from mangxanh.errors import InvalidInput, NotFound
from mangxanh.i18n import LOCAL_TZ

MAX_MESSAGES = 10
MAX_MESSAGE_CHARS = 2_000
MAX_DAYS = 366
_TAG = re.compile(r"#\w{2,60}")


@dataclass(frozen=True, slots=True)
class MessageDraft:
    text: str
    image_url: str = ""
    hashtags: str = ""  # as typed: "#HàNộiAnToàn #SốngĐẹp"


def _message(draft: MessageDraft, number: int) -> dict[str, object] | None:
    text, image = draft.text.replace("\r\n", "\n").strip(), draft.image_url.strip()
    if not text and not image and not draft.hashtags.strip():
        return None
    if not text:
        raise InvalidInput("Message {n}: write its text.", n=number)
    if len(text) > MAX_MESSAGE_CHARS:
        raise InvalidInput("Message {n} is longer than {max} characters.", n=number, max=MAX_MESSAGE_CHARS)
    if image and (not image.startswith("https://") or len(image) > 500 or any(c.isspace() for c in image)):
        raise InvalidInput("Message {n}: the image link must be an https:// address.", n=number)
    words = draft.hashtags.split()
    tags = [w for w in words if _TAG.fullmatch(w)]
    if len(tags) != len(words):
        raise InvalidInput("Message {n}: hashtags are words starting with # (for example #HàNộiAnToàn).", n=number)
    return {"text": text, "image_url": image, "hashtags": list(dict.fromkeys(tags))}


def create_campaign(session: Session, *, user: User | None, title: str, messages: Sequence[MessageDraft],
                    starts_on: date, ends_on: date, page_ids: Sequence[int]) -> Campaign:
    title = " ".join(title.split())[:200]
    if not title:
        raise InvalidInput("Give the campaign a title.")
    kept = [m for m in (_message(d, n) for n, d in enumerate(messages[:MAX_MESSAGES], start=1)) if m]
    if not kept:
        raise InvalidInput("A campaign has at least one message.")
    if ends_on < starts_on or (ends_on - starts_on).days >= MAX_DAYS:
        raise InvalidInput("The period must end on or after its first day and last at most {n} days.", n=MAX_DAYS)
    ids = list(dict.fromkeys(page_ids))
    found = set(session.scalars(select(PartnerPage.id).where(PartnerPage.id.in_(ids))))
    if not ids or found != set(ids):
        raise InvalidInput("Choose the partner pages the campaign is for, among those registered.")
    campaign = Campaign(title=title, messages=kept, starts_on=starts_on, ends_on=ends_on,
                        created_by_id=user.id if user else None,
                        targets=[CampaignTarget(page_id=page_id) for page_id in ids])
    session.add(campaign)
    session.flush()
    record_audit(session, kind=AuditKind.CAMPAIGN_CREATED, stream=SYSTEM_STREAM, actor=user,
                 subject=f"campaign:{campaign.id}", data={"title": title, "pages": ids, "messages": len(kept)})
    return campaign


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.id == campaign_id)
                              .options(selectinload(Campaign.targets).joinedload(CampaignTarget.page)))
    if campaign is None:
        raise NotFound("No campaign with number {id}.", id=campaign_id)
    return campaign


def campaigns(session: Session) -> list[Campaign]:
    return list(session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())))


@dataclass(frozen=True, slots=True)
class Posted:
    message: int  # its index in the campaign's messages
    item: StoredItem

    @property
    def reach(self) -> int:
        return self.item.reactions + self.item.shares + self.item.comments


@dataclass
class PartnerResult:
    page: PartnerPage
    members: int | None
    posts: list[Posted] = field(default_factory=list)

    @property
    def first_posted(self) -> datetime | None:
        return min((p.item.published_at or p.item.fetched_at for p in self.posts), default=None)

    @property
    def reach(self) -> int:
        return sum(p.reach for p in self.posts)


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: Campaign
    partners: list[PartnerResult]

    @property
    def posted(self) -> int:
        return sum(1 for p in self.partners if p.posts)

    @property
    def reach(self) -> int:
        return sum(p.reach for p in self.partners)


def campaign_report(session: Session, campaign: Campaign) -> CampaignReport:
    """Each target page with the posts of its, published in the period, that carry one of the messages."""
    views = partner_views(session, [t.page_id for t in campaign.targets])
    messages = [Message.of(str(m["text"]), links=[str(m.get("image_url") or "")], tags=list(m.get("hashtags") or []))
                for m in campaign.messages]
    since = datetime.combine(campaign.starts_on, time(), LOCAL_TZ)
    until = datetime.combine(campaign.ends_on + timedelta(days=1), time(), LOCAL_TZ)
    results = {v.page.id: PartnerResult(v.page, v.members) for v in views}
    for page, item in partner_posts(session, [v.page for v in views], since=since, until=until):
        for index, message in enumerate(messages):
            if message.carried_by(item.text, url=item.url or ""):
                results[page.id].posts.append(Posted(index, item))
                break
    return CampaignReport(campaign, sorted(results.values(), key=lambda r: (-r.reach, r.page.name)))


def campaign_xlsx(report: CampaignReport, *, gettext: Callable[[str], str]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    _ = gettext
    campaign = report.campaign
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Partners")[:31]
    sheet.append([cell_text(campaign.title)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Period"), f"{campaign.starts_on:%d/%m/%Y} – {campaign.ends_on:%d/%m/%Y}"])
    sheet.append([_("Partner page"), _("Platform"), _("Members"), _("Posts of the campaign"), _("First posted"),
                  _("Reach (reactions, shares, comments)")])
    for result in report.partners:
        first = result.first_posted
        sheet.append([cell_text(result.page.name), result.page.platform, result.members or "", len(result.posts),
                      first.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") if first else "", result.reach])
    sheet.append([_("Total"), "", "", sum(len(r.posts) for r in report.partners), "", report.reach])
    posts = book.create_sheet(_("Posts")[:31])
    posts.append([_("Partner page"), _("Message"), _("Published"), _("Address"),
                  _("Reach (reactions, shares, comments)")])
    for result in report.partners:
        for post in result.posts:
            at = post.item.published_at or post.item.fetched_at
            posts.append([cell_text(result.page.name), post.message + 1,
                          at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"), cell_text(post.item.url or ""),
                          post.reach])
    for ws in book.worksheets:
        for column in "ABCDEF":
            ws.column_dimensions[column].width = 20
        ws.column_dimensions["A"].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
