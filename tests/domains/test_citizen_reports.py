"""Citizens' reports in the services: drafts and sending, filing into cases, stages, staff work, limits."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent, AuditKind, CaseEventKind
from mangxanh.domains.audit.service import history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.citizen_reports import service, staff
from mangxanh.domains.citizen_reports.filing import file_report
from mangxanh.domains.citizen_reports.flood import Limits, RateLimited
from mangxanh.domains.citizen_reports.models import CitizenReport, ReportState
from mangxanh.domains.citizen_reports.stages import Stage, report_status
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import Conflict, InvalidInput, NotFound

KEYS = service.ReporterKeys("test-secret")
DEFAULT_LIMITS = Limits()


def _send(session: Session, link: str, choice: str = "scam", *, address: str = "203.0.113.5", email: str = "",
          description: str = "", limits: Limits = DEFAULT_LIMITS) -> tuple[CitizenReport, str]:
    form = service.ReportForm(links=[link], choice=choice, description=description, email=email)
    return service.save_report(session, form=form, sender=service.Sender(KEYS.address(address)), keys=KEYS,
                               send=True, limits=limits)


def _file(session: Session, analysis: Analysis, report: CitizenReport, read: dict | None = None) -> list[int]:
    return file_report(session, report_id=report.id, analysis=analysis, read=read or {})


def test_a_draft_is_saved_answer_by_answer_then_sent(session: Session) -> None:
    sender = service.Sender(KEYS.address("203.0.113.5"))
    draft, code = service.save_report(session, form=service.ReportForm(links=["https://m.facebook.com/a/posts/1"]),
                                      sender=sender, keys=KEYS)
    assert draft.state == ReportState.DRAFT and draft.links[0].identity == "facebook.com/a/posts/1"
    again, same = service.save_report(session, form=service.ReportForm(
        links=["https://m.facebook.com/a/posts/1"], choice="false_news", description="Tin đồn vỡ đê"),
        sender=sender, keys=KEYS, code=code.lower().replace("-", " "), send=True)
    assert again.id == draft.id and same == code
    assert again.state == ReportState.SUBMITTED and again.category == "FALSE_INFO"
    assert again.code_hash != code and len(again.code_hash) == 64  # only the digest is stored
    with pytest.raises(Conflict):
        service.save_report(session, form=service.ReportForm(links=["https://x.vn/a"], choice="scam"),
                            sender=sender, keys=KEYS, code=code, send=True)


@pytest.mark.parametrize(("form", "message"), [
    (service.ReportForm(links=[], choice="scam"), "Enter the link"),
    (service.ReportForm(links=["https://x.vn/a"], choice=""), "Choose what is wrong"),
    (service.ReportForm(links=["https://x.vn/a"], choice="nonsense"), "Choose what is wrong"),
    (service.ReportForm(links=["javascript:alert(1)"], choice="scam"), "not a web address"),
    (service.ReportForm(links=["http://192.168.1.1/admin"], choice="scam"), "private address"),
    (service.ReportForm(links=["https://x.vn/a"], choice="scam", email="not-an-address"), "e-mail"),
    (service.ReportForm(links=["https://x.vn/a"], choice="scam", phone="12345"), "phone"),
    (service.ReportForm(links=["https://x.vn/a"], choice="scam", description="x" * 5001), "longer than"),
    (service.ReportForm(links=[f"https://x.vn/{n}" for n in range(11)], choice="scam"), "at most 10 links"),
    (service.ReportForm(links=["https://x.vn/a"], choice="scam", description="a\x00b"), "cannot be stored"),
])
def test_bad_answers_are_refused_and_nothing_is_stored(session: Session, form: service.ReportForm,
                                                       message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.save_report(session, form=form, sender=service.Sender(KEYS.address("1")), keys=KEYS, send=True)
    session.flush()
    assert session.scalar(select(CitizenReport.id)) is None


def test_child_abuse_refuses_screenshots(session: Session) -> None:
    from mangxanh.domains.citizen_reports.screenshots import CleanImage

    image = CleanImage(b"x", "image/png", 1, 1)
    with pytest.raises(InvalidInput, match="Never upload"):
        service.save_report(session, form=service.ReportForm(links=["https://x.vn/a"], choice="child_abuse"),
                            sender=service.Sender(KEYS.address("1")), keys=KEYS, send=True, screenshots=[image])


def test_a_report_opens_a_case_with_the_reporters_category(session: Session, analysis: Analysis) -> None:
    report, _code = _send(session, "https://shop-qua-tang.vn/nhan-thuong?utm_source=zalo")
    (case_id,) = _file(session, analysis, report)
    case = session.get(Case, case_id)
    assert case is not None and case.category == "SCAM_FRAUD" and case.route == "team:fraud"
    assert case.item.url == "https://shop-qua-tang.vn/nhan-thuong" and case.item.citizen_reports == 1
    assert report.state == ReportState.FILED and report.links[0].case_id == case_id
    assert report.links[0].fetch_error is not None  # nothing was fetched: the case rests on the link
    kinds = [event.kind for event in history(session, case_id=case_id)]
    assert kinds[0] == CaseEventKind.OPENED and CaseEventKind.CITIZEN_REPORT in kinds
    assert _file(session, analysis, report) == []  # filing twice files once


def test_reports_of_one_link_join_one_case_and_raise_it(session: Session, analysis: Analysis) -> None:
    forms = ["https://www.facebook.com/story.php?story_fbid=9&id=4&mibextid=x",
             "https://m.facebook.com/story.php?id=4&story_fbid=9", "facebook.com/story.php?story_fbid=9&id=4&fbclid=q"]
    case_ids = set()
    priorities = []
    for n, link in enumerate(forms):
        report, _code = _send(session, link, "insult", address=f"198.51.100.{n}")
        (case_id,) = _file(session, analysis, report)
        case_ids.add(case_id)
        priorities.append(session.get(Case, case_id).priority)  # type: ignore[union-attr]
    assert len(case_ids) == 1
    case = session.get(Case, case_ids.pop())
    assert case is not None and case.item.citizen_reports == 3
    assert priorities[0] < priorities[1] < priorities[2]
    assert any(step.get("rule") == "citizen-reports" for step in case.trace)
    # The same person reporting again is still one reporter.
    report, _code = _send(session, forms[0], "insult", address="198.51.100.0")
    _file(session, analysis, report)
    assert case.item.citizen_reports == 3


def test_a_report_joins_the_case_of_content_stored_from_a_feed(session: Session, analysis: Analysis) -> None:
    source = get_or_create_source(session, name="feed", kind="rss")
    ingest(session, source=source, analysis=analysis, items=[RawItem(
        platform="news", external_id="a1", url="https://baomoi.com/bai-1.epi",
        text="Trúng thưởng iPhone, chuyển khoản phí nhận quà 500.000đ vào số tài khoản 0123456789 ngay hôm nay!")])
    before = session.scalars(select(Case)).all()
    report, _code = _send(session, "https://baomoi.com/bai-1.epi?utm_medium=social")
    (case_id,) = _file(session, analysis, report)
    item = session.get(Case, case_id).item  # type: ignore[union-attr]
    assert item.external_id == "a1" and item.citizen_reports == 1
    if before:
        assert case_id == before[0].id


def test_child_abuse_goes_to_the_top_of_the_queue(session: Session, analysis: Analysis) -> None:
    scam, _ = _send(session, "https://a.vn/1")
    child, _ = _send(session, "https://b.vn/2", "child_abuse")
    assert service.reports_to_file(session) == [child.id, scam.id]
    (case_id,) = _file(session, analysis, child)
    case = session.get(Case, case_id)
    assert case is not None and case.category == "CSAM" and case.severity == "critical"
    assert case.priority == 100 and case.escalated and case.route == "team:child-protection"


def test_stages_follow_the_case_to_its_outcome(session: Session, analysis: Analysis, analyst: User,
                                               taxonomy: Taxonomy) -> None:
    report, _code = _send(session, "https://c.vn/3", "insult")
    assert report_status(session, report).stage == Stage.RECEIVED
    (case_id,) = _file(session, analysis, report)
    cases.transition_case(session, case_id=case_id, transition="start_review", actor=analyst)
    assert report_status(session, report).stage == Stage.UNDER_REVIEW
    basis = taxonomy.category("DEFAME_INSULT").bases_in_force(utcnow().date())[0].key
    cases.record_decision(session, case_id=case_id, actor=analyst, taxonomy=taxonomy, category="DEFAME_INSULT",
                          legal_basis=basis, action="no_action", facts="Lời bình luận phê phán, không xúc phạm.",
                          note="Không vi phạm.")
    status = report_status(session, report)
    assert status.stage == Stage.NOT_VIOLATION
    assert any(place.target == "113" for place in status.elsewhere)


def test_idle_drafts_with_a_link_arrive(session: Session) -> None:
    sender = service.Sender(KEYS.address("1"))
    with_link, _ = service.save_report(session, form=service.ReportForm(links=["https://d.vn/4"]), sender=sender,
                                       keys=KEYS, now=utcnow() - timedelta(hours=1))
    without, _ = service.save_report(session, form=service.ReportForm(description="chưa xong"), sender=sender,
                                     keys=KEYS, now=utcnow() - timedelta(hours=1))
    fresh, _ = service.save_report(session, form=service.ReportForm(links=["https://e.vn/5"]), sender=sender,
                                   keys=KEYS)
    assert service.submit_idle_drafts(session) == [with_link.id]
    assert with_link.state == ReportState.SUBMITTED and with_link.choice == "other"
    assert without.state == ReportState.DRAFT and fresh.state == ReportState.DRAFT


def test_flood_limits_say_when_to_try_again(session: Session) -> None:
    limits = Limits(per_address=2, per_link=3)
    _send(session, "https://f.vn/1", limits=limits)
    _send(session, "https://f.vn/2", limits=limits)
    with pytest.raises(RateLimited) as refused:
        _send(session, "https://f.vn/3", limits=limits)
    assert refused.value.retry_at > utcnow() and ":" in refused.value.params["time"]
    for n in range(3):
        _send(session, "https://g.vn/x", address=f"192.0.2.{n}", limits=limits)
    with pytest.raises(RateLimited, match="very many times"):
        _send(session, "https://g.vn/x", address="192.0.2.9", limits=limits)


def test_additions_and_withdrawn_contact(session: Session) -> None:
    report, code = _send(session, "https://h.vn/1", email="Nguoi.Dan@example.vn")
    assert report.contact_email == "nguoi.dan@example.vn"
    service.add_information(session, code=code, text="Trang này còn nhắn tin cho các cháu học sinh.")
    assert [a.text for a in report.additions] == ["Trang này còn nhắn tin cho các cháu học sinh."]
    service.withdraw_contact(session, code=code)
    assert report.contact_email is None and report.contact_withdrawn_at is not None
    with pytest.raises(InvalidInput):
        service.withdraw_contact(session, code=code)
    with pytest.raises(NotFound):
        service.find_report(session, "AAAA-AAAA-AAAA")
    with pytest.raises(NotFound):
        service.find_report(session, "<script>")


def test_staff_see_reports_contact_only_with_permission_and_audited(session: Session, analysis: Analysis,
                                                                    analyst: User) -> None:
    report, _code = _send(session, "https://k.vn/1", "scam", email="ban.doc@example.vn",
                          description="Số điện thoại nạn nhân 0912345678 bị đăng lên.")
    (case_id,) = _file(session, analysis, report)
    viewer = create_user(session, username="xem", password="mật-khẩu-dài-123", role=Role.VIEWER,
                         display_name="Người xem")
    rows = staff.reports_on_case(session, user=viewer, case_id=case_id)
    assert [row.report.id for row in rows] == [report.id] and rows[0].has_contact
    with pytest.raises(PermissionRefused):
        staff.reveal_contact(session, user=viewer, case_id=case_id, report_id=report.id)
    assert staff.reveal_contact(session, user=analyst, case_id=case_id, report_id=report.id) == (
        "ban.doc@example.vn", None)
    viewed = session.scalars(select(AuditEvent).where(AuditEvent.kind == AuditKind.REPORTER_CONTACT_VIEWED)).all()
    assert len(viewed) == 1 and viewed[0].case_id == case_id
    staff.redact_report(session, user=analyst, case_id=case_id, report_id=report.id, passage="0912345678")
    assert "0912345678" not in report.description and staff.REDACTED in report.description
    staff.reply_to_reporter(session, user=analyst, case_id=case_id, report_id=report.id, outcome="not_ours",
                            text="Nội dung thuộc thẩm quyền tỉnh khác.")
    assert report_status(session, report).stage == Stage.NOT_OURS
    with pytest.raises(PermissionRefused):
        staff.set_aside_reporter(session, user=analyst, case_id=case_id, report_id=report.id, reason="spam")
    with pytest.raises(NotFound):
        staff.reveal_contact(session, user=analyst, case_id=case_id, report_id=report.id + 999)


def test_a_set_aside_reporter_is_kept_but_not_filed(session: Session, analysis: Analysis) -> None:
    supervisor = create_user(session, username="ld", password="mật-khẩu-dài-123", role=Role.SUPERVISOR,
                             display_name="Lãnh đạo")
    report, _code = _send(session, "https://m.vn/1", address="192.0.2.77")
    (case_id,) = _file(session, analysis, report)
    assert staff.set_aside_reporter(session, user=supervisor, case_id=case_id, report_id=report.id,
                                    reason="Gửi hàng trăm phản ánh sai sự thật") == 1
    later, _code = _send(session, "https://m.vn/2", address="192.0.2.77")
    assert later.state == ReportState.SET_ASIDE and later.set_aside_reason == "reporter"
    assert _file(session, analysis, later) == []
    assert session.scalar(select(StoredItem.id).where(StoredItem.url == "https://m.vn/2")) is None
