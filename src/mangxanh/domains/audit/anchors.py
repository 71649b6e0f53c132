"""Anchors: signed heads of every chain of the audit trail, so that what is cut off shows.

A chain can only show what it still holds: deleting a case's last events, or all of them,
leaves a shorter chain that verifies. An anchor records, at one moment, the head (last number
and digest) of each chain that moved since the anchor before, signs them with the audit key and
chains itself to the anchor before. Every anchor is also appended to a file outside the
database (``var/audit-anchors.jsonl``), so that deleting anchors shows too. A chain found
shorter than an anchor saw it, or different at the number the anchor sealed, fails verification.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mangxanh.db import utcnow
from mangxanh.domains.audit.chain import GENESIS, digest, session_key
from mangxanh.domains.audit.models import AuditAnchor, AuditAnchorHead, AuditEvent, CaseEvent
from mangxanh.domains.audit.service import case_stream

# A transaction may commit a while after it wrote its events' times: chains that moved this long
# before the last anchor are looked at again, so that a late commit is still sealed.
LATE_COMMIT_MARGIN = timedelta(hours=1)
# Streams looked up per query (SQLite takes at most 32,766 parameters in one statement).
CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


def anchor_fields(created_at: datetime, heads: Iterable[tuple[str, int, str]]) -> dict[str, Any]:
    """What an anchor's signature covers, besides the signature of the anchor before it (which orders them)."""
    return {"created_at": created_at, "heads": sorted([list(head) for head in heads])}


def _current_heads(session: Session, since: datetime | None) -> dict[str, Head]:
    """The head of every chain with an event written since ``since`` (every chain when None)."""
    heads: dict[str, Head] = {}
    case_last = select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq")).group_by(CaseEvent.case_id)
    log_last = select(AuditEvent.stream, func.max(AuditEvent.seq).label("seq")).group_by(AuditEvent.stream)
    if since is not None:
        case_last = case_last.where(CaseEvent.case_id.in_(
            select(CaseEvent.case_id).where(CaseEvent.created_at >= since)))
        log_last = log_last.where(AuditEvent.stream.in_(
            select(AuditEvent.stream).where(AuditEvent.created_at >= since)))
    case_sub, log_sub = case_last.subquery(), log_last.subquery()
    for case_id, seq, head in session.execute(
            select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash)
            .join(case_sub, (CaseEvent.case_id == case_sub.c.case_id) & (CaseEvent.seq == case_sub.c.seq))):
        heads[case_stream(case_id)] = Head(seq, head)
    for stream, seq, head in session.execute(
            select(AuditEvent.stream, AuditEvent.seq, AuditEvent.hash)
            .join(log_sub, (AuditEvent.stream == log_sub.c.stream) & (AuditEvent.seq == log_sub.c.seq))):
        heads[stream] = Head(seq, head)
    return heads


def sealed_heads(session: Session, streams: Iterable[str] | None = None) -> dict[str, Head]:
    """What the latest anchor that saw each chain recorded as its head (of ``streams``, or of all)."""
    if streams is None:
        return _sealed(session, None)
    wanted = list(streams)
    found: dict[str, Head] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(_sealed(session, wanted[start:start + CHUNK]))
    return found


def _sealed(session: Session, streams: list[str] | None) -> dict[str, Head]:
    latest = select(AuditAnchorHead.stream, func.max(AuditAnchorHead.anchor_id).label("anchor_id")) \
        .group_by(AuditAnchorHead.stream)
    if streams is not None:
        latest = latest.where(AuditAnchorHead.stream.in_(streams))
    sub = latest.subquery()
    rows = session.execute(select(AuditAnchorHead.stream, AuditAnchorHead.seq, AuditAnchorHead.hash).join(
        sub, (AuditAnchorHead.stream == sub.c.stream) & (AuditAnchorHead.anchor_id == sub.c.anchor_id)))
    return {stream: Head(seq, head) for stream, seq, head in rows}


def take_anchor(session: Session, *, now: datetime | None = None) -> AuditAnchor | None:
    """Seal the heads of the chains that moved since the last anchor; None when none moved."""
    key = session_key(session)
    now = now or utcnow()
    previous = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1)).first()
    since = previous.created_at - LATE_COMMIT_MARGIN if previous is not None else None
    current = _current_heads(session, since)
    sealed = sealed_heads(session, current) if previous is not None else {}
    moved = {stream: head for stream, head in current.items() if sealed.get(stream) != head}
    if not moved:
        return None
    prev_signature = previous.signature if previous is not None else GENESIS
    signature = digest(prev_signature, anchor_fields(now, ((s, h.seq, h.hash) for s, h in moved.items())), key=key)
    anchor = AuditAnchor(created_at=now, heads=len(moved), prev_signature=prev_signature, signature=signature)
    session.add(anchor)
    session.flush()
    session.execute(insert(AuditAnchorHead), [{"anchor_id": anchor.id, "stream": stream, "seq": head.seq,
                                               "hash": head.hash} for stream, head in moved.items()])
    session.flush()
    return anchor


def append_to_file(path: Path, anchor: AuditAnchor) -> None:
    """Keep the anchor outside the database too; call after the transaction that made it committed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"anchor": anchor.id, "created_at": anchor.created_at.isoformat(), "heads": anchor.heads,
                       "prev_signature": anchor.prev_signature, "signature": anchor.signature})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read_file(path: Path) -> list[dict[str, Any]]:
    """The anchors the file keeps, in order; a line that is not an anchor is kept as {"unreadable": n}."""
    if not path.exists():
        return []
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
        except ValueError:
            entries.append({"unreadable": number})
            continue
        entries.append(entry if isinstance(entry, dict) else {"unreadable": number})
    return entries


def heads_of(session: Session, anchor_ids: Iterable[int]) -> dict[int, list[tuple[str, int, str]]]:
    """The heads each anchor recorded."""
    found: dict[int, list[tuple[str, int, str]]] = {}
    ids = list(anchor_ids)
    if ids:
        for anchor_id, stream, seq, head in session.execute(
                select(AuditAnchorHead.anchor_id, AuditAnchorHead.stream, AuditAnchorHead.seq, AuditAnchorHead.hash)
                .where(AuditAnchorHead.anchor_id.in_(ids))):
            found.setdefault(anchor_id, []).append((stream, seq, head))
    return found

