from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings
from mangxanh.core.items import RawItem
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.web.app import create_app

PASSWORD = "mật khẩu đủ dài 123"


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    application = create_app(settings)
    application.state.sessions = session_factory
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def staff(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        user = create_user(s, username="hoa", password=PASSWORD, display_name="Chuyên viên Hoa")
        s.commit()
        return user.id


@pytest.fixture
def hate_case(session_factory: sessionmaker[Session], analysis: Analysis) -> int:
    with session_factory() as s:
        source = get_or_create_source(s, name="web-test", kind="jsonl_export")
        items = [
            RawItem(platform="facebook", external_id="x1", text="<script>alert(1)</script> bọn parky cút về quê",
                    published_at=datetime(2026, 11, 10, tzinfo=UTC), reactions=500),
            RawItem(platform="facebook", external_id="x2", text="vcl", published_at=datetime(2026, 11, 10, tzinfo=UTC)),
        ]
        ingest(s, source=source, items=items, analysis=analysis)
        s.commit()
        return s.scalars(select(Case).where(Case.category == "HATE_DISCRIM")).one().id


def csrf_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def log_in(client: TestClient, username: str = "hoa", password: str = PASSWORD) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                           "next": "/cases"})
    assert response.status_code == 303, response.text
