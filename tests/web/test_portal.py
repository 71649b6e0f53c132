"""The citizens' portal over HTTP: the form without JavaScript, autosave, the status page, the API, limits."""

import io
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.cases.models import Case
from mangxanh.domains.citizen_reports.models import CitizenReport, ReportState
from mangxanh.domains.content.service import Analysis
from tests.web.conftest import csrf_from, log_in

CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def portal(app: FastAPI, analysis: Analysis, client: TestClient) -> TestClient:
    app.state.analysis = analysis  # the filer uses the tests' detectors
    # The tests' sessions share one connection: each request waits for the filing it started.
    send = client.request

    def request_then_filing(*args: object, **kwargs: object) -> object:
        response = send(*args, **kwargs)  # type: ignore[arg-type]
        app.state.report_filer.join()
        return response

    client.request = request_then_filing  # type: ignore[method-assign]
    return client


def _png(**info: str) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (40, 30), "red")
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    image.save(out, "PNG", pnginfo=meta)
    return out.getvalue()


def _send(client: TestClient, **fields: object) -> object:
    token = csrf_from(client.get("/phan-anh").text)
    data = {"csrf_token": token, "action": "send", **fields}
    files = data.pop("files", None)
    return client.post("/phan-anh", data=data, files=files)  # type: ignore[arg-type]


def test_form_sends_a_report_that_becomes_a_case(portal: TestClient, app: FastAPI,
                                                 session_factory: sessionmaker[Session]) -> None:
    page = portal.get("/phan-anh")
    assert page.status_code == 200 and "Thoát nhanh" in page.text and "111" in page.text
    assert page.text.index("choice-child_abuse") < page.text.index("choice-scam")  # child abuse first
    response = _send(portal, links="https://m.facebook.com/trang-gia/posts/77?mibextid=z", choice="scam",
                     description="Trang giả mạo <b>ngân hàng</b> đòi chuyển khoản",
                     files=[("screenshots", ("anh.png", _png(GPS="21.0,105.8"), "image/png"))])
    assert response.status_code == 303 and response.headers["location"] == "/phan-anh/da-gui"
    sent = portal.get("/phan-anh/da-gui")
    code = CODE.search(sent.text).group()  # type: ignore[union-attr]
    assert "<svg" in sent.text
    app.state.report_filer.join()
    with session_factory() as s:
        report = s.scalars(select(CitizenReport)).one()
        assert report.state == ReportState.FILED and report.links[0].identity == "facebook.com/trang-gia/posts/77"
        shot = report.screenshots[0]
        assert shot.mime == "image/png" and b"GPS" not in shot.data and (shot.width, shot.height) == (40, 30)
        case = s.get(Case, report.links[0].case_id)
        assert case is not None and case.category == "SCAM_FRAUD"
    status = portal.get(f"/tra-cuu?ma={code.lower()}")
    assert status.status_code == 200 and "Đã tiếp nhận" in status.text
    assert "&lt;b&gt;ngân hàng&lt;/b&gt;" in status.text and "<b>ngân hàng" not in status.text


def test_child_abuse_path_refuses_screenshots(portal: TestClient, session_factory: sessionmaker[Session]) -> None:
    response = _send(portal, links="https://x-video.example/clip/1", choice="child_abuse",
                     files=[("screenshots", ("a.png", _png(), "image/png"))])
    assert response.status_code == 422 and "chỉ gửi đường liên kết" in response.text
    assert "https://x-video.example/clip/1" in response.text  # the answers are kept
    with session_factory() as s:
        assert s.scalar(select(CitizenReport.id)) is None


@pytest.mark.parametrize(("data", "status"), [
    (b"GIF89a" + b"\0" * 50, 422), (b"\x89PNG\r\n\x1a\n" + b"broken", 422), (b"<script>alert(1)</script>", 422),
])
def test_bad_screenshots_are_refused_with_a_message(portal: TestClient, data: bytes, status: int) -> None:
    response = _send(portal, links="https://a.vn/1", choice="scam",
                     files=[("screenshots", ("x.png", data, "image/png"))])
    assert response.status_code == status and "PNG, JPEG hoặc WebP" in response.text


def test_autosave_keeps_a_draft_and_the_form_finishes_it(portal: TestClient, app: FastAPI,
                                                        session_factory: sessionmaker[Session]) -> None:
    token = csrf_from(portal.get("/phan-anh").text)
    saved = portal.post("/phan-anh/nhap", data={"csrf_token": token, "links": "https://b.vn/tin-don"})
    code = saved.json()["code"]
    assert CODE.fullmatch(code)
    again = portal.post("/phan-anh/nhap", data={"csrf_token": token, "code": code, "links": "https://b.vn/tin-don",
                                                "choice": "false_news"})
    assert again.json()["code"] == code
    bad = portal.post("/phan-anh/nhap", data={"csrf_token": token, "code": code, "links": "ftp://x"})
    assert bad.status_code == 422 and "không phải là địa chỉ web" in bad.json()["detail"]
    response = portal.post("/phan-anh", data={"csrf_token": token, "code": code, "links": "https://b.vn/tin-don",
                                              "choice": "false_news", "action": "send"})
    assert response.status_code == 303
    with session_factory() as s:
        (report,) = s.scalars(select(CitizenReport)).all()
        assert report.state in (ReportState.SUBMITTED, ReportState.FILED) and report.category == "FALSE_INFO"


def test_forms_without_their_token_change_nothing(portal: TestClient, session_factory: sessionmaker[Session]) -> None:
    response = portal.post("/phan-anh", data={"links": "https://c.vn/1", "choice": "scam", "action": "send"})
    assert response.status_code == 403
    with session_factory() as s:
        assert s.scalar(select(CitizenReport.id)) is None


def test_trap_field_sets_a_report_aside(portal: TestClient, session_factory: sessionmaker[Session]) -> None:
    assert _send(portal, links="https://d.vn/1", choice="spam", website="http://spam.example").status_code == 303
    with session_factory() as s:
        report = s.scalars(select(CitizenReport)).one()
        assert report.state == ReportState.SET_ASIDE and report.set_aside_reason == "trap"


def test_flood_limit_answers_429_with_the_time(app: FastAPI, portal: TestClient) -> None:
    app.state.settings = app.state.settings.model_copy(update={"report_limit_per_address": 1})
    assert _send(portal, links="https://e.vn/1", choice="spam").status_code == 303
    refused = _send(portal, links="https://e.vn/2", choice="spam")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "chưa được gửi" in refused.text and "https://e.vn/2" in refused.text


def test_oversized_body_is_refused_before_it_is_read(portal: TestClient) -> None:
    token = csrf_from(portal.get("/phan-anh").text)
    response = portal.post("/phan-anh", content=b"x" * 100, headers={
        "content-type": "multipart/form-data; boundary=zz", "content-length": str(60 * 1024 * 1024)})
    assert response.status_code in (413, 422) and "MB" in response.text
    assert token


def test_api_files_a_report_and_reads_its_status(portal: TestClient, app: FastAPI) -> None:
    created = portal.post("/api/v1/reports", json={"links": ["https://youtu.be/abc123?si=q"], "choice": "hate"})
    assert created.status_code == 201
    code = created.json()["code"]
    assert created.json()["links"] == ["https://youtube.com/watch?v=abc123"]
    app.state.report_filer.join()
    status = portal.get(f"/api/v1/reports/{code}", headers={"accept-language": "en"})
    assert status.status_code == 200 and status.json()["stage"] == "received"
    assert portal.get("/api/v1/reports/ZZZZ-ZZZZ-ZZZZ").status_code == 404
    assert portal.post("/api/v1/reports", json={"links": [], "choice": "hate"}).status_code == 422
    assert portal.post("/api/v1/reports", json={"links": ["x"], "choice": "hate", "admin": True}).status_code == 422
    broken = portal.post("/api/v1/reports", content=b"\xff{", headers={"content-type": "application/json"})
    assert broken.status_code == 400 and "JSON" in broken.json()["detail"] and "không" in broken.json()["detail"]


def test_status_page_add_information_and_withdraw_contact(portal: TestClient) -> None:
    _send(portal, links="https://f.vn/1", choice="insult", email="ban@example.vn")
    code = CODE.search(portal.get("/phan-anh/da-gui").text).group()  # type: ignore[union-attr]
    page = portal.get(f"/tra-cuu?ma={code}")
    token = csrf_from(page.text)
    added = portal.post("/tra-cuu/bo-sung",
                        data={"csrf_token": token, "code": code, "text": "<img src=x onerror=alert(1)>"})
    assert added.status_code == 200 and "&lt;img src=x" in added.text and "<img src=x" not in added.text
    gone = portal.post("/tra-cuu/rut-lien-he", data={"csrf_token": token, "code": code})
    assert gone.status_code == 200 and "đã được xóa" in gone.text
    unknown = portal.get("/tra-cuu?ma=nope")
    assert unknown.status_code == 404 and "Không có phản ánh" in unknown.text


def test_staff_read_reports_on_the_case(portal: TestClient, app: FastAPI, staff: int,
                                        session_factory: sessionmaker[Session]) -> None:
    _send(portal, links="https://g.vn/1", choice="scam", description="<script>alert('x')</script>",
          email="nguoi@example.vn")
    app.state.report_filer.join()
    with session_factory() as s:
        report = s.scalars(select(CitizenReport)).one()
        case_id, report_id = report.links[0].case_id, report.id
    log_in(portal)
    case_page = portal.get(f"/cases/{case_id}")
    assert f"/cases/{case_id}/reports" in case_page.text
    page = portal.get(f"/cases/{case_id}/reports")
    assert page.status_code == 200 and "&lt;script&gt;" in page.text and "nguoi@example.vn" not in page.text
    shown = portal.post(f"/cases/{case_id}/reports/{report_id}/contact", data={"csrf_token": csrf_from(page.text)})
    assert shown.status_code == 200 and "nguoi@example.vn" in shown.text
