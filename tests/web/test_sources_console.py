"""The sources console: who may change sources, validation, pause, tokens shown once."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.sources.models import ApiToken, Source
from mangxanh.domains.sources.schedule import RunOutcome, record_run
from mangxanh.domains.sources.service import create_source
from mangxanh.domains.sources.tokens import authenticate
from tests.web.conftest import PASSWORD, csrf_from, log_in


@pytest.fixture
def admin(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        user = create_user(s, username="quantri", password=PASSWORD, display_name="Quản trị", role="admin")
        s.commit()
        return user.id


def _form(client: TestClient, page: str) -> str:
    return csrf_from(client.get(page).text)


def test_an_analyst_sees_sources_but_cannot_add_one(
    client: TestClient, staff: int, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        source = create_source(s, name="Báo Tin Mới", kind="rss", url="https://tinmoi.example.vn/rss")
        record_run(s, source, RunOutcome(error="Server answered {status}", error_params={"status": 503}),
                   started_at=source.created_at)
        s.commit()
    log_in(client)
    page = client.get("/sources")
    assert page.status_code == 200
    assert "Báo Tin Mới" in page.text and "Nguồn tin" in page.text
    assert "Thêm nguồn" not in page.text
    response = client.post("/sources", data={"name": "x", "kind": "api", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 403
    with session_factory() as s:
        assert s.scalar(select(Source).where(Source.name == "x")) is None


def test_an_admin_adds_edits_pauses_and_deletes_a_source(
    client: TestClient, admin: int, session_factory: sessionmaker[Session],
) -> None:
    log_in(client, "quantri")
    token = _form(client, "/sources")
    bad = client.post("/sources", data={"name": "Báo <b>X</b>", "kind": "rss", "url": "javascript:alert(1)",
                                        "interval_min": 30, "csrf_token": token})
    assert bad.status_code == 422
    assert "Báo &lt;b&gt;X&lt;/b&gt;" in bad.text
    with session_factory() as s:
        assert s.scalars(select(Source)).all() == []
    made = client.post("/sources", data={"name": "Báo X", "kind": "rss", "url": "https://x.example.vn/rss",
                                         "interval_min": 30, "csrf_token": token})
    assert made.status_code == 303
    page = made.headers["location"]
    edited = client.post(page, data={"name": "Báo X (RSS)", "url": "https://x.example.vn/rss.xml",
                                     "interval_min": 15, "csrf_token": token})
    assert edited.status_code == 303
    assert client.post(f"{page}/pause", data={"paused": "true", "csrf_token": token}).status_code == 303
    with session_factory() as s:
        source = s.scalars(select(Source)).one()
        assert (source.name, source.interval_s, source.is_active) == ("Báo X (RSS)", 900, False)
    assert "Tạm dừng" in client.get(page).text
    assert client.post(f"{page}/delete", data={"csrf_token": token}).status_code == 303
    assert client.get(page).status_code == 404


def test_a_token_is_shown_once_and_can_be_revoked(
    client: TestClient, admin: int, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        source_id = create_source(s, name="Cổng đối tác", kind="api").id
        s.commit()
    log_in(client, "quantri")
    token = _form(client, f"/sources/{source_id}")
    answer = client.post(f"/sources/{source_id}/tokens", data={"name": "Đối tác A", "csrf_token": token})
    assert answer.status_code == 200
    clear = answer.text.split('<code class="token">')[1].split("</code>")[0]
    assert clear.startswith("mx_")
    assert clear not in client.get(f"/sources/{source_id}").text
    assert all(clear not in value for value in client.cookies.values())
    with session_factory() as s:
        stored = s.scalars(select(ApiToken)).one()
        assert authenticate(s, clear)[0].id == stored.id
    revoked = client.post(f"/sources/{source_id}/tokens/{stored.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    with session_factory() as s:
        assert s.get_one(ApiToken, stored.id).revoked_at is not None
