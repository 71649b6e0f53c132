"""Partners fetch the takedown requests addressed to them and answer them; a token reaches only its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import create_source
from mangxanh.domains.sources.tokens import issue_token
from tests.conftest import LETTERHEAD


@pytest.fixture
def api(app: FastAPI, analysis: Analysis) -> Iterator[TestClient]:
    app.state.analysis = analysis
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def partners(session_factory: sessionmaker[Session]) -> dict[str, str]:
    tokens = {}
    with session_factory() as s:
        for name in ("Đối tác A", "Đối tác B"):
            source = create_source(s, name=name, kind="api")
            tokens[name] = issue_token(s, source=source, name="máy chủ")[1]
        s.commit()
    return tokens


def auth(token: str, lang: str = "vi") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept-Language": lang}


def _sent_request(api: TestClient, factory: sessionmaker[Session], taxonomy: Taxonomy, token: str,
                  external_id: str) -> int:
    """Push a hateful post, decide it, and send a takedown request for it (as the staff would)."""
    pushed = api.post("/api/v1/items", headers=auth(token), json={"items": [{
        "platform": "facebook", "external_id": external_id, "text": "bọn parky cút về quê",
        "url": f"https://www.facebook.com/p/{external_id}", "published_at": "2026-11-20T07:45:00+07:00"}]})
    assert pushed.json()["cases_opened"] == 1
    with factory() as s:
        people = {u.username: u for u in s.scalars(select(User))}
        if not people:
            people = {name: create_user(s, username=name, password="mật khẩu đủ dài", display_name=name, role=role)
                      for name, role in (("ha", Role.ANALYST.value), ("duc", Role.SUPERVISOR.value))}
        case = s.scalars(select(Case).join(StoredItem).where(StoredItem.external_id == external_id)).one()
        cases.record_decision(s, case_id=case.id, actor=people["ha"], taxonomy=taxonomy, category="HATE_DISCRIM",
                              legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                              facts="Bài viết kỳ thị.", note="Kỳ thị.")
        action = actions.draft_action(s, user=people["ha"], case_id=case.id, kind="request_takedown",
                                      taxonomy=taxonomy)
        actions.approve(s, user=people["duc"], action_id=action.id)
        actions.issue_letter(s, user=people["duc"], action_ids=[action.id], taxonomy=taxonomy, letterhead=LETTERHEAD)
        s.commit()
        return action.id


def test_a_partner_sees_its_requests_fetches_the_letter_and_answers(
    api: TestClient, partners: dict[str, str], session_factory: sessionmaker[Session], taxonomy: Taxonomy,
) -> None:
    token = partners["Đối tác A"]
    request_id = _sent_request(api, session_factory, taxonomy, token, "fb_1")
    [shown] = api.get("/api/v1/requests", headers=auth(token)).json()["requests"]
    assert (shown["id"], shown["kind"], shown["state"], shown["letter_number"]) == (
        request_id, "request_takedown", "sent", "01/SKHCN-TTĐT")
    assert shown["item"]["url"] == "https://www.facebook.com/p/fb_1" and shown["due_at"]
    letter = api.get(shown["letter_pdf"], headers=auth(token))
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF")

    acknowledged = api.post(f"/api/v1/requests/{request_id}/answer", headers=auth(token),
                            json={"status": "acknowledged"})
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    removed = api.post(f"/api/v1/requests/{request_id}/answer", headers=auth(token), json={"status": "removed"})
    assert removed.json()["state"] == "done"
    assert api.get("/api/v1/requests", headers=auth(token)).json()["requests"] == []
    assert [r["state"] for r in api.get("/api/v1/requests?state=all", headers=auth(token)).json()["requests"]] == [
        "done"]
    again = api.post(f"/api/v1/requests/{request_id}/answer", headers=auth(token, "en"), json={"status": "removed"})
    assert again.status_code == 409 and "detail" in again.json()
    with session_factory() as s:
        answered = s.scalars(select(CaseEvent).where(CaseEvent.kind == "action_answered")).all()
    assert [(e.actor_id, (e.after or {}).get("by")) for e in answered] == [(None, "Đối tác A"), (None, "Đối tác A")]


def test_a_token_never_reaches_another_partners_request(
    api: TestClient, partners: dict[str, str], session_factory: sessionmaker[Session], taxonomy: Taxonomy,
) -> None:
    request_id = _sent_request(api, session_factory, taxonomy, partners["Đối tác A"], "fb_2")
    other = partners["Đối tác B"]
    assert api.get("/api/v1/requests?state=all", headers=auth(other)).json()["requests"] == []
    for response in (api.get(f"/api/v1/requests/{request_id}/letter.pdf", headers=auth(other)),
                     api.post(f"/api/v1/requests/{request_id}/answer", headers=auth(other),
                              json={"status": "removed"})):
        assert response.status_code == 404
        assert response.json()["detail"] == "Không có yêu cầu nào mang số này được gửi tới quý cơ quan, đơn vị."
    with session_factory() as s:
        assert s.get_one(OutwardAction, request_id).state == "sent"
    assert api.get("/api/v1/requests").status_code == 401
    assert api.get("/api/v1/requests", headers=auth("mx_not-a-token")).status_code == 403


def test_a_refusal_needs_a_reason_and_bad_answers_change_nothing(
    api: TestClient, partners: dict[str, str], session_factory: sessionmaker[Session], taxonomy: Taxonomy,
) -> None:
    token = partners["Đối tác A"]
    request_id = _sent_request(api, session_factory, taxonomy, token, "fb_3")
    url = f"/api/v1/requests/{request_id}/answer"
    assert api.post(url, headers=auth(token), json={"status": "refused"}).status_code == 422
    assert api.post(url, headers=auth(token), json={"status": "deleted"}).status_code == 422
    assert api.post(url, headers=auth(token), json={"status": "removed", "reason": "x" * 3001}).status_code == 422
    with session_factory() as s:
        assert s.get_one(OutwardAction, request_id).state == "sent"
    refused = api.post(url, headers=auth(token), json={"status": "refused", "reason": "Nội dung không vi phạm "
                                                                                      "chính sách cộng đồng."})
    assert refused.json()["state"] == "refused"
    with session_factory() as s:
        assert s.get_one(OutwardAction, request_id).answer == "Nội dung không vi phạm chính sách cộng đồng."


def test_the_partner_schema_documents_pushing_and_requests(api: TestClient) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    assert set(schema["paths"]) == {"/api/v1/items", "/api/v1/requests", "/api/v1/requests/{request_id}/letter.pdf",
                                    "/api/v1/requests/{request_id}/answer"}
    assert {"TakedownRequest", "Answer", "PushResult"} <= set(schema["components"]["schemas"])
