"""Partner pages and a positive-content campaign: which partners posted its messages, counted from their feeds
as the sources ingest them (served on loopback), and the campaign's workbook."""

import io
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.outreach.campaigns import MessageDraft, campaign_report, campaign_xlsx, create_campaign
from mangxanh.domains.outreach.models import PartnerPage
from mangxanh.domains.outreach.partners import (
    PartnerDetails,
    member_history,
    partner_views,
    record_members,
    save_partner,
)
from mangxanh.domains.sources.runner import run_source
from mangxanh.domains.sources.service import create_source
from mangxanh.errors import Conflict, InvalidInput

MESSAGE = ("Hà Nội phát động tháng hành động “Văn minh trên không gian mạng”: mỗi người dân hãy suy nghĩ trước khi "
           "đăng, không chia sẻ tin chưa kiểm chứng, tố giác lừa đảo qua đường dây nóng 113.")


def _item(guid: str, title: str, text: str, day: str) -> str:
    return (f"<item><guid>{guid}</guid><title>{title}</title><link>http://example.vn/{guid}</link>"
            f"<description>{text}</description><pubDate>{day} 09:00:00 +0700</pubDate></item>")


FEEDS = {
    "/hanoipho.xml": [
        _item("a1", "Cùng lan tỏa", "Chia sẻ lời kêu gọi của thành phố: " + MESSAGE, "Wed, 02 Dec 2026"),
        _item("a2", "Ẩm thực", "Phở bò gia truyền ở phố Bát Đàn, giá 50 nghìn một bát.", "Thu, 03 Dec 2026"),
        _item("a0", "Trước chiến dịch", MESSAGE, "Fri, 27 Nov 2026"),
    ],
    "/yeuhanoi.xml": [
        _item("b1", "Thông điệp", "Một cú nhấp chuột có thể gây tổn thương. #HàNộiVănMinh #NghĩTrướcKhiĐăng",
              "Fri, 04 Dec 2026"),
        _item("b2", "Thời tiết", "Hà Nội trở lạnh, nhớ mặc ấm nhé #HàNộiVănMinh", "Fri, 04 Dec 2026"),
    ],
}


class _Feeds(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        items = FEEDS.get(self.path)
        body = (b"not here" if items is None else
                ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Trang</title>'
                 f"<link>http://example.vn/</link>{''.join(items)}</channel></rss>").encode())
        self.send_response(404 if items is None else 200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feeds() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _partner(session: Session, name: str, url: str, source_id: int | None = None) -> PartnerPage:
    return save_partner(session, user=None, details=PartnerDetails(
        name=name, platform="facebook", url=url, source_id=source_id, agreement_from=date(2026, 1, 1),
        agreement_to=date(2026, 12, 31), contact="Quản trị viên, 0912 000 000"))


def test_a_campaign_counts_the_partners_that_posted_it_from_their_feeds(
    session_factory: sessionmaker[Session], analysis: Analysis, feeds: str,
) -> None:
    with session_factory() as s:
        sources = {name: create_source(s, name=name, kind="rss", url=f"{feeds}/{name}.xml").id
                   for name in ("hanoipho", "yeuhanoi")}
        pages = [_partner(s, "Hà Nội Phố", "https://www.facebook.com/hanoipho", sources["hanoipho"]),
                 _partner(s, "Yêu Hà Nội", "https://www.facebook.com/yeuhanoi", sources["yeuhanoi"]),
                 _partner(s, "=HYPERLINK(\"http://x\")", "https://www.facebook.com/im.lang")]
        record_members(s, user=None, page_id=pages[0].id, counted_on=date(2026, 11, 1), members=80_000)
        record_members(s, user=None, page_id=pages[0].id, counted_on=date(2026, 12, 1), members=82_500)
        page_ids = [p.id for p in pages]
        s.commit()
    for source_id in sources.values():
        assert run_source(session_factory, source_id, analysis=analysis,
                          policy=FetchPolicy(allow_private=True, timeout_s=5)).error is None
    with session_factory() as s:
        campaign = create_campaign(s, user=None, title="Tháng hành động văn minh trên mạng", messages=[
            MessageDraft(MESSAGE, image_url="https://hanoi.gov.vn/anh/van-minh.png"),
            MessageDraft("Một cú nhấp chuột có thể gây tổn thương.", hashtags="#HàNộiVănMinh #NghĩTrướcKhiĐăng"),
        ], starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 31), page_ids=page_ids)
        report = campaign_report(s, campaign)
        posted = {r.page.name: [(p.message, p.item.external_id.rsplit("/", 1)[-1]) for p in r.posts]
                  for r in report.partners}
        # Not counted: the post before the campaign, the unrelated one, the one with one of the two hashtags.
        assert posted == {"Hà Nội Phố": [(0, "a1")], "Yêu Hà Nội": [(1, "b1")], "=HYPERLINK(\"http://x\")": []}
        assert report.posted == 2
        assert {r.page.name: r.members for r in report.partners}["Hà Nội Phố"] == 82_500
        book = load_workbook(io.BytesIO(campaign_xlsx(report, gettext=str)))
        rows = [[c.value for c in row] for row in book["Partners"].iter_rows()]
        assert rows[0] == ["Tháng hành động văn minh trên mạng", None, None, None, None, None]
        names = [r[0] for r in rows[3:6]]
        assert "'=HYPERLINK(\"http://x\")" in names and "Hà Nội Phố" in names  # a formula-like name stays text
        assert rows[-1][0] == "Total" and rows[-1][3] == 2
        assert len(list(book["Posts"].iter_rows())) == 3


def test_partner_pages_and_campaigns_refuse_what_is_wrong(session: Session) -> None:
    page = _partner(session, "Hà Nội Phố", "https://www.facebook.com/hanoipho")
    with pytest.raises(Conflict):
        _partner(session, "Hà Nội Phố", "https://www.facebook.com/khac")
    for details in (PartnerDetails(name="", platform="facebook", url="https://x.vn", agreement_from=date(2026, 1, 1)),
                    PartnerDetails(name="A", platform="myspace", url="https://x.vn", agreement_from=date(2026, 1, 1)),
                    PartnerDetails(name="A", platform="facebook", url="http://x.vn", agreement_from=date(2026, 1, 1)),
                    PartnerDetails(name="A", platform="facebook", url="https://x.vn", agreement_from=date(2026, 5, 1),
                                   agreement_to=date(2026, 4, 1)),
                    PartnerDetails(name="A", platform="facebook", url="https://x.vn", source_id=999_999,
                                   agreement_from=date(2026, 1, 1))):
        with pytest.raises(InvalidInput):
            save_partner(session, user=None, details=details)
    with pytest.raises(InvalidInput):
        record_members(session, user=None, page_id=page.id, counted_on=date(2026, 12, 1), members=-5)
    with pytest.raises(InvalidInput):
        record_members(session, user=None, page_id=page.id, counted_on=date(2030, 1, 1), members=5,
                       today=date(2026, 12, 7))
    assert member_history(session, page.id) == [] and partner_views(session)[0].members is None
    good = {"title": "Chiến dịch", "starts_on": date(2026, 12, 1), "ends_on": date(2026, 12, 31),
            "page_ids": [page.id], "messages": [MessageDraft("Sống đẹp trên mạng")]}
    for change in ({"title": " "}, {"messages": [MessageDraft("")]}, {"ends_on": date(2026, 11, 1)},
                   {"page_ids": []}, {"page_ids": [page.id, 999_999]},
                   {"messages": [MessageDraft("Sống đẹp", hashtags="SốngĐẹp")]},
                   {"messages": [MessageDraft("Sống đẹp", image_url="javascript:alert(1)")]}):
        with pytest.raises(InvalidInput):
            create_campaign(session, user=None, **{**good, **change})  # type: ignore[arg-type]
    assert create_campaign(session, user=None, **good).id  # type: ignore[arg-type]
