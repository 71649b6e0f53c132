"""The outreach console: a rumour answered from its case (drafted, approved by another person, published),
partner pages registered with their member counts, a campaign created and its workbook downloaded."""

import io
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.detectors.false_info import FalseInfoDetector
from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import load_taxonomy
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.models import Campaign, PartnerPage, RumourAnswer
from mangxanh.domains.sources.service import get_or_create_source
from tests.domains.test_outreach_answers import RUMOUR, SOURCE_URL
from tests.web.conftest import PASSWORD, csrf_from, log_in


@pytest.fixture
def rumour_case(app: FastAPI, analysis: Analysis, session_factory: sessionmaker[Session], staff: int) -> int:
    app.state.analysis = replace(analysis, pipeline=Pipeline([FalseInfoDetector()]))
    with session_factory() as s:
        create_user(s, username="lan", password=PASSWORD, display_name="Trưởng phòng Lan", role="supervisor")
        create_user(s, username="xem", password=PASSWORD, display_name="Cán bộ xem", role="viewer")
        ingest(s, source=get_or_create_source(s, name="web-test", kind="jsonl_export"), analysis=app.state.analysis,
               items=[RawItem(platform="facebook", external_id="r1", text=RUMOUR,
                              published_at=datetime(2026, 11, 25, 11, tzinfo=UTC))])
        case = s.scalars(select(Case).where(Case.category == "FALSE_INFO")).one()
        cases.record_decision(s, case_id=case.id, actor=s.get_one(User, staff), taxonomy=load_taxonomy(),
                              category="FALSE_INFO", legal_basis="decree-147-2024|", action="publish_correction",
                              facts="Tin đồn lấp Hồ Gươm.", note="Thông tin sai sự thật.")
        s.commit()
        return case.id


def test_a_rumour_is_answered_from_its_case(client: TestClient, rumour_case: int,
                                            session_factory: sessionmaker[Session]) -> None:
    log_in(client)
    case_page = client.get(f"/cases/{rumour_case}")
    assert f"/answers/new?case_id={rumour_case}" in case_page.text
    form = client.get("/answers/new", params={"case_id": rumour_case})
    # The correction the detector matched is chosen, and the draft written from it.
    assert form.status_code == 200 and 'value="HN-2026-113" selected' in form.text and SOURCE_URL in form.text
    token = csrf_from(form.text)
    fields = {"csrf_token": token, "case_id": rumour_case, "correction": "HN-2026-113"}
    refused = client.post("/answers", data={**fields, "post": "Tin lấp Hồ Gươm là sai sự thật."})
    assert refused.status_code == 422 and "nguồn chính thức" in refused.text
    post = f"THÔNG TIN CẢI CHÍNH: không lấp Hồ Gươm <b>xây ga</b>. Nguồn: {SOURCE_URL}"
    sent = client.post("/answers", data={**fields, "post": post, "notice": "Đề nghị các trang chia sẻ."})
    assert sent.status_code == 303
    answer_url = sent.headers["location"]
    page = client.get(answer_url)
    assert "&lt;b&gt;xây ga&lt;/b&gt;" in page.text and "<b>xây ga" not in page.text  # escaped
    assert "/approve" not in page.text  # the drafter does not approve
    assert client.post(f"{answer_url}/approve", data={"csrf_token": token}).status_code == 403

    client.post("/logout", data={"csrf_token": token})
    log_in(client, "lan")
    token = csrf_from(client.get(answer_url).text)
    assert client.post(f"{answer_url}/approve", data={"csrf_token": token}).status_code == 303
    bad = client.post(f"{answer_url}/publish", data={"csrf_token": token, "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "https://" in bad.text
    assert client.post(f"{answer_url}/publish", data={"csrf_token": token,
                                                      "url": "https://www.facebook.com/sotttt/posts/1"}
                       ).status_code == 303
    page = client.get(answer_url)
    assert "Bản sao tin đồn trước / sau khi cải chính" in page.text and 'class="copies">1 / 0' in page.text
    with session_factory() as s:
        answer = s.scalars(select(RumourAnswer)).one()
        states = dict(s.execute(select(OutwardAction.kind, OutwardAction.state)
                                .where(OutwardAction.case_id == rumour_case)).all())
        assert states == {"publish_correction": "done", "counter_messaging": "sent"}
        assert answer.published_url == "https://www.facebook.com/sotttt/posts/1"
    case_page = client.get(f"/cases/{rumour_case}")
    assert "Đăng tải thông tin cải chính" in case_page.text and answer_url in case_page.text


def test_partner_pages_and_a_campaign(client: TestClient, rumour_case: int,
                                      session_factory: sessionmaker[Session]) -> None:
    log_in(client)
    token = csrf_from(client.get("/partners").text)
    partner = {"csrf_token": token, "name": "Hà Nội Phố", "platform": "facebook",
               "url": "https://www.facebook.com/hanoipho", "agreement_from": "2026-01-01", "agreement_to": ""}
    wrong = client.post("/partners", data={**partner, "agreement_from": "01/01/2026"})
    assert wrong.status_code == 422 and "năm-tháng-ngày" in wrong.text
    added = client.post("/partners", data=partner)
    assert added.status_code == 303
    page_url = added.headers["location"]
    assert client.post(f"{page_url}/members", data={"csrf_token": token, "counted_on": "2026-12-01",
                                                    "members": "82.500"}).status_code == 303
    listing = client.get("/partners")
    assert "82.500" in listing.text and "Hà Nội Phố" in listing.text
    with session_factory() as s:
        page_id = s.scalars(select(PartnerPage.id)).one()
    campaign = {"csrf_token": token, "title": "Tháng văn minh trên mạng", "starts_on": "2026-12-01",
                "ends_on": "2026-12-31", "text": ["Suy nghĩ trước khi đăng", ""], "image_url": ["", ""],
                "hashtags": ["#HàNộiVănMinh", ""], "page": [str(page_id)]}
    bad = client.post("/campaigns", data={**campaign, "hashtags": ["HàNộiVănMinh", ""]})
    assert bad.status_code == 422 and "#" in bad.text
    made = client.post("/campaigns", data=campaign)
    assert made.status_code == 303
    report = client.get(made.headers["location"])
    assert report.status_code == 200 and "0 trên 1 trang đối tác đã đăng" in report.text
    workbook = client.get(made.headers["location"] + "/report.xlsx")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(workbook.content)).worksheets[0].iter_rows()]
    assert rows[0][0] == "Tháng văn minh trên mạng" and rows[3][0] == "Hà Nội Phố"

    client.post("/logout", data={"csrf_token": token})
    log_in(client, "xem")  # a viewer reads, and changes nothing
    token = csrf_from(client.get("/partners").text)
    assert client.post("/partners", data={**partner, "csrf_token": token, "name": "Khác"}).status_code == 403
    assert client.post("/campaigns", data={**campaign, "csrf_token": token}).status_code == 403
    with session_factory() as s:
        assert len(s.scalars(select(PartnerPage)).all()) == 1 and len(s.scalars(select(Campaign)).all()) == 1
