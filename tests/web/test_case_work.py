"""Case work in the console: taking, handing over and routing cases; refusals said, kept, and harmless."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent, CaseEvent
from mangxanh.domains.cases.models import Case
from tests.web.conftest import PASSWORD, csrf_from, log_in


def _people(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        made = {name: create_user(s, username=name, password=PASSWORD, display_name=f"Cán bộ {name}", role=role,
                                  district=district).id
                for name, role, district in (("lanhdao", Role.SUPERVISOR.value, None),
                                             ("xem", Role.VIEWER.value, None),
                                             ("phuong", Role.DISTRICT_OFFICER.value, "Hoàn Kiếm"))}
        s.commit()
        return made


def test_a_viewer_may_read_but_a_decision_is_refused_in_vietnamese_kept_and_harmless(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    people = _people(session_factory)
    log_in(client, "xem")
    page = client.get(f"/cases/{hate_case}")
    assert page.status_code == 200 and 'action="/cases/' + str(hate_case) + '/decision"' not in page.text
    with session_factory() as s:
        version = s.get_one(Case, hate_case).version
    form = {"csrf_token": csrf_from(page.text), "category": "HATE_DISCRIM", "legal_basis": "decision-874-2021|Điều 4",
            "action": "request_takedown", "facts": "Bài viết công khai.",
            "note": "Thử ra quyết định.", "version": str(version)}
    refused = client.post(f"/cases/{hate_case}/decision", data=form)
    assert refused.status_code == 403
    assert "Vai trò của bạn không được phép ra quyết định xử lý hồ sơ." in refused.text
    with session_factory() as s:
        assert s.get_one(Case, hate_case).version == version and s.get_one(Case, hate_case).status == "new"
        assert "decision" not in s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == hate_case)).all()
        [kept] = s.scalars(select(AuditEvent).where(AuditEvent.kind == "permission_refused")).all()
    assert (kept.actor_id, kept.case_id, kept.data["action"]) == (people["xem"], hate_case, "decide")


def test_a_district_officer_is_refused_another_districts_case_and_it_is_kept(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    _people(session_factory)
    log_in(client, "phuong")
    assert f"/cases/{hate_case}" not in client.get("/cases").text
    refused = client.get(f"/cases/{hate_case}")
    assert refused.status_code == 403 and "thuộc địa bàn khác" in refused.text
    with session_factory() as s:
        kinds = s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == hate_case)).all()
    assert kinds == ["permission_refused"]


def test_a_supervisor_hands_a_case_over_routes_it_and_the_officer_takes_it_up(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    people = _people(session_factory)
    log_in(client, "lanhdao")
    page = client.get(f"/cases/{hate_case}").text
    token = csrf_from(page)
    assert client.post(f"/cases/{hate_case}/assign", data={"csrf_token": token, "assignee": staff}).status_code == 303
    assert "Đã giao hồ sơ cho Chuyên viên Hoa." in client.get(f"/cases/{hate_case}").text
    assert client.post(f"/cases/{hate_case}/district", data={"csrf_token": token, "name": "Hoàn Kiếm"}
                       ).status_code == 303
    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as officer:
        log_in(officer, "phuong")
        assert f"/cases/{hate_case}" in officer.get("/cases").text
        page = officer.get(f"/cases/{hate_case}").text
        assert officer.post(f"/cases/{hate_case}/claim", data={"csrf_token": csrf_from(page)}).status_code == 303
        assert f"/cases/{hate_case}" in officer.get("/cases?mine=true").text
    with session_factory() as s:
        case = s.get_one(Case, hate_case)
        assert (case.assignee_id, case.district) == (people["phuong"], "Hoàn Kiếm")
        kinds = s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == hate_case).order_by(CaseEvent.seq)).all()
    assert kinds[-3:] == ["assigned", "district_set", "assigned"]
