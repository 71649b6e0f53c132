"""Contests over HTTP: a teacher creates one in the console, pupils register and take it, nothing counts twice."""

from __future__ import annotations

import io
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.contests.bank import COLUMNS, seed_drafts
from mangxanh.domains.education.contests.models import Attempt, Contest, Participant, Question
from mangxanh.i18n import LOCAL_TZ
from mangxanh.web.app import create_app
from tests.contest_support import PASSWORD, small_bank
from tests.web.conftest import csrf_from, log_in


def _people(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s:
        small_bank(s, n=12)
        for username, role in (("co.mai", Role.TEACHER), ("thay.nam", Role.TEACHER),
                               ("giao.duc", Role.EDUCATION_OFFICER), ("phan.tich", Role.ANALYST)):
            create_user(s, username=username, password=PASSWORD, display_name=username, role=role)
        s.commit()


def _local(minutes: int) -> str:
    return (utcnow() + timedelta(minutes=minutes)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _create(client: TestClient, title: str = "Lớp em <b>văn minh</b>") -> int:
    token = csrf_from(client.get("/cuoc-thi/moi").text)
    response = client.post("/cuoc-thi/moi", data={
        "csrf_token": token, "title": title, "kind": "class", "school": "Trường THCS Cầu Giấy",
        "district": "Cầu Giấy", "classes": "8A1\n8A2", "opens": [_local(-5), "", ""], "closes": [_local(60), "", ""],
        "minutes": ["10", "", ""], "questions": ["4", "", ""]})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _register(client: TestClient, slug: str, session_factory: sessionmaker[Session], *, phone: str = "0912345678"):
    page = client.get(f"/thi/{slug}")
    unit = re.search(r'<option value="(\d+)"', page.text).group(1)
    return client.post(f"/thi/{slug}/dang-ky", data={
        "csrf_token": csrf_from(page.text), "full_name": "Nguyễn Lan Anh", "birth_date": "05/09/2012",
        "unit_id": unit, "class_name": "8A1", "phone": phone})


def test_a_teacher_creates_a_contest_and_a_pupil_takes_it_without_anything_counted_twice(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    _people(session_factory)
    log_in(client, "co.mai")
    # A teacher has no case pages: the console sends her to her contests.
    assert client.get("/cases").headers["location"] == "/cuoc-thi"
    contest_id = _create(client)
    console = client.get(f"/cuoc-thi/{contest_id}")
    assert "Lớp em &lt;b&gt;văn minh&lt;/b&gt;" in console.text
    with session_factory() as s:
        slug = s.get(Contest, contest_id).slug
    client.post("/logout", data={"csrf_token": csrf_from(console.text)})

    pupil = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    assert _register(pupil, slug, session_factory).status_code == 303
    again = _register(TestClient(client.app, base_url="http://testserver"), slug, session_factory)
    assert again.status_code == 422 and "Số điện thoại này đã đăng ký" in again.text
    page = pupil.get(f"/thi/{slug}")
    started = pupil.post(f"/thi/{slug}/vong/1", data={"csrf_token": csrf_from(page.text), "guess": "25"})
    key = started.headers["location"].rsplit("/", 1)[1]
    question_page = pupil.get(f"/thi/bai/{key}")
    assert "Câu 1/4" in question_page.text and 'name="choice"' in question_page.text
    with session_factory() as s:
        attempt = s.scalars(select(Attempt)).one()
        drawn, answers = attempt.question_ids, {q.id: q.answer for q in s.scalars(select(Question))}
    # The right answers never reach the browser before submission.
    state = pupil.get(f"/api/v1/thi/bai/{key}").json()
    assert set(state["question"]) == {"id", "text", "choices"} and state["position"] == 0
    body = {"position": 0, "question_id": drawn[0], "choice": answers[drawn[0]]}
    assert pupil.post(f"/api/v1/thi/bai/{key}/tra-loi", json=body).json()["position"] == 1
    replay = pupil.post(f"/api/v1/thi/bai/{key}/tra-loi", json=body)
    assert replay.status_code == 200 and replay.json()["position"] == 1
    changed = pupil.post(f"/api/v1/thi/bai/{key}/tra-loi", json={**body, "choice": (answers[drawn[0]] + 1) % 4})
    assert changed.status_code == 409 and changed.json()["attempt"]["position"] == 1
    not_drawn = next(i for i in answers if i not in drawn)
    tampered = pupil.post(f"/api/v1/thi/bai/{key}/tra-loi", json={"position": 1, "question_id": not_drawn,
                                                                  "choice": 0})
    assert tampered.status_code == 422 and "không được rút cho bạn" in tampered.json()["detail"]
    assert pupil.post(f"/api/v1/thi/bai/{key}/tra-loi", json={"position": 1, "question_id": drawn[1],
                                                             "choice": 1, "extra": 1}).status_code == 422
    done = pupil.post(f"/api/v1/thi/bai/{key}/nop")
    assert done.status_code == 200 and done.json()["score"] == 1
    second = pupil.post(f"/api/v1/thi/bai/{key}/nop")
    assert second.status_code == 409 and "đã được nộp" in second.json()["detail"]
    result = pupil.get(f"/thi/bai/{key}/ket-qua")
    with session_factory() as s:
        explanations = [s.get(Question, qid).explanation for qid in drawn]
    assert "1/4 câu đúng" in result.text and all(e in result.text for e in explanations)
    with session_factory() as s:
        attempt = s.scalars(select(Attempt)).one()
        assert attempt.answers == [answers[drawn[0]]] and attempt.score == 1
        assert s.scalar(select(func.count()).select_from(Participant)) == 1
        code = attempt.certificate_code
    verified = pupil.get(f"/thi/chung-nhan/{code}")
    assert verified.status_code == 200 and "Nguyễn Lan Anh" in verified.text and "0912" not in verified.text
    pdf = pupil.get(f"/thi/chung-nhan/{code}/giay-chung-nhan.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pupil.get("/thi/chung-nhan/KHONGCOMA").status_code == 404

    log_in(client, "co.mai")
    assert "Nguyễn Lan Anh" in client.get(f"/cuoc-thi/{contest_id}").text
    sheet = client.get(f"/cuoc-thi/{contest_id}/ket-qua.xlsx")
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK")


def test_another_teacher_and_case_staff_cannot_reach_a_teachers_contest(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    _people(session_factory)
    log_in(client, "co.mai")
    contest_id = _create(client)
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/cuoc-thi").text)})
    log_in(client, "thay.nam")
    assert client.get(f"/cuoc-thi/{contest_id}").status_code == 403
    assert client.get(f"/cuoc-thi/{contest_id}/ket-qua.xlsx").status_code == 403
    assert client.get("/cuoc-thi/ngan-hang/cau-hoi").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/cuoc-thi").text)})
    log_in(client, "phan.tich")
    assert client.get("/cuoc-thi").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/cases").text)})
    log_in(client, "giao.duc")
    assert client.get(f"/cuoc-thi/{contest_id}").status_code == 200


def test_a_broken_question_file_is_refused_row_by_row_and_a_good_one_imported(
        client: TestClient, session_factory: sessionmaker[Session]) -> None:
    _people(session_factory)
    log_in(client, "giao.duc")
    page = client.get("/cuoc-thi/ngan-hang/cau-hoi")
    book = Workbook()
    book.active.append(list(COLUMNS))
    book.active.append(["M-1", "scams", "Câu hỏi?", "A", "B", "C", "D", "Z", "Vì.", "lua-dao-truc-tuyen", 1])
    out = io.BytesIO()
    book.save(out)
    refused = client.post("/cuoc-thi/ngan-hang/cau-hoi", data={"csrf_token": csrf_from(page.text)},
                          files={"file": ("bank.xlsx", out.getvalue())})
    assert refused.status_code == 422 and "Dòng 2" in refused.text
    exported = client.get("/cuoc-thi/ngan-hang/cau-hoi.xlsx")
    imported = client.post("/cuoc-thi/ngan-hang/cau-hoi", data={"csrf_token": csrf_from(page.text)},
                           files={"file": ("bank.xlsx", exported.content)})
    assert imported.status_code == 303
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 12
    seeded = client.post("/cuoc-thi/ngan-hang/cau-hoi-mau", data={"csrf_token": csrf_from(page.text)})
    assert seeded.status_code == 303
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Question)) == 12 + len(seed_drafts())


class _Gateway(BaseHTTPRequestHandler):
    """An operator's SMS gateway on loopback: keeps what it was asked to send."""

    sent: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Gateway.sent.append((self.headers.get("Authorization", ""), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_with_an_sms_gateway_the_phone_is_confirmed_by_the_code_it_was_sent(
        settings: Settings, session_factory: sessionmaker[Session]) -> None:
    _people(session_factory)
    gateway = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    _Gateway.sent = []
    try:
        app = create_app(settings.model_copy(update={
            "sms_gateway_url": f"http://127.0.0.1:{gateway.server_address[1]}/sms",
            "sms_gateway_token": "khoa-cong-sms"}))
        app.state.sessions = session_factory
        with TestClient(app, base_url="http://testserver", follow_redirects=False) as staff:
            log_in(staff, "co.mai")
            contest_id = _create(staff)
        with session_factory() as s:
            slug = s.get(Contest, contest_id).slug
        pupil = TestClient(app, base_url="http://testserver", follow_redirects=False)
        assert _register(pupil, slug, session_factory, phone="+84 987 654 321").status_code == 303
        [(authorization, message)] = _Gateway.sent
        assert authorization == "Bearer khoa-cong-sms"
        assert message["to"] == "0987654321"
        code = re.search(r"\b(\d{6})\b", message["text"]).group(1)
        page = pupil.get(f"/thi/{slug}")
        assert "form.start-round" not in page.text and 'action="/thi/' + slug + '/xac-nhan"' in page.text
        wrong = pupil.post(f"/thi/{slug}/xac-nhan", data={"csrf_token": csrf_from(page.text),
                                                          "code": "000000" if code != "000000" else "111111"})
        assert wrong.status_code == 422 and "còn 4 lần thử" in wrong.text
        assert pupil.post(f"/thi/{slug}/xac-nhan", data={"csrf_token": csrf_from(page.text),
                                                         "code": code}).status_code == 303
        assert 'class="start-round"' in pupil.get(f"/thi/{slug}").text
    finally:
        gateway.shutdown()
