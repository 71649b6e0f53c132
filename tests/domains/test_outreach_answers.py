"""Answering a rumour: the correction and the partners' notice drafted from the official correction, approved
by another person, published; then what came of it, read from the ingested posts."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.audit.service import history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.answers import approve_answer, draft_answer, draft_texts, publish_answer
from mangxanh.domains.outreach.partners import PartnerDetails, record_members, save_partner
from mangxanh.domains.outreach.spread import spread_of
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import InvalidInput

HO_GUOM = "HN-2026-113"
SOURCE_URL = "https://mrb.hanoi.gov.vn/tin-tuc/khong-lap-ho-guom-xay-ga-c9"
RUMOUR = "NÓNG: Hà Nội sẽ lấp một phần Hồ Gươm để làm ga tàu điện ngầm, tháng sau khởi công luôn"
START = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


@pytest.fixture
def false_info(analysis: Analysis) -> Analysis:
    return replace(analysis, pipeline=Pipeline([FalseInfoDetector()]))


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {name: create_user(session, username=name, password="mật khẩu đủ dài", display_name=name, role=role)
            for name, role in (("ha", Role.ANALYST.value), ("duc", Role.SUPERVISOR.value),
                               ("vien", Role.VIEWER.value))}


def _post(session: Session, analysis: Analysis, external_id: str, text: str, at: datetime, *, handle: str = "x",
          reach: int = 0) -> None:
    ingest(session, source=get_or_create_source(session, name="facebook-export", kind="jsonl_export"),
           analysis=analysis, items=[RawItem(platform="facebook", external_id=external_id, text=text,
                                             author_handle=handle, published_at=at, reactions=reach,
                                             url=f"https://www.facebook.com/{handle}/posts/{external_id}")])


def _decided_rumour(session: Session, analysis: Analysis, taxonomy: Taxonomy, user: User) -> Case:
    for n in range(3):  # three copies in the first hours
        _post(session, analysis, f"r{n}", f"{RUMOUR} ({n})", START + timedelta(hours=n))
    case = session.scalars(select(Case).where(Case.category == "FALSE_INFO").order_by(Case.id)).first()
    assert case is not None
    cases.record_decision(session, case_id=case.id, actor=user, taxonomy=taxonomy, category="FALSE_INFO",
                          legal_basis="decree-147-2024|", action="publish_correction",
                          facts="Tin đồn lấp Hồ Gươm.", note="Thông tin sai sự thật gây hoang mang.")
    return case


def _corrections(analysis: Analysis):  # type: ignore[no-untyped-def]
    detector = next(d for d in analysis.pipeline.detectors if isinstance(d, FalseInfoDetector))
    return detector.corrections


def test_a_rumour_is_answered_with_four_eyes_and_its_spread_is_measured(
    session: Session, false_info: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided_rumour(session, false_info, taxonomy, people["ha"])
    corrections = _corrections(false_info)
    post, notice = draft_texts(next(c for c in corrections.entries if c.id == HO_GUOM))
    assert SOURCE_URL in post and "sai sự thật" in post and SOURCE_URL in notice
    answer = draft_answer(session, user=people["ha"], case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                          correction_id=HO_GUOM, post=post, notice=notice, topic="ho guom")
    publish, share = answer.publish_action, answer.notice_action
    assert (publish.kind, publish.state, publish.note) == ("publish_correction", "drafted", post)
    assert share is not None and (share.kind, share.state) == ("counter_messaging", "drafted")
    with pytest.raises(InvalidInput):  # not before a supervisor approved it
        publish_answer(session, user=people["ha"], answer_id=answer.id, url="https://www.facebook.com/sotttt/posts/1")
    with pytest.raises(PermissionRefused):  # an analyst does not approve
        approve_answer(session, user=people["ha"], answer_id=answer.id)
    approve_answer(session, user=people["duc"], answer_id=answer.id)
    assert (publish.state, share.state, publish.approved_by_id) == ("approved", "approved", people["duc"].id)
    corrected_at = START + timedelta(hours=5)
    publish_answer(session, user=people["ha"], answer_id=answer.id, url="https://www.facebook.com/sotttt/posts/1",
                   now=corrected_at)
    publish, share = session.get_one(OutwardAction, publish.id), session.get_one(OutwardAction, share.id)
    # Published on the department's own channels it is done; the partners' notice waits for their shares.
    assert (publish.state, share.state) == ("done", "sent") and share.due_at is not None
    kinds = [e.kind for e in history(session, case_id=case.id)]
    assert kinds.count("action_drafted") == 2 and kinds.count("action_approved") == 2 and "action_answered" in kinds

    partner = save_partner(session, user=people["duc"], details=PartnerDetails(
        name="Hà Nội Phố", platform="facebook", url="https://www.facebook.com/hanoipho",
        agreement_from=START.date()))
    assert partner.handle == "hanoipho"
    record_members(session, user=people["duc"], page_id=partner.id, counted_on=START.date(), members=120_000)
    other = save_partner(session, user=people["duc"], details=PartnerDetails(
        name="Yêu Hà Nội", platform="facebook", url="https://www.facebook.com/yeuhanoi", agreement_from=START.date()))
    # The partner shares the correction with a line of its own, without accents; another partner posts
    # about the lake, not the correction; a stranger copies the correction (not a partner); one more
    # copy of the rumour comes after the correction.
    _post(session, false_info, "p1", "Thông tin chính thức, mọi người lưu ý: " + post.replace("Gươm", "Guom"),
          corrected_at + timedelta(hours=1), handle="hanoipho", reach=900)
    _post(session, false_info, "p2", "Sáng nay Hồ Gươm rất đẹp, mời mọi người ra dạo phố đi bộ",
          corrected_at + timedelta(hours=2), handle="yeuhanoi", reach=300)
    _post(session, false_info, "s1", post, corrected_at + timedelta(hours=2), handle="nguoila", reach=50)
    _post(session, false_info, "r9", f"{RUMOUR} thật không?", corrected_at + timedelta(hours=3))
    _post(session, false_info, "p0", post, corrected_at - timedelta(hours=1), handle="hanoipho")  # before it was out
    spread = spread_of(session, answer)
    assert (spread.first_copy_at, spread.corrected_at) == (START, corrected_at)
    assert spread.time_to_correction == timedelta(hours=5)
    assert (spread.copies_before, spread.copies_after) == (3, 1)
    assert [(s.page.id, s.item.external_id) for s in spread.shares] == [(partner.id, "p1")]
    assert (spread.pages_shared, spread.reach, spread.members_reached) == (1, 900, 120_000)
    assert other.id not in {s.page.id for s in spread.shares}


def test_a_draft_without_the_official_link_or_correction_is_refused(
    session: Session, false_info: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided_rumour(session, false_info, taxonomy, people["ha"])
    corrections = _corrections(false_info)
    with pytest.raises(InvalidInput, match="official source"):
        draft_answer(session, user=people["ha"], case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                     correction_id=HO_GUOM, post="Tin lấp Hồ Gươm là sai sự thật.")
    with pytest.raises(InvalidInput, match="No correction in force"):
        draft_answer(session, user=people["ha"], case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                     correction_id="HN-1900-000", post=f"Sai sự thật {SOURCE_URL}")
    with pytest.raises(PermissionRefused):  # a viewer drafts nothing
        draft_answer(session, user=people["vien"], case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                     correction_id=HO_GUOM, post=f"Sai sự thật {SOURCE_URL}")
    assert session.scalars(select(OutwardAction)).all() == []


def test_a_correction_marked_sent_on_the_case_is_measured_from_then(
    session: Session, false_info: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    from mangxanh.domains.actions import service as actions

    case = _decided_rumour(session, false_info, taxonomy, people["ha"])
    corrections = _corrections(false_info)
    post, _notice = draft_texts(next(c for c in corrections.entries if c.id == HO_GUOM))
    answer = draft_answer(session, user=people["ha"], case_id=case.id, taxonomy=taxonomy, corrections=corrections,
                          correction_id=HO_GUOM, post=post)
    assert answer.notice_action is None and answer.corrected_at is None
    actions.approve(session, user=people["duc"], action_id=answer.publish_action_id)
    actions.send_without_letter(session, user=people["ha"], action_id=answer.publish_action_id)
    assert answer.publish_action.state == "done" and answer.corrected_at == answer.publish_action.sent_at
    spread = spread_of(session, answer)
    assert (spread.copies_before, spread.copies_after, spread.corrected_at) == (3, 0, answer.publish_action.sent_at)
