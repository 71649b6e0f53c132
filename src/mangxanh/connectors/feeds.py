"""RSS and Atom feeds: fetched by the safe fetch, parsed from bytes by feedparser.

feedparser never sees a URL (it would fetch it itself, past every check); it gets the body we
fetched. Entry markup is turned into text with lxml's HTML parser, scripts and styles dropped,
so nothing of the feed's HTML survives into an item.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from mangxanh.connectors.jsonl_export import MAX_TEXT_CHARS
from mangxanh.connectors.safe_http import FetchError, FetchPolicy, fetch
from mangxanh.core.items import Numbered, RawItem

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
MAX_ENTRIES = 1000
MAX_ID_CHARS = 200
MAX_AUTHOR_CHARS = 300
_DROPPED = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head")
_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
                     "table", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt", "hr"})
_HTML_SPACE = re.compile(r"\s+")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True, slots=True)
class EntryError:
    entry: int  # 1-based position in the feed
    reason: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class FeedResult:
    entries: list[Numbered] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    title: str | None = None

    @property
    def items(self) -> list[RawItem]:
        return [entry.item for entry in self.entries]


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept as blank-line breaks."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*_DROPPED)):
        element.drop_tree()
    for element in root.iter():
        # Source line breaks are mere spaces in HTML; only <br> and blocks break the text.
        if element.text and isinstance(element.tag, str):
            element.text = _HTML_SPACE.sub(" ", element.text)
        if element.tail:
            element.tail = _HTML_SPACE.sub(" ", element.tail)
        if element.tag == "br":
            element.tail = "\n" + (element.tail or "")
        elif element.tag in _BLOCKS:
            element.text = "\n\n" + (element.text or "")
            element.tail = "\n\n" + (element.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def stable_id(value: str) -> str:
    """The value itself, or ``sha256:<hex>`` of it when it is too long to be an external id."""
    value = value.strip()
    if len(value) <= MAX_ID_CHARS:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _web_link(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("http://", "https://")) and len(value) <= 2048:
        return value
    return None


def _published(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if isinstance(parsed, time.struct_time):
            # feedparser normalises these to UTC.
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    return None


def _body(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    markup = max(contents, key=len) if contents else ""
    summary = entry.get("summary") or ""
    return html_to_text(markup if len(markup) >= len(summary) else summary)


def parse_entry(entry: Any, *, feed_url: str, feed_title: str | None, max_text_chars: int = MAX_TEXT_CHARS) -> RawItem:
    """Turn one feedparser entry into a RawItem; ValueError says what is missing."""
    link = _web_link(entry.get("link"))
    identity = entry.get("id") or entry.get("link")
    if not isinstance(identity, str) or not identity.strip():
        raise ValueError("entry has neither an id nor a link")
    title = html_to_text(entry.get("title") or "")
    body = _body(entry)
    if body.startswith(title):
        body = body[len(title):].lstrip()
    text = unicodedata.normalize("NFC", "\n\n".join(part for part in (title, body) if part))
    if not text:
        raise ValueError("entry has no text (no title, summary or content)")
    truncated = len(text) > max_text_chars
    author = html_to_text(entry.get("author") or "")[:MAX_AUTHOR_CHARS] or None
    tags: list[str] = [t["term"] for t in entry.get("tags") or []
                       if isinstance(t, dict) and isinstance(t.get("term"), str)]
    return RawItem(
        platform="rss",
        external_id=stable_id(identity),
        text=text[:max_text_chars],
        url=link,
        author=author,
        published_at=_published(entry),
        kind="post",
        raw={"feed_url": feed_url, "feed_title": feed_title, "id": identity[:2048], "link": link,
             "title": title[:500], "tags": [tag[:100] for tag in tags[:20]], "truncated": truncated},
    )


def parse_feed(body: bytes, *, url: str, content_type: str = "",
               max_text_chars: int = MAX_TEXT_CHARS, max_entries: int = MAX_ENTRIES) -> FeedResult:
    """Parse fetched bytes; a body that is no feed at all raises :class:`FetchError`."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        raise FetchError("{url} is not an RSS or Atom feed", url=url[:200])
    feed_title = html_to_text(parsed.feed.get("title") or "")[:500] or None
    entries: list[Numbered] = []
    errors: list[EntryError] = []
    for number, entry in enumerate(parsed.entries, start=1):
        if number > max_entries:
            errors.append(EntryError(number, f"the feed has more than {max_entries} entries; the rest were skipped"))
            break
        try:
            entries.append(Numbered(number, parse_entry(entry, feed_url=url, feed_title=feed_title,
                                                        max_text_chars=max_text_chars)))
        except ValueError as exc:
            errors.append(EntryError(number, str(exc), _web_link(entry.get("link"))))
    return FeedResult(entries=entries, errors=errors, title=feed_title)


def read_feed(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None,
              max_text_chars: int = MAX_TEXT_CHARS, max_entries: int = MAX_ENTRIES) -> FeedResult:
    """Fetch and parse a feed; pass the last run's ``etag``/``last_modified`` to skip unchanged feeds."""
    result = fetch(url, policy, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT)
    new_etag = result.headers.get("etag")
    new_modified = result.headers.get("last-modified")
    if result.not_modified:
        # A 304 may leave the validators out; the ones we sent are still the current ones.
        return FeedResult(etag=new_etag or etag, last_modified=new_modified or last_modified, not_modified=True)
    parsed = parse_feed(result.body, url=result.url_final, content_type=result.headers.get("content-type", ""),
                        max_text_chars=max_text_chars, max_entries=max_entries)
    return FeedResult(entries=parsed.entries, errors=parsed.errors, etag=new_etag, last_modified=new_modified,
                      title=parsed.title)
