"""What the rules and the detectors read of an item, stored or not yet stored."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mangxanh.core.rules import RuleContext


class Content(Protocol):
    """What analysis reads of an item, stored (StoredItem) or not yet (RawItem)."""

    @property
    def natural_key(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def author_handle(self) -> str | None: ...
    @property
    def author_followers(self) -> int: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def reactions(self) -> int: ...
    @property
    def shares(self) -> int: ...
    @property
    def comments(self) -> int: ...


def reach(item: Content) -> int:
    return item.reactions + item.shares + item.comments


def rule_context(item: Content, *, source_kind: str = "", cluster_size: int = 1, citizen_reports: int = 0
                 ) -> RuleContext:
    return RuleContext(
        source_kind=source_kind, platform=item.platform, kind=item.kind, reach=reach(item),
        author=item.author or "", author_handle=item.author_handle or "", author_followers=item.author_followers,
        cluster_size=cluster_size, citizen_reports=citizen_reports,
    )
