import re
import time
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.items import RawItem
from mangxanh.domains.audit.models import AuditEvent, CaseEvent
from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.web.session import COOKIE
from tests.web.conftest import csrf_from, log_in


def test_console_needs_a_login(client: TestClient) -> None:
    response = client.get("/cases?status=new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases%3Fstatus%3Dnew"


def test_wrong_password_is_refused_in_vietnamese(client: TestClient, staff: int) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "hoa", "password": "sai rồi", "csrf_token": token})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert client.get("/cases").status_code == 303


def test_login_without_csrf_token_is_refused(client: TestClient, staff: int) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "hoa", "password": "mật khẩu đủ dài 123"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.text


def test_session_cookie_is_signed_and_http_only(client: TestClient, staff: int) -> None:
    client.get("/login")
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": "hoa", "password": "mật khẩu đủ dài 123",
                                           "csrf_token": token})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    tampered = client.cookies[COOKIE][:-4] + "AAAA"
    client.cookies.clear()
    client.cookies.set(COOKIE, tampered)
    assert client.get("/cases").status_code == 303


def test_queue_lists_cases_by_priority_with_filters(client: TestClient, staff: int, hate_case: int) -> None:
    log_in(client)
    page = client.get("/cases")
    assert page.status_code == 200
    assert "Hàng đợi hồ sơ" in page.text
    table = page.text[page.text.index('<table class="queue"'):]
    assert table.index(f'href="/cases/{hate_case}"') < table.index("Ngôn ngữ thô tục")
    filtered = client.get("/cases?severity=low").text
    table = filtered[filtered.index('<table class="queue"'):]
    assert f'href="/cases/{hate_case}"' not in table and "Ngôn ngữ thô tục" in table
    assert client.get("/cases?severity=bogus&page=1").status_code == 200
    assert client.get("/cases?page=0").status_code == 422


def test_case_page_highlights_spans_and_escapes_content(client: TestClient, staff: int, hate_case: int) -> None:
    log_in(client)
    page = client.get(f"/cases/{hate_case}")
    assert page.status_code == 200
    assert '<mark class="span">parky</mark>' in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Content-Security-Policy" in page.headers
    trace = page.text[page.text.index('<section class="trace">'):]
    assert "Vì sao có hồ sơ này" in trace and "Bộ phát hiện “từ điển ngôn từ vi phạm” phát hiện" in trace
    # Detector names and routes come through the catalogue, not as their codes.
    assert '<dd class="route">tổ chuyên viên</dd>' in page.text
    shown = re.sub(r"<[^>]+>", " ", page.text[page.text.index("<main "):])
    assert not re.search(r"\b(lexicon|toxicity|analysts)\b", shown)


def test_an_edited_item_shows_the_findings_on_the_text_they_were_made_on(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session], analysis: Analysis,
) -> None:
    with session_factory() as s:
        source = get_or_create_source(s, name="web-test", kind="jsonl_export")
        edited = RawItem(platform="facebook", external_id="x1", text="Xin lỗi mọi người, tôi đã sửa bài.",
                         published_at=datetime(2026, 11, 10, tzinfo=UTC), reactions=500)
        ingest(s, source=source, items=[edited], analysis=analysis)
        s.commit()
    log_in(client)
    page = client.get(f"/cases/{hate_case}").text
    newest, first = page.index('id="capture-2"'), page.index('id="capture-1"')
    assert newest < first  # newest first
    # The spans are on the first capture, open; the edit is shown beside it, unmarked.
    assert '<details class="capture" open id="capture-1">' in page
    assert '<mark class="span">parky</mark>' in page[first:]
    assert "Xin lỗi mọi người, tôi đã sửa bài." in page[newest:first] and "<mark" not in page[newest:first]
    assert "bản mới nhất, sau khi phát hiện" in page


def test_decision_is_recorded_and_shown_in_history(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session]
) -> None:
    log_in(client)
    page = client.get(f"/cases/{hate_case}").text
    assert '<option value="">Chọn…</option>' in page.split('name="action"')[1][:200]  # no action preselected
    form = {"csrf_token": csrf_from(page), "category": "HATE_DISCRIM", "legal_basis": "decision-874-2021|Điều 4",
            "action": "request_takedown", "facts": "Bài đăng công khai ngày 10/11/2026 gọi người miền khác là parky.",
            "note": "Phân biệt vùng miền, đề nghị nền tảng gỡ bỏ.", "internal_note": "Tài khoản này tái phạm."}
    response = client.post(f"/cases/{hate_case}/decision", data=form)
    assert response.status_code == 303
    page = client.get(f"/cases/{hate_case}").text
    assert "Đã ghi nhận quyết định." in page
    assert "Ghi nhận quyết định" in page and "Phân biệt vùng miền, đề nghị nền tảng gỡ bỏ." in page
    decision = page[page.index('id="decision-1"'):]
    assert "Quyết định 874/QĐ-BTTTT ban hành Bộ Quy tắc ứng xử trên mạng xã hội, Điều 4" in decision.split("</dl>")[0]
    assert "gọi người miền khác là parky" in decision and "Tài khoản này tái phạm." in decision
    assert "Phát hiện bằng công cụ tự động; quyết định do cán bộ đưa ra" in decision
    history = page[page.index('class="history"'):]
    # The basis, in the history too.
    assert "Quyết định 874/QĐ-BTTTT ban hành Bộ Quy tắc ứng xử trên mạng xã hội, Điều 4" in history
    assert "Lịch sử toàn vẹn" in page
    with session_factory() as s:
        case = s.get(Case, hate_case)
        assert case is not None and case.status == "decided"
        stored = s.scalars(select(Decision).where(Decision.case_id == hate_case)).one()
        assert (stored.decided_by_id, stored.version, stored.automated_detection) == (staff, 1, True)

    # A revision is a new version; the first stays as it was.
    token = csrf_from(page)
    same = client.post(f"/cases/{hate_case}/decision", data={**form, "csrf_token": token})
    assert same.status_code == 422 and "không thay đổi gì" in same.text
    revised = client.post(f"/cases/{hate_case}/decision",
                          data={**form, "csrf_token": token, "action": "refer_police", "note": "Có dấu hiệu tội phạm."})
    assert revised.status_code == 303
    page = client.get(f"/cases/{hate_case}").text
    assert 'id="decision-2"' in page and "phiên bản 2 (đang có hiệu lực)" in page and "(đã được thay thế)" in page
    with session_factory() as s:
        first, second = s.scalars(select(Decision).where(Decision.case_id == hate_case).order_by(Decision.id)).all()
        assert (first.version, first.action, first.note) == (1, "request_takedown", form["note"])
        assert (second.version, second.supersedes_id, second.action) == (2, first.id, "refer_police")
        assert s.get_one(Case, hate_case).status == "decided"


def test_bad_decision_and_missing_csrf_change_nothing(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session]
) -> None:
    log_in(client)
    token = csrf_from(client.get(f"/cases/{hate_case}").text)
    form = {"category": "HATE_DISCRIM", "legal_basis": "decision-874-2021|Điều 4", "action": "request_takedown",
            "facts": "Bài đăng công khai.", "note": "Lý do"}
    assert client.post(f"/cases/{hate_case}/decision", data=form).status_code == 403
    bad = client.post(f"/cases/{hate_case}/decision", data={**form, "csrf_token": token, "note": " "})
    assert bad.status_code == 422 and "Hãy ghi lý do của quyết định." in bad.text
    no_facts = client.post(f"/cases/{hate_case}/decision", data={**form, "csrf_token": token, "facts": ""})
    assert no_facts.status_code == 422 and "Hãy nêu sự việc" in no_facts.text
    no_law = client.post(f"/cases/{hate_case}/decision", data={**form, "csrf_token": token, "legal_basis": ""})
    assert no_law.status_code == 422 and "Hãy chọn căn cứ pháp lý" in no_law.text
    wrong_law = client.post(f"/cases/{hate_case}/decision",
                            data={**form, "csrf_token": token, "legal_basis": "csl-2018|Điều 8 khoản 1 điểm c"})
    assert wrong_law.status_code == 422 and "có hiệu lực" in wrong_law.text
    stale = client.post(f"/cases/{hate_case}/decision", data={**form, "csrf_token": token, "version": "999"})
    assert stale.status_code == 409
    with session_factory() as s:
        assert s.get(Case, hate_case).status == "new"  # type: ignore[union-attr]
        assert not s.scalars(select(Decision)).all()
        kept = s.scalars(select(AuditEvent).where(AuditEvent.kind == "request_refused").order_by(AuditEvent.id)).all()
    assert [(e.case_id, e.actor_id, e.data["kind"]) for e in kept] == [(hate_case, staff, "InvalidInput")] * 4 + [
        (hate_case, staff, "Conflict")]
    assert kept[0].data["request"] == f"POST /cases/{hate_case}/decision"
    assert "Yêu cầu bị từ chối: Hãy ghi lý do của quyết định." in client.get(f"/cases/{hate_case}").text


def test_forbidden_transition_is_explained(client: TestClient, staff: int, hate_case: int) -> None:
    log_in(client)
    token = csrf_from(client.get(f"/cases/{hate_case}").text)
    response = client.post(f"/cases/{hate_case}/transition", data={"csrf_token": token, "transition": "close"})
    assert response.status_code == 409
    assert "Hồ sơ đang ở trạng thái “Mới” không thể chuyển bằng thao tác “Đóng hồ sơ”." in response.text
    ok = client.post(f"/cases/{hate_case}/transition", data={"csrf_token": token, "transition": "triage"})
    assert ok.status_code == 303


def test_expired_session_asks_to_log_in_again(app: FastAPI, client: TestClient, staff: int) -> None:
    log_in(client)
    serializer = URLSafeTimedSerializer(app.state.settings.effective_secret_key(), salt="mangxanh.session")
    current = serializer.loads(client.cookies[COOKIE])

    class PastSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - app.state.settings.session_max_age_s - 60

    old = URLSafeTimedSerializer(app.state.settings.effective_secret_key(), salt="mangxanh.session",
                                 signer=PastSigner)

    client.cookies.clear()
    client.cookies.set(COOKIE, old.dumps(current))
    response = client.get("/cases")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert "Phiên làm việc đã hết hạn" in client.get("/login").text


def test_logout_invalidates_the_old_cookie(client: TestClient, staff: int) -> None:
    log_in(client)
    old_cookie = client.cookies[COOKIE]
    token = csrf_from(client.get("/cases").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    client.cookies.clear()
    client.cookies.set(COOKIE, old_cookie)
    assert client.get("/cases").status_code == 303


def test_viewing_a_case_is_audited_in_its_access_log_not_in_its_story(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session]
) -> None:
    log_in(client)
    with session_factory() as s:
        story = [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == hate_case))]
    for _ in range(3):
        page = client.get(f"/cases/{hate_case}")
    with session_factory() as s:
        assert [e.kind for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == hate_case))] == story
        views = s.scalars(select(AuditEvent).where(AuditEvent.case_id == hate_case)).all()
    assert [(v.kind, v.actor_id, v.stream) for v in views] == [("case_viewed", staff, f"case-access:{hate_case}")] * 3
    assert "Đã xem 3 lần, 1 người" in page.text


def test_english_on_request_and_missing_case(client: TestClient, staff: int) -> None:
    log_in(client)
    client.get("/lang/en?next=/cases")
    client.cookies.set("mx_lang", "en")
    assert "Case queue" in client.get("/cases").text
    missing = client.get("/cases/999999")
    assert missing.status_code == 404 and "Case 999999 does not exist." in missing.text


def test_unknown_page_is_answered_in_vietnamese(client: TestClient) -> None:
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Trang này không tồn tại." in response.text
    assert client.get("/logout").status_code == 405
