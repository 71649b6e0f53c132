"""What the rules and the detectors read of an item, stored or not yet stored."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.core.rules import RuleContext
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.sources.models import Source


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
    def content_hash(self) -> str: ...
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


def cluster_sizes(session: Session, cluster_ids: Iterable[str]) -> dict[str, int]:
    """How many stored items each near-duplicate cluster has."""
    wanted = set(cluster_ids)
    if not wanted:
        return {}
    rows = session.execute(select(StoredItem.cluster_id, func.count()).where(StoredItem.cluster_id.in_(wanted))
                           .group_by(StoredItem.cluster_id))
    return {cluster_id: count for cluster_id, count in rows if cluster_id is not None}


def stored_contexts(session: Session, items: Sequence[StoredItem], *, sizes: Mapping[str, int] | None = None
                    ) -> dict[int, RuleContext]:
    """The rule context of stored items, by item id: their source's kind and their campaign's size.

    ``sizes`` gives clusters' sizes as the caller knows them (a batch that just grew them);
    the others are counted in the database.
    """
    rows = session.execute(select(Source.id, Source.kind).where(Source.id.in_({i.source_id for i in items})))
    kinds = {source_id: kind for source_id, kind in rows}
    known = dict(sizes or {})
    missing = {item.cluster_id for item in items if item.cluster_id and item.cluster_id not in known}
    known.update(cluster_sizes(session, missing))
    return {item.id: rule_context(item, source_kind=kinds.get(item.source_id, ""),
                                  cluster_size=known.get(item.cluster_id, 1) if item.cluster_id else 1,
                                  citizen_reports=item.citizen_reports)
            for item in items}
