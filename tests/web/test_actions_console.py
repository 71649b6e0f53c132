"""Outward actions through the console: draft, a supervisor's approval, the letter issued and downloaded, the answer."""

from __future__ import annotations

import io

from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions.models import Letter, OutwardAction
from mangxanh.domains.audit.models import AuditEvent
from mangxanh.domains.cases.models import Case
from tests.web.conftest import PASSWORD, csrf_from, log_in


def _supervisor(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        user = create_user(s, username="lanhdao", password=PASSWORD, display_name="Trưởng phòng Minh",
                           role=Role.SUPERVISOR.value)
        s.commit()
        return user.id


def _decide(client: TestClient, factory: sessionmaker[Session], case_id: int) -> str:
    page = client.get(f"/cases/{case_id}").text
    with factory() as s:
        version = s.get_one(Case, case_id).version
    form = {"csrf_token": csrf_from(page), "category": "HATE_DISCRIM", "legal_basis": "decision-874-2021|Điều 4",
            "action": "request_takedown", "facts": "Bài viết công khai.",
            "note": "Kỳ thị vùng miền.", "version": str(version)}
    assert client.post(f"/cases/{case_id}/decision", data=form).status_code == 303
    return csrf_from(page)


def _action(factory: sessionmaker[Session], case_id: int) -> OutwardAction:
    with factory() as s:
        return s.scalars(select(OutwardAction).where(OutwardAction.case_id == case_id)).one()


def test_an_analyst_drafts_a_supervisor_approves_and_issues_and_the_letter_is_downloaded(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    _supervisor(session_factory)
    log_in(client)
    token = _decide(client, session_factory, hate_case)
    drafted = client.post(f"/cases/{hate_case}/actions", data={"csrf_token": token, "kind": "request_takedown",
                                                               "deadline_hours": "24", "note": "Đề nghị gỡ ngay."})
    assert drafted.status_code == 303
    page = client.get(f"/cases/{hate_case}").text
    assert "Yêu cầu gỡ bỏ nội dung" in page and "Đã đề xuất, chờ phê duyệt" in page
    action = _action(session_factory, hate_case)
    # The drafter is offered no approval button, and a forged one is refused.
    assert f'action="/actions/{action.id}/approve"' not in page
    refused = client.post(f"/actions/{action.id}/approve", data={"csrf_token": token, "version": action.version})
    assert refused.status_code == 403 and _action(session_factory, hate_case).state == "drafted"

    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as supervisor:
        log_in(supervisor, "lanhdao")
        page = supervisor.get(f"/cases/{hate_case}").text
        assert f'action="/actions/{action.id}/approve"' in page
        token = csrf_from(page)
        assert supervisor.post(f"/actions/{action.id}/approve",
                               data={"csrf_token": token, "version": action.version}).status_code == 303
        assert supervisor.post(f"/actions/{action.id}/send", data={"csrf_token": token}).status_code == 303
        sent = _action(session_factory, hate_case)
        assert sent.state == "sent" and sent.letter_id is not None
        page = supervisor.get(f"/cases/{hate_case}").text
        assert f"/letters/{sent.letter_id}.pdf" in page and f"/letters/{sent.letter_id}.docx" in page
        pdf = supervisor.get(f"/letters/{sent.letter_id}.pdf")
        docx = supervisor.get(f"/letters/{sent.letter_id}.docx")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Kính gửi: Công ty Meta Platforms, Inc. (Facebook)." in text
    with session_factory() as s:
        letter = s.get_one(Letter, sent.letter_id)
        assert (pdf.content, docx.content) == (letter.pdf, letter.docx)  # served as issued, never made again
        downloads = s.scalars(select(AuditEvent).where(AuditEvent.kind == "letter_downloaded")).all()
    assert sorted(event.data["format"] for event in downloads) == ["docx", "pdf"]

    # The analyst records the platform's answer; the case page says it is done.
    page = client.get(f"/cases/{hate_case}").text
    assert client.post(f"/actions/{sent.id}/answer", data={"csrf_token": csrf_from(page), "answer": "done",
                                                           "note": "Nền tảng đã gỡ bỏ."}).status_code == 303
    assert _action(session_factory, hate_case).state == "done"
    assert "Nền tảng đã gỡ bỏ." in client.get(f"/cases/{hate_case}").text


def test_bad_action_input_is_said_in_vietnamese_and_changes_nothing(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    log_in(client)
    page = client.get(f"/cases/{hate_case}").text
    undecided = client.post(f"/cases/{hate_case}/actions", data={"csrf_token": csrf_from(page),
                                                                 "kind": "request_takedown"})
    assert undecided.status_code == 422 and "Cần ghi nhận quyết định trước" in undecided.text
    token = _decide(client, session_factory, hate_case)
    foreign = client.post(f"/cases/{hate_case}/actions", data={"csrf_token": token, "kind": "domain_suspend"})
    assert foreign.status_code == 422
    with session_factory() as s:
        assert s.scalars(select(OutwardAction)).all() == []
    assert client.get("/letters/999.pdf").status_code == 404
    assert client.get("/letters/1.exe").status_code == 404


def test_a_letter_of_a_case_out_of_reach_is_refused(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    _supervisor(session_factory)
    log_in(client)
    token = _decide(client, session_factory, hate_case)
    client.post(f"/cases/{hate_case}/actions", data={"csrf_token": token, "kind": "request_takedown"})
    action = _action(session_factory, hate_case)
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as supervisor:
        log_in(supervisor, "lanhdao")
        token = csrf_from(supervisor.get(f"/cases/{hate_case}").text)
        supervisor.post(f"/actions/{action.id}/approve", data={"csrf_token": token})
        supervisor.post(f"/actions/{action.id}/send", data={"csrf_token": token})
    letter_id = _action(session_factory, hate_case).letter_id
    with session_factory() as s:
        create_user(s, username="phuong", password=PASSWORD, display_name="Cán bộ phường",
                    role=Role.DISTRICT_OFFICER.value, district="Ba Đình")
        s.commit()
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as officer:
        log_in(officer, "phuong")
        assert officer.get(f"/letters/{letter_id}.pdf").status_code == 403
    with session_factory() as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.kind == "letter_downloaded")).all()
