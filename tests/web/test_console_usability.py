"""What a newcomer tripped over in the console: filters said, pages counted, caching, navigation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.items import RawItem
from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.service import get_or_create_source
from tests.web.conftest import PASSWORD, csrf_from, log_in


def test_an_unknown_filter_value_is_said_and_the_queue_shown_without_it(
    client: TestClient, staff: int, hate_case: int
) -> None:
    log_in(client)
    page = client.get("/cases", params={"status": "bogus", "severity": "<b>x</b>"})
    assert page.status_code == 200
    assert "Đã bỏ qua giá trị lọc không hợp lệ: trạng thái “bogus”, mức độ “&lt;b&gt;x&lt;/b&gt;”." in page.text
    assert f'href="/cases/{hate_case}"' in page.text


def test_the_queue_counts_its_pages_sorts_by_its_headers_and_refuses_a_bad_page_in_vietnamese(
    client: TestClient, staff: int, hate_case: int
) -> None:
    log_in(client)
    page = client.get("/cases", params={"category": "HATE_DISCRIM"})
    assert "Trang 1/1" in page.text
    assert 'href="/cases?category=HATE_DISCRIM&amp;order=deadline"' in page.text
    by_deadline = client.get("/cases", params={"order": "deadline"})
    assert 'aria-sort="ascending"' in by_deadline.text
    for bad in ("abc", "0", "-1", "10001"):
        refused = client.get("/cases", params={"page": bad})
        assert refused.status_code == 422
        assert "Số trang phải là số nguyên từ 1 đến 10.000." in refused.text, bad
        assert 'href="/sources"' in refused.text  # the navigation stays


def test_staff_pages_are_never_cached_and_error_pages_keep_the_navigation(client: TestClient, staff: int) -> None:
    assert client.get("/login").headers["cache-control"] == "no-store"
    log_in(client)
    queue = client.get("/cases")
    assert queue.headers["cache-control"] == "no-store"
    assert '<a class="skip-link" href="#main">Bỏ qua, đến nội dung chính</a>' in queue.text
    missing = client.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and 'href="/sources"' in missing.text and "Đăng xuất" in missing.text
    assert "cache-control" not in {k.lower() for k in client.get("/static/console.css").headers}


def test_a_source_on_a_private_address_is_refused_when_added_not_when_run(
    client: TestClient, staff: int, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        create_user(s, username="quantri", password=PASSWORD, display_name="Quản trị", role=Role.SUPERVISOR.value)
        s.commit()
    log_in(client, "quantri")
    token = csrf_from(client.get("/sources").text)
    for url, said in (("http://127.0.0.1:8080/feed.xml", "Địa chỉ 127.0.0.1 là địa chỉ nội bộ"),
                      ("http://[::1]/feed", "Địa chỉ ::1 là địa chỉ nội bộ"),
                      ("http://169.254.169.254/latest/meta-data", "Địa chỉ 169.254.169.254 là địa chỉ nội bộ"),
                      ("http://localhost/rss", "Tên máy chủ localhost trỏ tới địa chỉ")):
        refused = client.post("/sources", data={"csrf_token": token, "name": f"Nguồn {url}", "kind": "rss",
                                                "url": url, "interval_min": "60"})
        assert refused.status_code == 422 and said in refused.text, url
    with session_factory() as s:
        assert s.scalars(select(Source.id)).all() == []


def test_a_bad_value_is_named_in_vietnamese_not_by_its_field(client: TestClient, staff: int, hate_case: int) -> None:
    log_in(client)
    token = csrf_from(client.get(f"/cases/{hate_case}").text)
    bad = client.post(f"/cases/{hate_case}/assign", data={"csrf_token": token, "assignee": "abc"})
    assert bad.status_code == 422
    assert "Yêu cầu chưa được thực hiện: cán bộ được giao phải là số nguyên." in bad.text
    assert "assignee" not in bad.text.split("<main", 1)[1]


def test_the_case_page_explains_rules_by_their_description_not_their_id(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    with session_factory() as s:
        ingest(s, source=get_or_create_source(s, name="trang-lon", kind="jsonl_export"), analysis=analysis, items=[
            RawItem(platform="facebook", external_id="big", text="bọn parky cút hết về quê", author_followers=120_000,
                    published_at=datetime(2026, 11, 10, tzinfo=UTC))])
        s.commit()
        case_id = s.scalars(select(Case.id)).one()
    log_in(client)
    page = client.get(f"/cases/{case_id}").text
    trace = page[page.index('<section class="trace">'):]
    trace = trace[:trace.index("</section>")]
    assert "Quy tắc: " in trace
    shown = re.sub(r"<[^>]+>", " ", trace)
    assert not re.search(r"\b[a-z]+(?:-[a-z]+)+\b", shown)  # no rule id such as child-abuse-first


ENGLISH = re.compile(r"\b(?:the|and|not|with|from|this|that|please|error|rule|source|sources|page|case|cases|status|"
                     r"priority|deadline|action|analysts|toxicity|lexicon|unknown|invalid|required|field)\b"
                     r"|\b[a-z]+_[a-z_]+\b|\bteam:|\bdistrict:", re.IGNORECASE)


def _shown_text(html: str) -> str:
    """What a reader sees of a page, less what is data rather than the interface: the content quoted
    from posts, the rules' YAML, codes."""
    main = html[html.index("<body"):]
    for pattern in (r"<(script|style|pre|textarea|code)[^>]*>.*?</\1>", r'<td class="excerpt"[^>]*>.*?</td>',
                    r'<blockquote[^>]*>.*?</blockquote>', r'<div class="text"[^>]*>.*?</div>', r"«[^»]*»"):
        main = re.sub(pattern, " ", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def test_no_vietnamese_page_shows_english_words_or_internal_ids(
    client: TestClient, session_factory: sessionmaker[Session], hate_case: int
) -> None:
    with session_factory() as s:
        create_user(s, username="lanhdao", password=PASSWORD, display_name="Lãnh đạo phòng", role=Role.SUPERVISOR.value)
        s.commit()
    assert not ENGLISH.findall(_shown_text(client.get("/login").text)), "/login"
    log_in(client, "lanhdao")
    token = csrf_from(client.get("/sources").text)
    client.post("/sources", data={"csrf_token": token, "name": "Báo Điện tử", "kind": "rss",
                                  "url": "https://bao-dien-tu.invalid/rss", "interval_min": "60"})
    with session_factory() as s:
        source_id = s.scalars(select(Source.id)).first()
    for path in ("/cases", f"/cases/{hate_case}", "/cases?status=bogus", "/cases?page=abc", "/sources",
                 f"/sources/{source_id}", "/rules", "/rules/versions/0", "/khong-co"):
        shown = _shown_text(client.get(path).text)
        assert "Mạng Xanh" in shown and "Đăng xuất" in shown, path  # the page's own text is what is read
        found = ENGLISH.findall(shown)
        assert not found, (path, found)
    assert ENGLISH.findall(_shown_text("<body><p>Nhóm xử lý: analysts, team:fraud, request_takedown</p>"))


def test_a_malformed_selection_in_a_bulk_request_is_named_in_vietnamese(
    client: TestClient, staff: int, hate_case: int
) -> None:
    log_in(client)
    token = csrf_from(client.get("/cases").text)
    bad = client.post("/cases/bulk", data={"csrf_token": token, "operation": "merge", "into": "1", "case": ["x"]})
    assert bad.status_code == 422
    assert "Yêu cầu chưa được thực hiện: các hồ sơ đã chọn phải là số nguyên." in bad.text
