"""Content as a connector hands it over, before it is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PLATFORMS = frozenset({"facebook", "youtube", "tiktok", "zalo", "news", "web", "rss", "other"})

# What the store can hold. A connector refuses an item past these limits on its own, instead of
# letting it fail the whole batch in the database.
MAX_EXTERNAL_ID_CHARS = 200
MAX_NAME_CHARS = 300  # author and author handle
MAX_COUNT = 2**31 - 1
PUBLISHED_RANGE = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class RawItem:
    platform: str
    external_id: str
    text: str
    url: str | None = None
    author: str | None = None
    author_handle: str | None = None
    author_followers: int = 0
    published_at: datetime | None = None
    reactions: int = 0
    shares: int = 0
    comments: int = 0
    parent_id: str | None = None
    kind: str = "post"
    raw: Mapping[str, Any] = field(default_factory=dict)
    # The page's HTML exactly as fetched, where a page was: kept with the item's capture as evidence.
    html: bytes | None = None

    @property
    def natural_key(self) -> str:
        return f"{self.platform}:{self.external_id}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Numbered:
    """An item with its place in what delivered it: a file's line, a pushed batch's index, a feed's entry."""

    position: int
    item: RawItem


@dataclass(frozen=True, slots=True)
class Refusal:
    """An entry of a delivery that was not stored: its position, why (an English msgid), its external id if known.

    Connectors refuse what they cannot read (a line that is not JSON, a CSV row with a bad date);
    the intake port refuses what may not be stored (a duplicate, another source's item).
    """

    position: int
    reason: str
    params: Mapping[str, object] = field(default_factory=dict)
    external_id: str | None = None

    def message(self, translate: Callable[[str], str] = str) -> str:
        """The reason in the language of ``translate`` (English as given by default)."""
        text = translate(self.reason)
        return text.format(**self.params) if self.params else text


def unstorable_text(value: str) -> str | None:
    """Why a string cannot be stored as text (a NUL, an unpaired surrogate), or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (\\ud800-\\udfff), which is not valid text"
    return None


def item_problem(item: RawItem) -> str | None:
    """Why an item cannot be stored as it is, or None. Messages are English, for logs and the CLI."""
    if item.platform not in PLATFORMS:
        return f"'platform' must be one of {', '.join(sorted(PLATFORMS))}"
    if not item.external_id or len(item.external_id) > MAX_EXTERNAL_ID_CHARS:
        return f"'external_id' must be 1 to {MAX_EXTERNAL_ID_CHARS} characters"
    if item.parent_id is not None and len(item.parent_id) > MAX_EXTERNAL_ID_CHARS:
        return f"'parent_id' is longer than {MAX_EXTERNAL_ID_CHARS} characters"
    for name in ("author", "author_handle"):
        value = getattr(item, name)
        if value is not None and len(value) > MAX_NAME_CHARS:
            return f"'{name}' is longer than {MAX_NAME_CHARS} characters"
    for name in ("reactions", "shares", "comments", "author_followers"):
        if not 0 <= getattr(item, name) <= MAX_COUNT:
            return f"'{name}' must be between 0 and {MAX_COUNT}"
    if item.published_at is not None and not PUBLISHED_RANGE[0] <= item.published_at <= PUBLISHED_RANGE[1]:
        return f"'published_at' must be between the years {PUBLISHED_RANGE[0].year} and {PUBLISHED_RANGE[1].year}"
    for name in ("external_id", "text", "url", "author", "author_handle", "parent_id"):
        value = getattr(item, name)
        problem = unstorable_text(value) if value is not None else None
        if problem:
            return f"'{name}' {problem}"
    return None


def split_entries(entries: Iterable[Numbered | Refusal]) -> tuple[list[Numbered], list[Refusal]]:
    """A connector's entries as the items it read and the entries it refused."""
    items: list[Numbered] = []
    refused: list[Refusal] = []
    for entry in entries:
        if isinstance(entry, Numbered):
            items.append(entry)
        else:
            refused.append(entry)
    return items, refused
