from datetime import UTC, datetime

import pytest

from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchError
from mangxanh.connectors.web_pages import read_page

ARTICLE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<title>Hà Nội ra quân xử lý tin giả trên mạng xã hội - Báo Thời Sự</title>
<link rel="canonical" href="{canonical}">
<meta property="og:title" content="Hà Nội ra quân xử lý tin giả trên mạng xã hội">
<meta name="author" content="Nguyễn Văn An">
<meta property="article:published_time" content="2026-11-20T08:15:00+07:00">
</head><body>
<header><nav><a href="/">Trang chủ</a> <a href="/xa-hoi">Xã hội</a> <a href="/kinh-te">Kinh tế</a></nav></header>
<main><article>
<h1>Hà Nội ra quân xử lý tin giả trên mạng xã hội</h1>
<p>Sáng 20/11, Sở Khoa học và Công nghệ Hà Nội phối hợp với công an thành phố tổ chức ra quân rà soát các
trang mạng xã hội lan truyền thông tin sai sự thật về tình hình ngập lụt.</p>
<p>Theo đại diện Sở, trong tuần qua đã có hơn 120 bài đăng bị phát hiện, trong đó nhiều bài sử dụng hình ảnh
cũ từ năm 2008 để gây hoang mang cho người dân.</p>
<p>Người dân khi phát hiện thông tin sai lệch có thể phản ánh qua đường dây nóng hoặc ứng dụng của thành phố để
cơ quan chức năng xử lý kịp thời.</p>
</article></main>
<footer>© 2026 Báo Thời Sự. Liên hệ quảng cáo.</footer>
<script>document.write("<p>chèn quảng cáo</p>")</script>
</body></html>"""


def _article(canonical: str) -> str:
    return ARTICLE.replace("{canonical}", canonical)


def test_news_article_is_extracted_with_title_text_author_and_date(http_server, local_policy) -> None:
    canonical = http_server.url("/tin-tuc/ha-noi-xu-ly-tin-gia.html")
    http_server.add("/tin-tuc/ha-noi-xu-ly-tin-gia.html", _article(canonical))
    item = read_page(http_server.url("/tin-tuc/ha-noi-xu-ly-tin-gia.html?utm_source=fb"), local_policy, RobotsCache())
    assert item.platform == "web" and item.kind == "post"
    assert item.external_id == canonical and item.url == canonical
    title, _, body = item.text.partition("\n\n")
    assert title == "Hà Nội ra quân xử lý tin giả trên mạng xã hội"
    assert body.startswith("Sáng 20/11, Sở Khoa học và Công nghệ Hà Nội")
    assert "120 bài đăng" in body and "đường dây nóng" in body
    assert "Liên hệ quảng cáo" not in item.text and "chèn quảng cáo" not in item.text
    assert item.author == "Nguyễn Văn An"
    assert item.published_at == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    assert item.raw["url_final"] == http_server.url("/tin-tuc/ha-noi-xu-ly-tin-gia.html?utm_source=fb")


def test_a_canonical_link_to_another_host_is_not_trusted(http_server, local_policy) -> None:
    http_server.add("/bai-viet", _article("https://baochinhthong.example.vn/bai-that.html"))
    item = read_page(http_server.url("/bai-viet"), local_policy, RobotsCache())
    assert item.external_id == http_server.url("/bai-viet")
    assert item.raw["canonical"] == "https://baochinhthong.example.vn/bai-that.html"


def test_robots_disallow_is_respected_and_robots_is_read_once_per_host(http_server, local_policy) -> None:
    http_server.add("/robots.txt", "User-agent: *\nDisallow: /rieng-tu/\n", content_type="text/plain")
    http_server.add("/rieng-tu/bai", _article("/rieng-tu/bai"))
    http_server.add("/cong-khai/bai", _article("/cong-khai/bai"))
    robots = RobotsCache()
    with pytest.raises(FetchError, match=r"robots\.txt of .* does not allow"):
        read_page(http_server.url("/rieng-tu/bai"), local_policy, robots)
    assert http_server.hits("/rieng-tu/bai") == 0
    read_page(http_server.url("/cong-khai/bai"), local_policy, robots)
    read_page(http_server.url("/cong-khai/bai"), local_policy, robots)
    assert http_server.hits("/robots.txt") == 1
    # Another host name is another site, with its own robots.txt.
    read_page(http_server.url("/cong-khai/bai", host="localhost"), local_policy, robots)
    assert http_server.hits("/robots.txt") == 2


def test_robots_rules_for_our_agent_and_forbidden_robots(http_server, local_policy) -> None:
    http_server.add("/robots.txt", "User-agent: MangXanhBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n",
                    content_type="text/plain")
    http_server.add("/bai", _article("/bai"))
    with pytest.raises(FetchError, match="does not allow"):
        read_page(http_server.url("/bai"), local_policy, RobotsCache())
    http_server.add("/robots.txt", "no", status=403, content_type="text/plain")
    with pytest.raises(FetchError, match="does not allow"):
        read_page(http_server.url("/bai"), local_policy, RobotsCache())
    http_server.add("/robots.txt", "oops", status=503, content_type="text/plain")
    with pytest.raises(FetchError, match="could not be read"):
        read_page(http_server.url("/bai"), local_policy, RobotsCache())
    assert http_server.hits("/bai") == 0


def test_redirect_to_another_host_checks_that_hosts_robots(http_server, local_policy) -> None:
    def robots(request) -> None:
        # The same server plays two sites: "localhost" forbids everything, 127.0.0.1 nothing.
        closed = request.headers.get("Host", "").startswith("localhost")
        body = b"User-agent: *\nDisallow: /\n" if closed else b"User-agent: *\nAllow: /\n"
        request.send_response(200)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    http_server.add("/robots.txt", handler=robots)
    http_server.add("/bai", _article("/bai"))
    http_server.redirect("/chuyen", http_server.url("/bai", host="localhost"))
    with pytest.raises(FetchError, match=r"robots\.txt of localhost"):
        read_page(http_server.url("/chuyen"), local_policy, RobotsCache())


def test_non_html_and_empty_pages_are_refused(http_server, local_policy) -> None:
    http_server.add("/data.json", '{"tin": "giả"}', content_type="application/json")
    http_server.add("/anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    http_server.add("/trong", "<html><head><title>Tiêu đề</title></head><body><script>ve()</script></body></html>")
    http_server.add("/khong-ro", b"\x00\x01binary", content_type=None)
    robots = RobotsCache()
    with pytest.raises(FetchError, match="application/json, not an HTML page"):
        read_page(http_server.url("/data.json"), local_policy, robots)
    with pytest.raises(FetchError, match="image/png"):
        read_page(http_server.url("/anh.png"), local_policy, robots)
    with pytest.raises(FetchError, match="No article text"):
        read_page(http_server.url("/trong"), local_policy, robots)
    with pytest.raises(FetchError, match="does not look like an HTML page"):
        read_page(http_server.url("/khong-ro"), local_policy, robots)


def test_page_on_a_private_address_is_refused_before_robots(http_server) -> None:
    from mangxanh.connectors.safe_http import FetchPolicy

    with pytest.raises(FetchError, match="private, local or reserved"):
        read_page(http_server.url("/bai"), FetchPolicy(timeout_s=1.0), RobotsCache())
    assert http_server.requests == []
