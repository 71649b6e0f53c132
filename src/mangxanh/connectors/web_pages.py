"""Web pages and news articles: fetched by the safe fetch, the main text extracted by trafilatura.

trafilatura only ever gets the HTML we fetched (never a URL to download). robots.txt is checked
before the fetch, and again for the final address when redirects led to another site.
A page's canonical link is trusted as its identity only on the same host: a hostile page could
otherwise claim another site's address and overwrite that item.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import trafilatura

from mangxanh.connectors.feeds import MAX_AUTHOR_CHARS, stable_id
from mangxanh.connectors.jsonl_export import MAX_TEXT_CHARS
from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchError, FetchPolicy, FetchResult, fetch
from mangxanh.core.items import PLATFORMS, RawItem

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# Pages without a time zone are Vietnamese sites' local time far more often than UTC.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z"}


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _identity_url(final_url: str, canonical: str | None) -> str:
    if (canonical and canonical.startswith(("http://", "https://")) and len(canonical) <= 2048
            and _host(canonical) == _host(final_url)):
        return canonical.split("#", 1)[0]
    return final_url.split("#", 1)[0]


def _published(value: str | None, local_tz: tzinfo) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz)
    return parsed.astimezone(UTC)


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def parse_page(result: FetchResult, *, max_text_chars: int = MAX_TEXT_CHARS, platform: str = "web",
               local_tz: tzinfo = LOCAL_TZ) -> RawItem:
    """Extract the article of a fetched page; a page that is not HTML or has no text raises FetchError."""
    url = result.url_final
    content_type = result.content_type
    if content_type and content_type not in HTML_TYPES:
        raise FetchError("{url} is {content_type}, not an HTML page", url=url[:200], content_type=content_type[:100])
    if not content_type and not _looks_like_html(result.body):
        raise FetchError("{url} sent no content type and does not look like an HTML page", url=url[:200])
    # With a declared charset we decode; otherwise trafilatura detects it from the bytes and meta tags.
    html: str | bytes = result.text() if result.charset else result.body
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                           date_extraction_params=_DATE_PARAMS)
    data = document.as_dict() if document is not None and not isinstance(document, dict) else (document or {})
    title = unicodedata.normalize("NFC", str(data.get("title") or "").strip())
    body = unicodedata.normalize("NFC", str(data.get("text") or "").strip())
    if not body:
        raise FetchError("No article text could be extracted from {url}", url=url[:200])
    if title and body.startswith(title):
        body = body[len(title):].lstrip()
    text = "\n\n".join(part for part in (title, body) if part)
    canonical = data.get("url") if isinstance(data.get("url"), str) else None
    identity = _identity_url(url, canonical)
    author = str(data.get("author") or "").strip()[:MAX_AUTHOR_CHARS] or None
    return RawItem(
        platform=platform,
        external_id=stable_id(identity),
        text=text[:max_text_chars],
        url=identity,
        author=author,
        published_at=_published(data.get("date"), local_tz),
        kind="post",
        raw={"url_final": url, "canonical": canonical, "title": title[:500],
             "sitename": str(data.get("sitename") or "")[:200] or None,
             "description": str(data.get("description") or "")[:1000] or None,
             "date": data.get("date"), "language": data.get("language"),
             "content_type": content_type, "truncated": len(text) > max_text_chars},
        html=result.body,
    )


def read_page(url: str, policy: FetchPolicy, robots: RobotsCache, *, max_text_chars: int = MAX_TEXT_CHARS,
              platform: str = "web", local_tz: tzinfo = LOCAL_TZ) -> RawItem:
    """Fetch one page (robots.txt permitting) and return its article as a RawItem."""
    if platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}")
    robots.check(url, policy)
    result = fetch(url, policy, accept=PAGE_ACCEPT)
    if urlsplit(result.url_final).netloc.lower() != urlsplit(url).netloc.lower():
        robots.check(result.url_final, policy)
    return parse_page(result, max_text_chars=max_text_chars, platform=platform, local_tz=local_tz)
