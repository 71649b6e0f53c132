"""Running sources against a real feed and page served on loopback."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import Source, SourceRun
from mangxanh.domains.sources.runner import pulled_source, run_due, run_source
from mangxanh.domains.sources.service import create_source

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tin Hà Nội</title><link>http://example.vn/</link>
<item><guid>tin-1</guid><title>Khai mạc lễ hội mùa thu</title><link>http://example.vn/tin-1</link>
<description>&lt;p&gt;Lễ hội diễn ra tại phố đi bộ Hồ Gươm.&lt;/p&gt;</description>
<pubDate>Fri, 27 Nov 2026 08:00:00 +0700</pubDate></item>
<item><guid>tin-2</guid><title>Bọn parky cút về quê đi</title><link>http://example.vn/tin-2</link>
<description>Bình luận kỳ thị vùng miền.</description></item>
</channel></rss>"""
ARTICLE = """<html><head><title>Hà Nội mở thêm tuyến buýt điện</title></head><body><article>
<h1>Hà Nội mở thêm tuyến buýt điện</h1>
<p>Từ ngày 1/12, thành phố đưa vào khai thác thêm ba tuyến xe buýt điện nối trung tâm với các khu đô thị mới.</p>
<p>Sở Xây dựng cho biết giá vé giữ nguyên, người dân có thể dùng thẻ vé điện tử trên mọi tuyến.</p>
</article></body></html>"""


class _Site(BaseHTTPRequestHandler):
    etag = '"v1"'

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self._send(404, b"", "text/plain")
        elif self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == self.etag:
                self.send_response(304)
                self.end_headers()
                return
            self._send(200, FEED.encode(), "application/rss+xml", {"ETag": self.etag})
        elif self.path == "/article":
            self._send(200, ARTICLE.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


LOOPBACK = FetchPolicy(allow_private=True, timeout_s=5)


def _items(session: Session, source_id: int) -> int:
    return session.scalar(select(func.count()).select_from(StoredItem).where(StoredItem.source_id == source_id)) or 0


def test_a_feed_is_stored_then_skipped_while_unchanged(
    session_factory: sessionmaker[Session], analysis: Analysis, site: str,
) -> None:
    with session_factory() as s:
        source_id = create_source(s, name="Tin Hà Nội", kind="rss", url=f"{site}/feed.xml").id
        s.commit()
    first = run_source(session_factory, source_id, analysis=analysis, policy=LOOPBACK)
    assert (first.added, first.error) == (2, None)
    second = run_source(session_factory, source_id, analysis=analysis, policy=LOOPBACK)
    assert second.not_modified and second.added == 0
    with session_factory() as s:
        source = s.get_one(Source, source_id)
        assert source.config["etag"] == '"v1"'
        assert source.last_success_at is not None and source.consecutive_failures == 0
        assert _items(s, source_id) == 2
        outcomes = s.scalars(select(SourceRun.outcome).where(SourceRun.source_id == source_id)
                             .order_by(SourceRun.id)).all()
        assert outcomes == ["ok", "not_modified"]


def test_a_failing_source_records_why_and_backs_off(
    session_factory: sessionmaker[Session], analysis: Analysis, site: str,
) -> None:
    with session_factory() as s:
        missing = create_source(s, name="Mất", kind="rss", url=f"{site}/gone.xml", interval_s=300).id
        private = create_source(s, name="Nội bộ", kind="web", url=f"{site}/article").id
        s.commit()
    outcome = run_source(session_factory, missing, analysis=analysis, policy=LOOPBACK)
    assert outcome.error is not None and "404" in str(outcome.error_params.values())
    refused = run_source(session_factory, private, analysis=analysis, policy=FetchPolicy(allow_private=False))
    assert refused.error is not None
    with session_factory() as s:
        source = s.get_one(Source, missing)
        assert source.consecutive_failures == 1 and source.last_error == outcome.error
        assert source.next_run_at is not None and source.last_run_at is not None
        assert (source.next_run_at - source.last_run_at).total_seconds() == 600
        assert _items(s, private) == 0
        assert "127.0.0.1" in str(s.get_one(Source, private).last_error_params)


def test_due_sources_run_and_a_page_becomes_an_item(
    session_factory: sessionmaker[Session], analysis: Analysis, site: str,
) -> None:
    page_id = pulled_source(session_factory, kind="web", url=f"{site}/article")
    assert pulled_source(session_factory, kind="web", url=f"{site}/article") == page_id
    assert run_due(session_factory, analysis=analysis, policy=LOOPBACK) == 1
    assert run_due(session_factory, analysis=analysis, policy=LOOPBACK) == 0
    with session_factory() as s:
        item = s.scalars(select(StoredItem).where(StoredItem.source_id == page_id)).one()
        assert "xe buýt điện" in item.text and item.platform == "web"
