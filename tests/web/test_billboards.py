"""The e-billboards over HTTP: the public slideshow, its feed and service worker, and the editors' pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.db import utcnow
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.billboards.models import BillboardMessage
from mangxanh.domains.education.billboards.schedule import LOCAL_TZ
from mangxanh.domains.education.billboards.schemas import MessageDraft, ScreenDraft
from mangxanh.domains.education.billboards.service import create_message, create_screen
from mangxanh.web.session import LANG_COOKIE
from tests.web.conftest import PASSWORD, csrf_from, log_in

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


@pytest.fixture
def accounts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """One account of each kind the billboards care about, and a lobby screen with one message."""
    with session_factory() as s:
        ids = {name: create_user(s, username=name, password=PASSWORD, display_name=f"Cán bộ {name}", role=role).id
               for name, role in (("giaoduc", "education_officer"), ("giaovien", "teacher"),
                                  ("chuyenvien", "analyst"), ("lanhdao", "supervisor"))}
        s.commit()
    return ids


@pytest.fixture
def lobby(session_factory: sessionmaker[Session], accounts: dict[str, int]) -> int:
    from mangxanh.domains.accounts.models import User

    with session_factory() as s:
        editor = s.get(User, accounts["giaoduc"])
        assert editor is not None
        create_screen(s, code="sanh-a", actor=editor,
                      draft=ScreenDraft(name="Sảnh tòa A", location="Cầu Giấy", orientation="landscape"))
        now = utcnow()
        message = create_message(s, author=editor, draft=MessageDraft(
            title=f"Cảnh giác {HOSTILE}", body=f"Không đọc mã OTP. {HOSTILE}", source="Sở Khoa học và Công nghệ Hà Nội",
            theme="amber", valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=10), seconds=9))
        s.commit()
        return message.id


def _messages(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(BillboardMessage)) or 0)


def _in_english(client: TestClient) -> None:
    client.cookies.set(LANG_COOKIE, "en")


def test_the_feed_is_json_with_schedules_and_an_etag_that_revalidates(client: TestClient, lobby: int) -> None:
    answer = client.get("/api/v1/billboards/sanh-a/feed")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-cache"
    body = answer.json()
    assert answer.headers["etag"] == f'"{body["version"]}"'
    assert body["screen"]["code"] == "sanh-a" and body["showing_now"] == [lobby]
    message = body["messages"][0]
    assert message["title"] == f"Cảnh giác {HOSTILE}" and message["seconds"] == 9  # JSON: the script shows it as text
    assert message["schedule"] == {"weekdays": [], "from": None, "until": None}
    again = client.get("/api/v1/billboards/sanh-a/feed", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == answer.headers["etag"]
    assert client.get("/api/v1/billboards/khong-co/feed").status_code == 404
    assert client.get("/api/v1/billboards/S%E1%BA%A3nh/feed").status_code == 404


def test_the_slideshow_is_public_escaped_cookie_free_and_kept_by_its_service_worker(
        client: TestClient, lobby: int) -> None:
    page = client.get("/bang-tin/sanh-a")
    assert page.status_code == 200 and "set-cookie" not in page.headers
    assert page.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert HOSTILE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert 'data-feed="/api/v1/billboards/sanh-a/feed"' in page.text and 'data-worker="/bang-tin/sw.js"' in page.text
    assert f'data-id="{lobby}" data-seconds="9"' in page.text and 'class="slide theme-amber"' in page.text
    assert "<script>" not in page.text.replace('<script src="/static/billboard.js" defer></script>', "")
    worker = client.get("/bang-tin/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("application/javascript")
    assert worker.headers["service-worker-allowed"] == "/bang-tin/" and worker.headers["cache-control"] == "no-cache"
    assert "caches.open" in worker.text
    missing = client.get("/bang-tin/khong-co")
    assert missing.status_code == 404 and 'href="/phan-anh"' in missing.text  # the portal's layout
    assert client.get("/bang-tin/..%2Fcases").status_code == 404


@pytest.mark.parametrize("username", ["giaovien", "chuyenvien"])
def test_teachers_and_analysts_are_refused_the_editor(
        client: TestClient, lobby: int, username: str, session_factory: sessionmaker[Session]) -> None:
    log_in(client, username)
    token = csrf_from(client.get("/login").text)
    for path in ("/billboards", "/billboards/new", f"/billboards/{lobby}", "/billboards/screens"):
        assert client.get(path).status_code == 403, path
    refused = client.post("/billboards/new", data={"csrf_token": token, "title": "Tin giả", "body": "x",
                                                   "valid_from": "2026-12-01T08:00", "valid_until": "2099-12-01T08:00",
                                                   "theme": "green", "seconds": "10"})
    assert refused.status_code == 403
    assert client.post(f"/billboards/{lobby}/withdraw", data={"csrf_token": token}).status_code == 403
    assert _messages(session_factory) == 1
    assert client.get("/bang-tin/sanh-a").text.count("data-id=") == 1  # still playing


def test_signed_out_visitors_are_sent_to_log_in(client: TestClient, lobby: int) -> None:
    answer = client.get("/billboards")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def _form(token: str, **changes: object) -> dict[str, object]:
    start = utcnow().astimezone(LOCAL_TZ)
    form: dict[str, object] = {
        "csrf_token": token, "title": "Nghĩ trước khi đăng", "body": "Điều này có đúng không?\nCó làm ai tổn thương?",
        "source": "Sở Khoa học và Công nghệ Hà Nội", "theme": "green",
        "valid_from": (start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "valid_until": (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "weekdays": ["1", "2", "3", "4", "5"], "daily_from": "06:30", "daily_until": "17:30",
        "screens": ["sanh-a"], "seconds": "15"}
    form.update(changes)
    return form


def test_an_education_officer_writes_edits_and_withdraws_a_message(
        client: TestClient, lobby: int, session_factory: sessionmaker[Session]) -> None:
    _in_english(client)
    log_in(client, "giaoduc")
    listing = client.get("/billboards")
    assert listing.status_code == 200 and 'href="/billboards"' in listing.text  # in the navigation
    assert HOSTILE not in listing.text and "&lt;img src=x" in listing.text
    new = client.get("/billboards/new")
    assert new.text.count('class="stage landscape"') == 1 and new.text.count('class="stage portrait"') == 1
    token = csrf_from(new.text)
    assert client.post("/billboards/new", data=_form("")).status_code == 403  # no CSRF token
    assert _messages(session_factory) == 1
    made = client.post("/billboards/new", data=_form(token))
    assert made.status_code == 303 and made.headers["location"] == "/billboards"
    with session_factory() as s:
        message = s.scalars(select(BillboardMessage).order_by(BillboardMessage.id.desc())).first()
        assert message is not None and message.weekdays == [1, 2, 3, 4, 5] and message.screen_codes == ["sanh-a"]
        assert message.body == "Điều này có đúng không?\nCó làm ai tổn thương?" and message.seconds == 15
        new_id = message.id
    listed = client.get("/billboards").text
    assert "Message added to the screens." in listed
    assert "Monday, Tuesday, Wednesday, Thursday, Friday, 06:30–17:30" in listed

    edit = client.get(f"/billboards/{new_id}")
    assert 'value="Nghĩ trước khi đăng"' in edit.text and 'value="1" checked' in edit.text
    bad = client.post(f"/billboards/{new_id}", data=_form(token, valid_until="2020-01-01T08:00"))
    assert bad.status_code == 422 and "The end of the validity period must come after its start." in bad.text
    assert 'value="2020-01-01T08:00"' in bad.text  # what was typed comes back
    for changes, refusal in (({"seconds": "abc"}, "between 5 and 60 seconds"),
                             ({"valid_from": "hôm qua"}, "start of the"),
                             ({"weekdays": ["9"]}, "Unknown day of the week: 9."),
                             ({"daily_until": "25:99"}, "not a time of day"), ({"body": "x" * 300}, "longer than 280"),
                             ({"screens": ["khong-co"]}, "Unknown screen: khong-co.")):
        answer = client.post(f"/billboards/{new_id}", data=_form(token, **changes))
        assert answer.status_code == 422 and refusal in answer.text, changes
    saved = client.post(f"/billboards/{new_id}", data=_form(token, title=HOSTILE, theme="red", weekdays=[],
                                                            daily_from="", daily_until="", screens=[]))
    assert saved.status_code == 303
    with session_factory() as s:
        stored = s.get(BillboardMessage, new_id)
        assert stored is not None and (stored.title, stored.theme, stored.weekdays, stored.screen_codes) == (
            HOSTILE, "red", [], [])
    assert HOSTILE not in client.get(f"/billboards/{new_id}").text

    assert client.post(f"/billboards/{new_id}/withdraw", data={"csrf_token": token}).status_code == 303
    assert "Withdrawn" in client.get("/billboards").text
    again = client.post(f"/billboards/{new_id}/withdraw", data={"csrf_token": token})
    assert again.status_code == 303 and "already withdrawn" in client.get("/billboards").text
    feed = client.get("/api/v1/billboards/sanh-a/feed").json()
    assert [m["id"] for m in feed["messages"]] == [lobby]
    assert client.get("/billboards/999999").status_code == 404


def test_editors_manage_screens(client: TestClient, lobby: int) -> None:
    _in_english(client)
    log_in(client, "lanhdao")
    page = client.get("/billboards/screens")
    assert page.status_code == 200 and 'href="/bang-tin/sanh-a"' in page.text
    token = csrf_from(page.text)
    made = client.post("/billboards/screens", data={"csrf_token": token, "code": "truong-b", "name": "Trường B",
                                                    "location": HOSTILE, "orientation": "portrait"})
    assert made.status_code == 303
    listed = client.get("/billboards/screens").text
    assert "Screen added." in listed and HOSTILE not in listed and "&lt;script&gt;" in listed
    twice = client.post("/billboards/screens", data={"csrf_token": token, "code": "truong-b", "name": "Trùng",
                                                     "orientation": "landscape"})
    assert twice.status_code == 422 and "A screen with the code truong-b already exists." in twice.text
    assert 'value="Trùng"' in twice.text
    wrong = client.post("/billboards/screens", data={"csrf_token": token, "code": "Trường B", "name": "X",
                                                     "orientation": "landscape"})
    assert wrong.status_code == 422 and "lowercase letters" in wrong.text
    turned = client.post("/billboards/screens/sanh-a", data={"csrf_token": token, "name": "Sảnh A",
                                                             "location": "Tầng 1", "orientation": "portrait"})
    assert turned.status_code == 303
    assert client.get("/api/v1/billboards/sanh-a/feed").json()["screen"]["orientation"] == "portrait"
    assert client.post("/billboards/screens/khong-co", data={"csrf_token": token, "name": "X",
                                                             "orientation": "portrait"}).status_code == 404


def test_the_editor_speaks_vietnamese_by_default(client: TestClient, lobby: int) -> None:
    log_in(client, "giaoduc")
    page = client.get("/billboards")
    assert "Bảng tin điện tử" in page.text and "Đang chạy" in page.text
    token = csrf_from(page.text)
    bad = client.post("/billboards/new", data=_form(token, seconds="3"))
    assert bad.status_code == 422 and "Thời gian hiển thị phải từ 5 đến 60 giây." in bad.text
    assert "Không có mạng: đang phát các thông điệp nhận được lần cuối." in client.get("/bang-tin/sanh-a").text
