"""Running a pulled source: fetch its feed or page, store what came, and keep the run's record.

Fetching happens outside any transaction (it can take seconds); storing the items and the run
record is one transaction, so a crash either keeps both or neither and the next run redoes it.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.feeds import read_feed
from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchError, FetchPolicy
from mangxanh.connectors.web_pages import read_page
from mangxanh.core.items import Numbered, Refusal
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.content.intake import analyse_ahead, take_in
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.models import Source, SourceKind
from mangxanh.domains.sources.schedule import RunOutcome, due_sources, record_run
from mangxanh.domains.sources.service import create_source, get_source
from mangxanh.errors import InvalidInput

log = logging.getLogger(__name__)


@dataclass
class _Fetched:
    """What a connector brought back: entries read and refused, and its state for the next run."""

    entries: list[Numbered] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    not_modified: bool = False


def _fetch(kind: str, url: str, config: dict[str, Any], policy: FetchPolicy, robots: RobotsCache,
           max_text_chars: int) -> _Fetched:
    if kind == SourceKind.RSS:
        feed = read_feed(url, policy, etag=config.get("etag"), last_modified=config.get("last_modified"),
                         max_text_chars=max_text_chars)
        refused = [Refusal(e.entry, f"{e.reason} ({e.link})" if e.link else e.reason) for e in feed.errors]
        return _Fetched(feed.entries, refused, {"etag": feed.etag, "last_modified": feed.last_modified},
                        feed.not_modified)
    if kind == SourceKind.WEB:
        return _Fetched([Numbered(1, read_page(url, policy, robots, max_text_chars=max_text_chars))])
    raise InvalidInput("Sources of kind {kind} are not fetched; they receive files or pushes.", kind=kind)


def run_source(factory: sessionmaker[Session], source_id: int, *, analysis: Analysis, policy: FetchPolicy,
               robots: RobotsCache | None = None, started_at: datetime | None = None,
               lock: AbstractContextManager[object] | None = None) -> RunOutcome:
    """Fetch one source now, whatever its schedule, and record the run (failures included).

    ``lock`` is held while storing (not while fetching) when other threads of the process ingest too.
    """
    with unit_of_work(factory) as session:
        source = get_source(session, source_id)
        kind, url, config = source.kind, source.url or "", dict(source.config)
    started = started_at or utcnow()
    try:
        fetched = _fetch(kind, url, config, policy, robots or RobotsCache(), analysis.max_text_chars)
    except FetchError as exc:
        log.info("source %s failed: %s", source_id, exc)
        outcome = RunOutcome(error=exc.message, error_params={k: str(v) for k, v in exc.params.items()})
        with lock or nullcontext(), unit_of_work(factory) as session:
            record_run(session, session.get_one(Source, source_id), outcome, started_at=started)
        return outcome
    with lock or nullcontext():
        return _store_fetched(factory, source_id, fetched, analysis=analysis, started=started)


def _store_fetched(factory: sessionmaker[Session], source_id: int, fetched: _Fetched, *, analysis: Analysis,
                   started: datetime) -> RunOutcome:
    ahead = analyse_ahead(factory, delivered=fetched.entries, analysis=analysis)
    with unit_of_work(factory) as session:
        source = session.get_one(Source, source_id)
        if fetched.state:
            source.config = {**source.config, **{k: v for k, v in fetched.state.items() if v}}
        if fetched.not_modified:
            outcome = RunOutcome(not_modified=True)
            record_run(session, source, outcome, started_at=started)
            return outcome
        report = take_in(session, source=source, delivered=fetched.entries, refused=fetched.refused,
                         analysis=analysis, started_at=started, ahead=ahead)
    return RunOutcome(added=report.added, updated=report.updated, unchanged=report.unchanged,
                      refused=len(report.refused), problems=[f"entry {r.position}: {r.message()}"
                                                             for r in report.refused[:50]])


def pulled_source(factory: sessionmaker[Session], *, kind: str, url: str, name: str = "",
                  interval_s: int = 3600) -> int:
    """The source fetching ``url`` (created on first use), for one-off runs from the command line."""
    with unit_of_work(factory) as session:
        existing = session.scalar(select(Source.id).where(Source.kind == kind, Source.url == url,
                                                          Source.deleted_at.is_(None)))
        if existing is not None and not name:
            return existing
        named = session.scalar(select(Source).where(Source.name == (name or url)))
        if named is not None:
            if named.kind != kind or named.url != url:
                raise InvalidInput("Source {name} exists with another kind or address.", name=named.name)
            return named.id
        return create_source(session, name=name or url, kind=kind, url=url, interval_s=interval_s).id


def run_due(factory: sessionmaker[Session], *, analysis: Analysis, policy: FetchPolicy,
            robots: RobotsCache | None = None, lock: AbstractContextManager[object] | None = None) -> int:
    """Run every source whose time has come; returns how many ran."""
    with unit_of_work(factory) as session:
        due = due_sources(session)
    robots = robots or RobotsCache()
    for source_id in due:
        run_source(factory, source_id, analysis=analysis, policy=policy, robots=robots, lock=lock)
    return len(due)
