"""Queue work in the console: search, saved views, bulk operations and merging a duplicate."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.audit.models import AuditEvent, AuditKind
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case, SavedFilter
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from tests.web.conftest import PASSWORD, csrf_from, log_in


def _cases(factory: sessionmaker[Session], analysis: Analysis) -> dict[str, int]:
    with factory() as s:
        source = get_or_create_source(s, name="queue-work", kind="jsonl_export")
        ingest(s, source=source, analysis=analysis, items=[
            RawItem(platform="facebook", external_id=key, text=text, author="Lê Văn Đạt", author_handle="dat.le",
                    published_at=datetime(2026, 11, 10, tzinfo=UTC))
            for key, text in (("dn", "bọn parky ở Đà Nẵng cút về quê"), ("hp", "lũ bắc kỳ ở Hải Phòng cút đi"),
                              ("hn", "bọn parky ở Hà Nội cút về quê"))])
        s.commit()
        return {case.item.external_id: case.id for case in s.scalars(select(Case))}


def test_the_queue_is_searched_without_diacritics_and_a_bad_search_is_said(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    ids = _cases(session_factory, analysis)
    log_in(client)
    page = client.get("/cases", params={"q": "da nang"})
    assert page.status_code == 200 and f'href="/cases/{ids["dn"]}"' in page.text
    assert f'href="/cases/{ids["hp"]}"' not in page.text and 'value="da nang"' in page.text
    assert 'href="/cases?page=2&q=da+nang"' not in page.text  # one page only
    long = client.get("/cases", params={"q": "x" * 201})
    assert long.status_code == 422 and "Nội dung tìm kiếm dài tối đa 200 ký tự." in long.text


def test_a_view_is_saved_shown_and_deleted_by_its_owner_only(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    _cases(session_factory, analysis)
    log_in(client)
    page = client.get("/cases", params={"q": "hai phong", "severity": "high"})
    saved = client.post("/cases/filters", data={"csrf_token": csrf_from(page.text), "name": "Hải Phòng",
                                                "view": "q=hai+phong&severity=high"})
    assert saved.status_code == 303 and saved.headers["location"] == "/cases?q=hai+phong&severity=high"
    page = client.get("/cases")
    assert '<a href="/cases?q=hai+phong&amp;severity=high">Hải Phòng</a>' in page.text
    with session_factory() as s:
        filter_id = s.scalars(select(SavedFilter.id)).one()
        create_user(s, username="khac", password=PASSWORD, display_name="Cán bộ khác")
        s.commit()
    other = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    log_in(other, "khac")
    token = csrf_from(other.get("/cases").text)
    assert "Hải Phòng</a>" not in other.get("/cases").text
    other.post(f"/cases/filters/{filter_id}/delete", data={"csrf_token": token})
    with session_factory() as s:
        assert s.scalars(select(SavedFilter.id)).all() == [filter_id]
    client.post(f"/cases/filters/{filter_id}/delete", data={"csrf_token": csrf_from(page.text)})
    with session_factory() as s:
        assert s.scalars(select(SavedFilter.id)).all() == []


def test_bulk_assign_and_merge_do_each_case_and_name_the_ones_not_done(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    ids = _cases(session_factory, analysis)
    with session_factory() as s:
        create_user(s, username="lanhdao", password=PASSWORD, display_name="Lãnh đạo phòng", role=Role.SUPERVISOR.value)
        s.commit()
    log_in(client, "lanhdao")
    page = client.get("/cases")
    assert 'form="bulk"' in page.text and "Phím tắt: j / k" in page.text
    token = csrf_from(page.text)
    done = client.post("/cases/bulk", data={"csrf_token": token, "operation": "assign", "assignee": str(staff),
                                            "case": [ids["dn"], ids["hp"]], "view": "q=parky"})
    assert done.status_code == 303 and done.headers["location"] == "/cases?q=parky"
    with session_factory() as s:
        assert {s.get_one(Case, ids[k]).assignee_id for k in ("dn", "hp")} == {staff}
        assert s.get_one(Case, ids["hn"]).assignee_id is None
    merged = client.post("/cases/bulk", data={"csrf_token": token, "operation": "merge", "into": f"#{ids['hn']}",
                                              "case": [ids["dn"], ids["hn"]]})
    flashes = client.get(merged.headers["location"]).text
    assert f"Đã thực hiện cho 1 hồ sơ: #{ids['dn']}." in flashes
    assert f"Chưa thực hiện được cho 1 hồ sơ, các hồ sơ này được giữ nguyên: #{ids['hn']}" in flashes
    with session_factory() as s:
        assert s.get_one(Case, ids["dn"]).duplicate_of_id == ids["hn"] and s.get_one(Case, ids["hn"]).status == "new"
        assert s.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == ids["hn"])).all().count(
            AuditKind.REQUEST_REFUSED) == 1
    nothing = client.post("/cases/bulk", data={"csrf_token": token, "operation": "assign", "assignee": str(staff)})
    assert "Vui lòng chọn ít nhất một hồ sơ." in client.get(nothing.headers["location"]).text
    case_page = client.get(f"/cases/{ids['dn']}").text
    assert "Hồ sơ này đã được hợp nhất do trùng lặp vào" in case_page and "Hợp nhất do trùng lặp" in case_page


def test_a_case_page_lists_related_cases_and_merges_from_its_form(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    ids = _cases(session_factory, analysis)
    log_in(client)
    page = client.get(f"/cases/{ids['dn']}")
    assert "Hồ sơ liên quan" in page.text and "cùng tác giả" in page.text
    with session_factory() as s:
        version = s.get_one(Case, ids["dn"]).version
    bad = client.post(f"/cases/{ids['dn']}/merge", data={"csrf_token": csrf_from(page.text), "into": "abc",
                                                          "version": str(version)})
    assert bad.status_code == 422 and "Vui lòng nhập số hồ sơ chính" in bad.text
    done = client.post(f"/cases/{ids['dn']}/merge", data={"csrf_token": csrf_from(page.text), "into": str(ids["hp"]),
                                                           "version": str(version)})
    assert done.status_code == 303
    with session_factory() as s:
        assert s.get_one(Case, ids["dn"]).duplicate_of_id == ids["hp"]


def test_vietnamese_pages_show_no_codes(
    client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis
) -> None:
    ids = _cases(session_factory, analysis)
    log_in(client)
    for path in ("/cases", f"/cases/{ids['dn']}", "/cases?q=ha+noi"):
        html = client.get(path).text
        main = html[html.index("<main "):]
        shown = re.sub(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", " ", main, flags=re.S)
        # Status, category, action, detector and route codes all come through the catalogue.
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b|\b(?:analysts|lexicon|toxicity)\b", shown), path


def test_an_old_decision_keeps_its_action_label_after_the_taxonomy_retires_the_action(
    app: FastAPI, client: TestClient, staff: int, session_factory: sessionmaker[Session], analysis: Analysis,
    taxonomy: Taxonomy,
) -> None:
    ids = _cases(session_factory, analysis)
    with session_factory() as s:
        analyst = s.get_one(User, staff)
        cases.record_decision(s, case_id=ids["dn"], actor=analyst, taxonomy=taxonomy, category="HATE_DISCRIM",
                              legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                              facts="Bài viết kỳ thị.", note="Trái Điều 4.")
        actions.draft_action(s, user=analyst, case_id=ids["dn"], kind="request_takedown", taxonomy=taxonomy,
                             recipient="Ban quản trị trang")
        s.commit()
    retired = {code: action for code, action in taxonomy.actions.items() if code != "request_takedown"}
    app.state.taxonomy = replace(taxonomy, actions=retired)
    log_in(client)
    page = client.get(f"/cases/{ids['dn']}")
    assert page.status_code == 200
    decision = page.text[page.text.index('<div class="decision'):]
    assert "Yêu cầu gỡ bỏ nội dung" in decision[:decision.index("</p>")]
    assert "Yêu cầu gỡ bỏ nội dung" in page.text[page.text.index('<table class="actions">'):]
