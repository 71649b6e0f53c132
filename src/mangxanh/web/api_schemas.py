"""What the push API takes and answers, as the OpenAPI schema shows it to partners.

The records themselves are checked by the import format's parser (connectors/jsonl_export.py),
item by item, so that one bad item is refused alone; ``ItemRecord`` describes that format for the
schema and is not used to validate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mangxanh.connectors.jsonl_export import MAX_TEXT_CHARS

MAX_BATCH_ITEMS = 1_000
MAX_BODY_BYTES = 20_000_000

Platform = Literal["facebook", "youtube", "tiktok", "zalo", "news", "web", "rss", "other"]

POST_EXAMPLE: dict[str, Any] = {
    "platform": "facebook", "external_id": "fb_1001", "url": "https://www.facebook.com/trang.vi.du/posts/1001",
    "author": "Trang Ví Dụ", "author_handle": "trang.vi.du", "author_followers": 15200,
    "text": "Sáng nay đường Láng ngập sâu, mọi người tránh nhé.", "published_at": "2026-11-20T07:45:00+07:00",
    "reactions": 320, "shares": 41, "comments": 18, "kind": "post",
}
COMMENT_EXAMPLE: dict[str, Any] = {
    "platform": "facebook", "external_id": "fb_1002", "text": "Cảm ơn ad đã báo!",
    "published_at": "2026-11-20T07:52:00+07:00", "reactions": 4, "parent_id": "fb_1001",
}


class ItemRecord(BaseModel):
    """One post or comment, in the same shape as a line of a JSON Lines import (docs/import-format.md)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [POST_EXAMPLE, COMMENT_EXAMPLE]})

    platform: Platform
    external_id: str = Field(min_length=1, max_length=200,
                             description="The platform's id of the post or comment; with `platform`, the "
                                         "item's natural key. A number is accepted and stored as text.")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                      description="The text; at most MANGXANH_MAX_TEXT_CHARS characters (20,000 by default).")
    url: str | None = Field(None, description="`http://` or `https://` address of the item.")
    author: str | None = Field(None, description="Display name of the author or page.")
    author_handle: str | None = Field(None, description="The author's handle on the platform.")
    author_followers: int = Field(0, ge=0)
    published_at: datetime | None = Field(None, description="ISO 8601 with a time-zone offset.")
    reactions: int = Field(0, ge=0)
    shares: int = Field(0, ge=0)
    comments: int = Field(0, ge=0)
    parent_id: str | None = Field(None, description="For a comment: the `external_id` of what it answers.")
    kind: Literal["post", "comment"] | None = Field(
        None, description="Defaults to `comment` when `parent_id` is set, else `post`.")


class ItemError(BaseModel):
    index: int = Field(description="Position of the item in `items`, from 0.")
    external_id: str | None = Field(description="The item's `external_id` as sent, when it has one.")
    reason: str = Field(description="Why the item was refused, in the language asked for by Accept-Language.")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"index": 2, "external_id": "fb_1003", "reason": "'text' must be a non-empty string"},
    ]})


class PushResult(BaseModel):
    """What became of a batch. received = added + updated + unchanged + refused."""

    received: int = Field(description="Items in the batch.")
    added: int = Field(description="New items stored and analysed.")
    updated: int = Field(description="Known items whose text changed; analysed again.")
    unchanged: int = Field(description="Known items sent again as they were; nothing changed.")
    refused: int = Field(description="Items not stored; each is listed in `errors`.")
    cases_opened: int = Field(description="Cases opened by what the analysis found in this batch.")
    errors: list[ItemError]

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "received": 3, "added": 2, "updated": 0, "unchanged": 0, "refused": 1, "cases_opened": 0,
        "errors": [{"index": 2, "external_id": "fb_1003", "reason": "'text' must be a non-empty string"}],
    }]})


class ApiError(BaseModel):
    detail: str

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Unknown or revoked API token."}]})


class BatchRefused(BaseModel):
    """A refused request; when the items were read, each one's reason."""

    detail: str
    received: int = 0
    refused: int = 0
    errors: list[ItemError] = Field(default_factory=list)


def push_request_schema() -> dict[str, Any]:
    """The request body's schema, inlined: the body is read by the route itself, with a byte cap."""
    return {
        "title": "PushRequest",
        "type": "object",
        "required": ["items"],
        "properties": {"items": {
            "type": "array", "minItems": 1, "maxItems": MAX_BATCH_ITEMS, "items": ItemRecord.model_json_schema(),
            "description": f"1 to {MAX_BATCH_ITEMS:,} items; more is answered 413 and nothing is stored.",
        }},
        "examples": [{"items": [POST_EXAMPLE, COMMENT_EXAMPLE]}],
    }
