"""The learning area over HTTP: the library, an article, the checker page and its JSON twin."""

from dataclasses import replace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.detectors.lexicon import LexiconDetector
from mangxanh.core.analysis.detectors.personal_data import PersonalDataDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.education.models import SharedDraft
from tests.web.conftest import csrf_from


def _rules_only(app: FastAPI, analysis: Analysis) -> None:
    """The rules' detectors only: what they find is fixed by their data files, not by a retrained model."""
    app.state.analysis = replace(analysis, pipeline=Pipeline([LexiconDetector(), PersonalDataDetector()]))


def _shared(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(SharedDraft)) or 0)


def test_the_library_lists_searches_without_diacritics_and_links_each_article(client: TestClient) -> None:
    page = client.get("/hoc")
    assert page.status_code == 200 and "Điều 4. Quy tắc ứng xử cho tổ chức, cá nhân" in page.text
    found = client.get("/hoc", params={"q": "lua dao"})
    assert 'href="/hoc/bai/lua-dao-truc-tuyen"' in found.text and "Điều 7" not in found.text
    pupils = client.get("/hoc", params={"doi_tuong": "pupils"})
    assert "an-toan-cho-hoc-sinh" in pupils.text and "dieu-5-can-bo-cong-chuc" not in pupils.text
    article = client.get("/hoc/bai/dieu-4-to-chuc-ca-nhan")
    assert article.status_code == 200 and "Ví dụ nên làm" in article.text and "Quyết định 874/QĐ-BTTTT" in article.text
    assert client.get("/hoc/bai/khong-co").status_code == 404
    assert "&lt;script&gt;" in client.get("/hoc", params={"q": "<script>alert(1)</script>"}).text


def test_the_checker_explains_and_rewrites_and_stores_nothing_without_consent(
        client: TestClient, app: FastAPI, analysis: Analysis, session_factory: sessionmaker[Session]) -> None:
    _rules_only(app, analysis)
    token = csrf_from(client.get("/hoc/can-nhac").text)
    draft = "<script>alert(1)</script> đm, câm mồm đi, đồ mất dạy! Gọi 0912 345 678"
    page = client.post("/hoc/can-nhac", data={"csrf_token": token, "draft": draft})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "Vi phạm quy định" in page.text and "<mark" in page.text and "<del>" in page.text
    assert "xin dừng lại đi, thiếu lịch sự! Gọi xxxx xxx x78</textarea>" in page.text
    assert 'href="/hoc/bai/dieu-4-to-chuc-ca-nhan"' in page.text
    assert _shared(session_factory) == 0
    client.post("/hoc/can-nhac", data={"csrf_token": token, "draft": draft, "share": "yes"})
    assert _shared(session_factory) == 1
    empty = client.post("/hoc/can-nhac", data={"csrf_token": token, "draft": "  "})
    assert empty.status_code == 422 and "Hãy dán nội dung bạn định đăng." in empty.text
    assert client.post("/hoc/can-nhac", data={"draft": draft}).status_code == 403  # no CSRF token
    assert _shared(session_factory) == 1


def test_the_checker_api_answers_in_json_and_keeps_only_what_is_shared(
        client: TestClient, app: FastAPI, analysis: Analysis, session_factory: sessionmaker[Session]) -> None:
    _rules_only(app, analysis)
    answer = client.post("/api/v1/checker", json={"text": "Bạn đúng là óc chó, STK vietcombank 0123456789"})
    body = answer.json()
    assert answer.status_code == 200 and body["risk"] == "high" and body["stored"] is False
    assert body["kinder"] == "Bạn đúng là thiếu suy nghĩ, STK vietcombank xxxxxxx789"
    assert {c["category"] for c in body["concerns"]} >= {"DEFAME_INSULT"}
    assert any(h["categories"] for h in body["highlights"])
    assert _shared(session_factory) == 0
    assert client.post("/api/v1/checker", json={"text": "Chào cả nhà", "share": True}).json()["risk"] == "none"
    assert _shared(session_factory) == 1
    assert client.post("/api/v1/checker", json={"text": "x" * 5_001}).status_code == 422
    assert client.post("/api/v1/checker", json={"text": "a", "extra": 1}).status_code == 422
    assert client.post("/api/v1/checker", json={"text": " "}).json()["detail"] == "Hãy dán nội dung bạn định đăng."
