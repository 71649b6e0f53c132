"""Content as a connector hands it over, before it is stored."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PLATFORMS = frozenset({"facebook", "youtube", "tiktok", "zalo", "news", "web", "rss", "other"})


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

    @property
    def natural_key(self) -> str:
        return f"{self.platform}:{self.external_id}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()
