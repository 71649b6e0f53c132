"""Append to and verify the hash-chained case history."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import CaseEvent

GENESIS = "0" * 64


def _digest(event: CaseEvent) -> str:
    body = {
        "case_id": event.case_id,
        "seq": event.seq,
        "actor_id": event.actor_id,
        "kind": event.kind,
        "before": event.before,
        "after": event.after,
        "note": event.note,
        "created_at": event.created_at.isoformat(),
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((event.prev_hash + canonical).encode("utf-8")).hexdigest()


def record_event(
    session: Session,
    *,
    case_id: int,
    kind: str,
    actor: User | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> CaseEvent:
    """Append an event to a case's history, chained to the one before it."""
    last = session.execute(
        select(CaseEvent.seq, CaseEvent.hash).where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = CaseEvent(
        case_id=case_id, seq=seq, actor_id=actor.id if actor else None, kind=kind,
        before=before, after=after, note=note, created_at=utcnow(), prev_hash=prev_hash,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    events: int
    first_bad_seq: int | None = None


def verify_case_history(session: Session, *, case_id: int) -> ChainCheck:
    """Recompute the chain; the first event whose hash or link does not match is reported."""
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(event) != event.hash:
            return ChainCheck(False, len(events), event.seq)
        prev = event.hash
    return ChainCheck(True, len(events))


def history(session: Session, *, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


def count_events(session: Session) -> int:
    return session.scalar(select(func.count(CaseEvent.id))) or 0
