"""Sources of content: adding, editing, pausing and deleting them, and what they brought in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.connectors.safe_http import FetchPolicy, refuse_private_source
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.sources.models import PULLED_KINDS, Source, SourceKind, SourceRun
from mangxanh.errors import Conflict, InvalidInput, NotFound

MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 7 * 24 * 3600
MAX_NAME_CHARS = 200
MAX_URL_CHARS = 2000


def get_or_create_source(session: Session, *, name: str, kind: str, url: str | None = None) -> Source:
    source = session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, kind=kind, url=url, config={}, last_error_params={})
        session.add(source)
        session.flush()
    return source


def _checked(name: str, kind: str, url: str | None, interval_s: int) -> tuple[str, str | None]:
    name = name.strip()
    if not name or len(name) > MAX_NAME_CHARS:
        raise InvalidInput("A source needs a name of 1 to {n} characters.", n=MAX_NAME_CHARS)
    if kind not in {k.value for k in SourceKind}:
        raise InvalidInput("Unknown source kind: {kind}.", kind=kind)
    url = (url or "").strip() or None
    if kind in PULLED_KINDS and (url is None or not url.startswith(("http://", "https://"))
                                 or len(url) > MAX_URL_CHARS):
        raise InvalidInput("A feed or web source needs an http:// or https:// address.")
    if not MIN_INTERVAL_S <= interval_s <= MAX_INTERVAL_S:
        raise InvalidInput("The interval must be between {low} and {high} seconds.", low=MIN_INTERVAL_S,
                           high=MAX_INTERVAL_S)
    return name, url


def get_source(session: Session, source_id: int) -> Source:
    source = session.get(Source, source_id)
    if source is None or source.deleted_at is not None:
        raise NotFound("No source with number {id}.", id=source_id)
    return source


def _changed(session: Session, source: Source, change: str, actor: User | None) -> None:
    record_audit(session, kind=AuditKind.SOURCE_CHANGED, stream=SYSTEM_STREAM, actor=actor,
                 subject=f"source:{source.id}", data={"change": change, "name": source.name, "url": source.url})


def create_source(session: Session, *, name: str, kind: str, url: str | None = None, interval_s: int = 3600,
                  config: dict[str, Any] | None = None, actor: User | None = None,
                  policy: FetchPolicy | None = None) -> Source:
    """Add a source; with ``policy``, a feed or page whose address is private is refused now, not at its first run."""
    name, url = _checked(name, kind, url, interval_s)
    if policy is not None and url is not None and kind in PULLED_KINDS:
        refuse_private_source(url, policy)
    if session.scalar(select(Source.id).where(Source.name == name)) is not None:
        raise Conflict("A source named {name} already exists.", name=name)
    source = Source(name=name, kind=kind, url=url, interval_s=interval_s, config=dict(config or {}),
                    last_error_params={}, next_run_at=utcnow() if kind in PULLED_KINDS else None)
    session.add(source)
    session.flush()
    _changed(session, source, "created", actor)
    return source


def update_source(session: Session, source: Source, *, name: str, url: str | None, interval_s: int,
                  actor: User | None = None, policy: FetchPolicy | None = None) -> Source:
    name, url = _checked(name, source.kind, url, interval_s)
    if policy is not None and url is not None and url != source.url and source.kind in PULLED_KINDS:
        refuse_private_source(url, policy)
    clash = session.scalar(select(Source.id).where(Source.name == name, Source.id != source.id))
    if clash is not None:
        raise Conflict("A source named {name} already exists.", name=name)
    if url != source.url:
        # A new address has its own ETag and its own failures.
        source.config = {k: v for k, v in source.config.items() if k not in ("etag", "last_modified")}
        source.consecutive_failures = 0
        source.next_run_at = utcnow()
    source.name, source.url, source.interval_s = name, url, interval_s
    session.flush()
    _changed(session, source, "edited", actor)
    return source


def set_paused(session: Session, source: Source, *, paused: bool, actor: User | None = None) -> Source:
    source.is_active = not paused
    if not paused and source.kind in PULLED_KINDS:
        source.consecutive_failures = 0
        source.next_run_at = utcnow()
    session.flush()
    _changed(session, source, "paused" if paused else "resumed", actor)
    return source


def delete_source(session: Session, source: Source, *, actor: User | None = None) -> None:
    """Hide a source and stop it; its items stay, as they may be evidence in cases."""
    source.deleted_at = utcnow()
    source.is_active = False
    # The name is free again for a new source.
    source.name = f"{source.name[:150]} (deleted {source.id})"
    session.flush()
    _changed(session, source, "deleted", actor)


@dataclass(frozen=True)
class SourceOverview:
    source: Source
    items_last_day: int
    items_per_day: float  # averaged over the last seven days
    runs: list[SourceRun]


def list_sources(session: Session) -> list[Source]:
    return list(session.scalars(select(Source).where(Source.deleted_at.is_(None)).order_by(Source.name)))


def overview(session: Session, source: Source, *, now: datetime | None = None, runs: int = 10) -> SourceOverview:
    now = now or utcnow()
    added = func.coalesce(func.sum(SourceRun.added), 0)
    day = session.scalar(select(added).where(SourceRun.source_id == source.id,
                                             SourceRun.started_at >= now - timedelta(days=1))) or 0
    week = session.scalar(select(added).where(SourceRun.source_id == source.id,
                                              SourceRun.started_at >= now - timedelta(days=7))) or 0
    recent = list(session.scalars(select(SourceRun).where(SourceRun.source_id == source.id)
                                  .order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(runs)))
    return SourceOverview(source, int(day), round(int(week) / 7, 1), recent)
