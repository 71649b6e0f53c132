"""Outward actions from draft to answer: four eyes, official letters, deadlines, each step in the case's history."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.conftest import LETTERHEAD

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.letters import place_and_date
from mangxanh.domains.actions.models import Letter, OutwardAction
from mangxanh.domains.audit.service import history
from mangxanh.domains.audit.verify import verify_case_history, verify_trail
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import InvalidInput, InvalidTransition

HATE = "bọn parky cút về quê"


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {name: create_user(session, username=name, password="mật khẩu đủ dài", display_name=display, role=role)
            for name, display, role in (("ha", "Nguyễn Thu Hà", Role.ANALYST.value),
                                        ("duc", "Trần Minh Đức", Role.SUPERVISOR.value),
                                        ("lan", "Lê Thị Lan", Role.SUPERVISOR.value))}


def _decided(session: Session, analysis: Analysis, taxonomy: Taxonomy, user: User, external_id: str = "p1",
             platform: str = "facebook") -> Case:
    ingest(session, source=get_or_create_source(session, name="t", kind="jsonl_export"), analysis=analysis, items=[
        RawItem(platform=platform, external_id=external_id, text=HATE, author="Tin Nóng", author_handle="tin.nong",
                url=f"https://www.facebook.com/tin.nong/posts/{external_id}",
                published_at=datetime(2026, 11, 20, 1, 5, tzinfo=UTC))])
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None
    cases.record_decision(session, case_id=case.id, actor=user, taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                          facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền.")
    return case


def test_a_takedown_goes_from_draft_to_done_with_four_eyes_and_a_letter(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided(session, analysis, taxonomy, people["ha"])
    action = actions.draft_action(session, user=people["ha"], case_id=case.id, kind="request_takedown",
                                  taxonomy=taxonomy)
    assert (action.state, action.recipient) == ("drafted", "Công ty Meta Platforms, Inc. (Facebook)")
    assert session.get_one(Case, case.id).status == "action_pending"
    with pytest.raises(PermissionRefused):  # an analyst does not approve
        actions.approve(session, user=people["ha"], action_id=action.id)
    actions.approve(session, user=people["duc"], action_id=action.id)
    sent_at = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    letter = actions.issue_letter(session, user=people["duc"], action_ids=[action.id], taxonomy=taxonomy,
                                  letterhead=LETTERHEAD, now=sent_at)
    action = session.get_one(OutwardAction, action.id)
    assert (action.state, action.sent_at, action.due_at) == ("sent", sent_at, sent_at + timedelta(hours=24))
    assert (letter.number, letter.year) == ("01/SKHCN-TTĐT", 2026) and letter.pdf.startswith(b"%PDF")
    document = Document(io.BytesIO(letter.docx))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [paragraph.text for table in document.tables for row in table.rows for cell in row.cells
             for paragraph in cell.paragraphs]
    assert "Kính gửi: Công ty Meta Platforms, Inc. (Facebook)." in text
    assert "chậm nhất 24 giờ kể từ khi nhận được văn bản này" in text
    assert "Số: 01/SKHCN-TTĐT" in cells and "Hà Nội, ngày 05 tháng 12 năm 2026" in cells
    assert "V/v đề nghị ngăn chặn, gỡ bỏ thông tin vi phạm pháp luật" in cells
    assert "https://www.facebook.com/tin.nong/posts/p1" in cells and "08:05 20/11/2026" in cells
    assert any("Lưu: VT, TTĐT." in cell for cell in cells) and "Nguyễn Văn An" in cells
    actions.record_answer(session, user=people["ha"], action_id=action.id, answer="done", note="Đã gỡ bỏ.")
    kinds = [(e.kind, (e.after or {}).get("state")) for e in history(session, case_id=case.id)]
    assert kinds[-5:] == [("action_drafted", "drafted"), ("transition", None), ("action_approved", "approved"),
                          ("action_sent", "sent"), ("action_answered", "done")]
    sent_event = next(e for e in history(session, case_id=case.id) if e.kind == "action_sent")
    assert sent_event.after is not None and sent_event.after["pdf_sha256"] == letter.pdf_sha256
    assert verify_case_history(session, case_id=case.id).ok


def test_the_drafter_never_approves_their_own_draft(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided(session, analysis, taxonomy, people["duc"])
    action = actions.draft_action(session, user=people["duc"], case_id=case.id, kind="refer_police",
                                  taxonomy=taxonomy)
    with pytest.raises(PermissionRefused, match="another supervisor"):
        actions.approve(session, user=people["duc"], action_id=action.id)
    assert session.get_one(OutwardAction, action.id).state == "drafted"
    with pytest.raises(InvalidInput, match="why"):
        actions.reject(session, user=people["lan"], action_id=action.id, reason=" ")
    actions.reject(session, user=people["lan"], action_id=action.id, reason="Chưa đủ chứng cứ.")
    with pytest.raises(InvalidTransition):
        actions.approve(session, user=people["lan"], action_id=action.id)


def test_one_letter_carries_several_actions_to_one_recipient_and_numbers_run_by_year(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    ids = []
    for external_id in ("a", "b", "c"):
        case = _decided(session, analysis, taxonomy, people["ha"], external_id=external_id)
        ids.append(actions.draft_action(session, user=people["ha"], case_id=case.id, kind="request_takedown",
                                        taxonomy=taxonomy).id)
        actions.approve(session, user=people["duc"], action_id=ids[-1])
    december = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    first = actions.issue_letter(session, user=people["ha"], action_ids=ids[:2], taxonomy=taxonomy,
                                 letterhead=LETTERHEAD, now=december)
    assert len(first.content["rows"]) == 2
    january = actions.issue_letter(session, user=people["ha"], action_ids=ids[2:], taxonomy=taxonomy,
                                   letterhead=LETTERHEAD, now=datetime(2027, 1, 2, 3, 0, tzinfo=UTC))
    assert (first.number, january.number) == ("01/SKHCN-TTĐT", "01/SKHCN-TTĐT")
    assert (first.year, january.year) == (2026, 2027)
    assert january.content["place_date"] == "Hà Nội, ngày 02 tháng 01 năm 2027"


def test_a_letter_goes_to_one_recipient_and_only_approved_actions_go(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    one = _decided(session, analysis, taxonomy, people["ha"], external_id="x")
    other = _decided(session, analysis, taxonomy, people["ha"], external_id="y", platform="tiktok")
    a = actions.draft_action(session, user=people["ha"], case_id=one.id, kind="request_takedown", taxonomy=taxonomy)
    b = actions.draft_action(session, user=people["ha"], case_id=other.id, kind="request_takedown", taxonomy=taxonomy)
    with pytest.raises(InvalidTransition):  # not approved yet
        actions.issue_letter(session, user=people["ha"], action_ids=[a.id], taxonomy=taxonomy, letterhead=LETTERHEAD)
    for action in (a, b):
        actions.approve(session, user=people["duc"], action_id=action.id)
    with pytest.raises(InvalidInput, match="one recipient"):
        actions.issue_letter(session, user=people["ha"], action_ids=[a.id, b.id], taxonomy=taxonomy,
                             letterhead=LETTERHEAD)
    assert session.scalar(select(Letter.id)) is None
    assert {session.get_one(OutwardAction, x.id).state for x in (a, b)} == {"approved"}


def test_kinds_come_from_the_category_and_some_are_only_recorded(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided(session, analysis, taxonomy, people["ha"])
    with pytest.raises(InvalidInput, match="not available"):
        actions.draft_action(session, user=people["ha"], case_id=case.id, kind="domain_suspend", taxonomy=taxonomy)
    with pytest.raises(InvalidInput, match="amount"):
        actions.draft_action(session, user=people["ha"], case_id=case.id, kind="administrative_fine",
                             taxonomy=taxonomy, details={"amount_vnd": "bảy triệu", "offender": "Nguyễn Văn B"})
    fine = actions.draft_action(session, user=people["ha"], case_id=case.id, kind="administrative_fine",
                                taxonomy=taxonomy, recipient="Nguyễn Văn B",
                                details={"amount_vnd": "7.500.000", "offender": "Nguyễn Văn B",
                                         "decision_number": "93/QĐ-XPVPHC"})
    assert fine.details == {"decision_number": "93/QĐ-XPVPHC", "amount_vnd": 7_500_000, "offender": "Nguyễn Văn B",
                            "paid": False}
    actions.approve(session, user=people["duc"], action_id=fine.id)
    actions.send_without_letter(session, user=people["ha"], action_id=fine.id)
    actions.record_answer(session, user=people["ha"], action_id=fine.id, answer="done")
    assert session.get_one(OutwardAction, fine.id).details["paid"] is True


def test_an_unanswered_request_is_flagged_overdue(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided(session, analysis, taxonomy, people["ha"])
    action = actions.draft_action(session, user=people["ha"], case_id=case.id, kind="request_takedown",
                                  taxonomy=taxonomy, deadline_hours=6)
    actions.approve(session, user=people["duc"], action_id=action.id)
    sent = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    actions.issue_letter(session, user=people["ha"], action_ids=[action.id], taxonomy=taxonomy,
                         letterhead=replace(LETTERHEAD, contact=""), now=sent)
    assert not actions.overdue(action, sent + timedelta(hours=5))
    assert actions.overdue(action, sent + timedelta(hours=7))
    actions.record_answer(session, user=people["ha"], action_id=action.id, answer="no_answer")
    assert not actions.overdue(action, sent + timedelta(hours=7))
    actions.record_answer(session, user=people["ha"], action_id=action.id, answer="done", note="Gỡ muộn.")


def test_dates_follow_the_decree() -> None:
    assert place_and_date("Hà Nội", datetime(2025, 2, 5).date()) == "Hà Nội, ngày 05 tháng 02 năm 2025"
    assert place_and_date("Hà Nội", datetime(2025, 11, 15).date()) == "Hà Nội, ngày 15 tháng 11 năm 2025"


def test_a_letter_replaced_in_the_database_or_slipped_in_shows_in_the_verification(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
) -> None:
    case = _decided(session, analysis, taxonomy, people["ha"])
    action = actions.draft_action(session, user=people["ha"], case_id=case.id, kind="request_takedown",
                                  taxonomy=taxonomy)
    actions.approve(session, user=people["duc"], action_id=action.id)
    letter = actions.issue_letter(session, user=people["duc"], action_ids=[action.id], taxonomy=taxonomy,
                                  letterhead=LETTERHEAD)
    assert verify_trail(session, anchor_file=None).ok
    issued = letter.pdf
    if session.bind is not None and session.bind.dialect.name == "sqlite":  # the attacker lifts the protection
        session.execute(text("DROP TRIGGER letters_no_update"))
    else:
        session.execute(text("ALTER TABLE letters DISABLE TRIGGER USER"))
    session.execute(text("UPDATE letters SET pdf = :pdf, pdf_sha256 = :digest WHERE id = :id"),
                    {"pdf": b"%PDF-1.7 a letter never sent", "digest": "0" * 64, "id": letter.id})
    session.expire_all()
    check = verify_case_history(session, case_id=case.id)
    assert not check.ok and check.problem is not None
    assert check.problem.describe() == "letter 01/SKHCN-TTĐT of 2026: its file is not the one that was sent"
    assert not verify_trail(session, anchor_file=None).ok
    session.execute(text("UPDATE letters SET pdf = :pdf WHERE id = :id"), {"pdf": issued, "id": letter.id})
    session.add(Letter(year=2026, seq=2, number="02/SKHCN-TTĐT", kind="request_takedown", recipient="Ai đó",
                       subject="V/v giả", content={}, docx=b"x", docx_sha256="0" * 64,
                       pdf=b"y", pdf_sha256="0" * 64, issued_by_id=people["duc"].id, issued_at=letter.issued_at))
    session.flush()
    session.expire_all()
    assert verify_case_history(session, case_id=case.id).ok  # this case's own letter is whole again
    [problem] = verify_trail(session, anchor_file=None).problems
    assert problem.describe() == "letter 02/SKHCN-TTĐT of 2026: no event of a case's history records it"
