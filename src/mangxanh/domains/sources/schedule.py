"""When each source runs next, and how a failing source backs off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.sources.models import PULLED_KINDS, Source, SourceRun

# A failing source waits interval × 2^failures, at most a day, so a dead site is not hammered
# and a flaky one comes back on its own.
MAX_BACKOFF = timedelta(days=1)


@dataclass
class RunOutcome:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    not_modified: bool = False
    error: str | None = None
    error_params: dict[str, Any] = field(default_factory=dict)
    # Why entries were refused (first few), for whoever ran the source by hand.
    problems: list[str] = field(default_factory=list)


def backoff(interval_s: int, failures: int) -> timedelta:
    if failures <= 0:
        return timedelta(seconds=interval_s)
    return min(timedelta(seconds=interval_s * 2 ** min(failures, 16)), max(MAX_BACKOFF, timedelta(seconds=interval_s)))


def due_sources(session: Session, *, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    return list(session.scalars(
        select(Source.id).where(
            Source.is_active.is_(True), Source.deleted_at.is_(None), Source.kind.in_([k.value for k in PULLED_KINDS]),
            or_(Source.next_run_at.is_(None), Source.next_run_at <= now),
        ).order_by(Source.next_run_at)
    ))


def record_run(session: Session, source: Source, outcome: RunOutcome, *, started_at: datetime,
               now: datetime | None = None) -> SourceRun:
    """Keep the run in the source's history and set when it runs next."""
    now = now or utcnow()
    failed = outcome.error is not None
    run = SourceRun(
        source_id=source.id, started_at=started_at, finished_at=now,
        outcome="failed" if failed else ("not_modified" if outcome.not_modified else "ok"),
        added=outcome.added, updated=outcome.updated, unchanged=outcome.unchanged, refused=outcome.refused,
        error=outcome.error, error_params=dict(outcome.error_params),
    )
    session.add(run)
    source.last_run_at = now
    if failed:
        source.consecutive_failures += 1
        source.last_error, source.last_error_params = outcome.error, dict(outcome.error_params)
    else:
        source.consecutive_failures = 0
        source.last_success_at = now
        source.last_error, source.last_error_params = None, {}
    source.next_run_at = now + backoff(source.interval_s, source.consecutive_failures)
    session.flush()
    return run
