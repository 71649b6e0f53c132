"""The demo's outreach: three partner pages with their member counts, the answer to the Hồ Gươm rumour as the
department would have given it (drafted by the analyst, approved by the supervisor, published the evening
after the first copy), and a campaign the partners posted.

The partners' posts are demo items (partner_items.jsonl) imported with the rest, so the answer page
shows which partners shared the correction and the campaign page which posted its messages.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.detectors.false_info import Corrections
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.outreach.answers import approve_answer, draft_answer, draft_texts, publish_answer
from mangxanh.domains.outreach.campaigns import MessageDraft, create_campaign
from mangxanh.domains.outreach.models import PartnerPage
from mangxanh.domains.outreach.partners import PartnerDetails, record_members, save_partner
from mangxanh.i18n import LOCAL_TZ

PARTNERS = (
    ("Hội Những Người Yêu Hà Nội Xưa", "https://www.facebook.com/hanoixua.yeu", (228_000, 231_500)),
    ("Hà Nội Phố", "https://www.facebook.com/hanoipho.page", (96_000, 98_400)),
    ("Hoàn Kiếm Hôm Nay", "https://www.facebook.com/hoankiem.homnay", (52_500, 54_100)),
)
CAMPAIGN_TEXT = ("Hưởng ứng Tháng hành động “Văn minh trên không gian mạng” của Thành phố: mỗi người dân hãy suy nghĩ "
                 "trước khi đăng, không chia sẻ tin chưa kiểm chứng, tố giác lừa đảo qua đường dây nóng 113.")
RUMOUR_ITEM = "facebook:rumour_hoguom_01"
HO_GUOM = "HN-2026-113"
PUBLISHED = datetime(2026, 11, 26, 20, 0, tzinfo=LOCAL_TZ)


def load_demo_outreach(session: Session, *, analyst: User, supervisor: User, corrections: Corrections) -> None:
    """Once: nothing is added when the partner pages are already there."""
    if session.scalar(select(PartnerPage.id).limit(1)) is not None:
        return
    pages = []
    for name, url, (before, after) in PARTNERS:
        page = save_partner(session, user=supervisor, details=PartnerDetails(
            name=name, platform="facebook", url=url, contact="Quản trị viên trang", agreement_from=date(2026, 1, 1),
            agreement_to=date(2026, 12, 31), note="Thỏa thuận phối hợp lan tỏa thông tin tích cực năm 2026."))
        record_members(session, user=supervisor, page_id=page.id, counted_on=date(2026, 10, 1), members=before)
        record_members(session, user=supervisor, page_id=page.id, counted_on=date(2026, 11, 1), members=after)
        pages.append(page)
    create_campaign(session, user=supervisor, title="Tháng hành động “Văn minh trên không gian mạng”", messages=[
        MessageDraft(CAMPAIGN_TEXT, image_url="https://hanoi.gov.vn/anh/van-minh-tren-mang.png"),
        MessageDraft("Một cú nhấp chuột có thể gây tổn thương cho người khác.",
                     hashtags="#HàNộiVănMinh #NghĩTrướcKhiĐăng"),
    ], starts_on=date(2026, 11, 15), ends_on=date(2026, 12, 15), page_ids=[p.id for p in pages])
    _answer_the_rumour(session, analyst=analyst, supervisor=supervisor, corrections=corrections)


def _answer_the_rumour(session: Session, *, analyst: User, supervisor: User, corrections: Corrections) -> None:
    case = session.scalar(select(Case).join(StoredItem, StoredItem.id == Case.item_id)
                          .where(StoredItem.natural_key == RUMOUR_ITEM, Case.category == "FALSE_INFO"))
    correction = next((c for c in corrections.entries if c.id == HO_GUOM), None)
    if case is None or correction is None:
        return  # the detectors of this run did not flag the rumour: there is nothing to answer
    taxonomy = load_taxonomy()
    cases.record_decision(session, case_id=case.id, actor=analyst, taxonomy=taxonomy, category="FALSE_INFO",
                          legal_basis="decree-147-2024|", action="publish_correction",
                          facts="Bài đăng khẳng định Hà Nội sẽ lấp một phần Hồ Gươm để xây ga tàu điện ngầm.",
                          note="Thông tin sai sự thật gây hoang mang; Ban Quản lý đường sắt đô thị đã cải chính.")
    post, notice = draft_texts(correction)
    answer = draft_answer(session, user=analyst, case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                          correction_id=HO_GUOM, post=post, notice=notice, topic="ho guom")
    approve_answer(session, user=supervisor, answer_id=answer.id)
    publish_answer(session, user=analyst, answer_id=answer.id,
                   url="https://www.facebook.com/thongtinhanoi/posts/9300001", now=PUBLISHED)
