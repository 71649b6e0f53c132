from datetime import UTC, datetime

import pytest

from mangxanh.connectors.feeds import html_to_text, parse_feed, read_feed
from mangxanh.connectors.safe_http import FetchError

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Tin Hà Nội</title>
  <link>https://tinhanoi.example.vn/</link>
  <description>Tin tức thủ đô</description>
  <item>
    <title>Cảnh báo lừa đảo qua tin nhắn giả mạo ngân hàng</title>
    <link>https://tinhanoi.example.vn/canh-bao-lua-dao-1001.html</link>
    <guid isPermaLink="false">tinhanoi-1001</guid>
    <dc:creator>Trần Thị Bình</dc:creator>
    <pubDate>Fri, 20 Nov 2026 08:15:00 +0700</pubDate>
    <description><![CDATA[<p>Công an Hà Nội <b>cảnh báo</b> thủ đoạn gửi tin nhắn giả mạo.</p>
      <script>alert('x')</script><p>Người dân không bấm vào đường link lạ.</p>]]></description>
    <category>An ninh</category>
  </item>
  <item>
    <title>Đường Láng ngập sâu sau mưa lớn</title>
    <link>https://tinhanoi.example.vn/duong-lang-ngap-1002.html</link>
    <pubDate>Fri, 20 Nov 2026 07:00:00 +0700</pubDate>
    <description>Nhiều phương tiện chết máy.</description>
  </item>
  <item>
    <guid>tinhanoi-1003</guid>
    <description>   </description>
  </item>
  <item>
    <title>Bài không có định danh</title>
  </item>
</channel>
</rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Cổng thông tin Sở</title>
  <id>urn:uuid:so-khcn</id>
  <updated>2026-11-20T09:00:00+07:00</updated>
  <entry>
    <id>urn:uuid:bai-1</id>
    <title type="html">&lt;b&gt;Thông báo&lt;/b&gt; đính chính tin sai sự thật</title>
    <link href="/bai/1"/>
    <updated>2026-11-20T09:00:00+07:00</updated>
    <author><name>Phòng Thông tin</name></author>
    <content type="html">&lt;p&gt;Thông tin lan truyền về việc cắt điện toàn thành phố
      là &lt;em&gt;không đúng&lt;/em&gt;.&lt;/p&gt;</content>
  </entry>
  <entry>
    <id>JAVASCRIPT-LINK</id>
    <title>Liên kết lạ</title>
    <link href="javascript:alert(1)"/>
    <summary>Tóm tắt</summary>
  </entry>
</feed>"""


def test_rss_feed_entries_become_items_and_empty_entries_are_reported(http_server, local_policy) -> None:
    http_server.add("/rss.xml", RSS, content_type="application/rss+xml; charset=utf-8",
                    headers={"ETag": '"rss-1"', "Last-Modified": "Fri, 20 Nov 2026 02:00:00 GMT"})
    result = read_feed(http_server.url("/rss.xml"), local_policy)
    assert [i.external_id for i in result.items] == [
        "tinhanoi-1001", "https://tinhanoi.example.vn/duong-lang-ngap-1002.html"]
    first = result.items[0]
    assert first.platform == "rss" and first.kind == "post"
    assert first.text == ("Cảnh báo lừa đảo qua tin nhắn giả mạo ngân hàng\n\n"
                          "Công an Hà Nội cảnh báo thủ đoạn gửi tin nhắn giả mạo.\n\n"
                          "Người dân không bấm vào đường link lạ.")
    assert "alert" not in first.text and "<" not in first.text
    assert first.url == "https://tinhanoi.example.vn/canh-bao-lua-dao-1001.html"
    assert first.author == "Trần Thị Bình"
    assert first.published_at == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    assert first.raw["feed_title"] == "Tin Hà Nội" and first.raw["tags"] == ["An ninh"]
    assert [(e.entry, e.reason) for e in result.errors] == [
        (3, "entry has no text (no title, summary or content)"), (4, "entry has neither an id nor a link")]
    assert result.etag == '"rss-1"' and result.last_modified == "Fri, 20 Nov 2026 02:00:00 GMT"
    assert result.title == "Tin Hà Nội" and not result.not_modified


def test_atom_feed_with_relative_links_and_markup_in_titles(http_server, local_policy) -> None:
    http_server.add("/atom.xml", ATOM, content_type="application/atom+xml")
    result = read_feed(http_server.url("/atom.xml"), local_policy)
    assert result.errors == []
    notice, odd = result.items
    assert notice.external_id == "urn:uuid:bai-1"
    assert notice.text == ("Thông báo đính chính tin sai sự thật\n\n"
                           "Thông tin lan truyền về việc cắt điện toàn thành phố là không đúng.")
    assert notice.url == http_server.url("/bai/1")
    assert notice.author == "Phòng Thông tin" and notice.published_at == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    assert odd.url is None and odd.text == "Liên kết lạ\n\nTóm tắt"


def test_unchanged_feed_answers_not_modified(http_server, local_policy) -> None:
    def handler(request) -> None:
        if request.headers.get("If-None-Match") == '"rss-1"':
            request.send_response(304)
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        body = RSS.encode()
        request.send_response(200)
        request.send_header("ETag", '"rss-1"')
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    http_server.add("/cond.xml", handler=handler)
    first = read_feed(http_server.url("/cond.xml"), local_policy)
    again = read_feed(http_server.url("/cond.xml"), local_policy, etag=first.etag,
                      last_modified="Fri, 20 Nov 2026 02:00:00 GMT")
    assert len(first.items) == 2 and first.etag == '"rss-1"'
    assert again.not_modified and again.items == [] and again.errors == []
    assert again.etag == '"rss-1"' and again.last_modified == "Fri, 20 Nov 2026 02:00:00 GMT"


@pytest.mark.parametrize("body", [
    "<!doctype html><html><head><title>Trang chủ</title></head><body><p>Xin chào</p></body></html>".encode(),
    bytes(range(256)) * 8,
    b'{"items": []}',
    b"",
])
def test_a_body_that_is_not_a_feed_is_refused(http_server, local_policy, body: bytes) -> None:
    http_server.add("/feed", body, content_type="text/html")
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        read_feed(http_server.url("/feed"), local_policy)


def test_a_broken_feed_keeps_the_entries_it_has() -> None:
    broken = RSS.replace("</channel>\n</rss>", "<item><title>Bị cắt")
    result = parse_feed(broken.encode(), url="https://tinhanoi.example.vn/rss")
    assert [i.external_id for i in result.items][:2] == ["tinhanoi-1001",
                                                         "https://tinhanoi.example.vn/duong-lang-ngap-1002.html"]


def test_long_ids_are_hashed_and_long_text_is_cut() -> None:
    long_id = "https://tinhanoi.example.vn/" + "a" * 300
    feed = f"""<rss version="2.0"><channel><title>T</title><item><guid>{long_id}</guid>
    <title>Tiêu đề</title><description>{"chữ " * 500}</description></item></channel></rss>"""
    [item] = parse_feed(feed.encode(), url="https://x.example/rss", max_text_chars=100).items
    assert item.external_id.startswith("sha256:") and len(item.external_id) == 71
    assert len(item.text) == 100 and item.raw["truncated"] is True


def test_html_to_text_keeps_paragraphs_and_drops_code() -> None:
    markup = ("<div><h2>Tiêu đề</h2><p>Dòng một<br>dòng hai</p><style>p{}</style>"
              "<ul><li>mục 1</li><li>mục 2</li></ul><!-- ẩn --><iframe src='x'>khung</iframe></div>")
    assert html_to_text(markup) == "Tiêu đề\n\nDòng một\ndòng hai\n\nmục 1\n\nmục 2"
    assert html_to_text("a &lt; b &amp; c") == "a < b & c"
    assert html_to_text("") == "" and html_to_text("   ") == ""
