"""Append to and verify the hash-chained case history."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.cases.models import Case

GENESIS = "0" * 64


# What an event's hash covers, besides the previous hash and the time.
_HASHED = ("case_id", "seq", "actor_id", "kind", "before", "after", "note")


def _digest(event: Mapping[str, Any]) -> str:
    body = {name: event[name] for name in _HASHED}
    body["created_at"] = event["created_at"].isoformat()
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((event["prev_hash"] + canonical).encode("utf-8")).hexdigest()


def _stored_fields(event: CaseEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in (*_HASHED, "created_at", "prev_hash")}


class CaseHistoryWriter:
    """Appends events to the histories of many cases, reading each chain's head only once.

    Ingesting a batch adds several events to each of hundreds of cases: the head (last seq and
    hash) of every chain is read in one query and then kept here, and the rows are written by
    one multi-row INSERT in :meth:`write` (they are never read back as objects, so the ORM's
    bookkeeping is skipped). A writer belongs to one transaction.

    Reading a head locks the cases' rows (in id order, so that two writers never wait for each
    other in a circle) until the transaction ends: two transactions appending to one case would
    otherwise both read seq N and both write N + 1, and the second would fail on the (case_id,
    seq) unique key. On PostgreSQL the second now waits, then reads the first one's events; on
    SQLite transactions take the write lock when they begin, so they never overlap at all.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._heads: dict[int, tuple[int, str]] = {}
        self._rows: list[dict[str, Any]] = []

    def read_heads(self, case_ids: Iterable[int]) -> None:
        """Read the last event of each case not read yet, all in one query."""
        wanted = {case_id for case_id in case_ids if case_id not in self._heads}
        if not wanted:
            return
        self._session.execute(select(Case.id).where(Case.id.in_(wanted)).order_by(Case.id).with_for_update())
        last = (
            select(CaseEvent.case_id, func.max(CaseEvent.seq).label("seq"))
            .where(CaseEvent.case_id.in_(wanted)).group_by(CaseEvent.case_id).subquery()
        )
        rows = self._session.execute(
            select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash)
            .join(last, (CaseEvent.case_id == last.c.case_id) & (CaseEvent.seq == last.c.seq))
        )
        for case_id, seq, digest in rows:
            self._heads[case_id] = (seq, digest)
        for case_id in wanted - self._heads.keys():
            self._heads[case_id] = (0, GENESIS)

    def append(
        self,
        *,
        case_id: int,
        kind: str,
        actor: User | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        """Chain an event to the case's last one; it is stored by :meth:`write`."""
        self.read_heads((case_id,))
        seq, prev_hash = self._heads[case_id]
        row: dict[str, Any] = {
            "case_id": case_id, "seq": seq + 1, "actor_id": actor.id if actor else None, "kind": kind,
            "before": before, "after": after, "note": note, "created_at": utcnow(), "prev_hash": prev_hash,
        }
        digest = row["hash"] = _digest(row)
        self._rows.append(row)
        self._heads[case_id] = (seq + 1, digest)

    @property
    def pending(self) -> int:
        """How many events are appended and not written yet."""
        return len(self._rows)

    def take_rows(self) -> list[dict[str, Any]]:
        """The appended rows, handed over instead of written (a bulk loader copies them itself)."""
        rows, self._rows = self._rows, []
        return rows

    def write(self) -> None:
        if rows := self.take_rows():
            self._session.execute(insert(CaseEvent).execution_options(render_nulls=True), rows)


def record_event(
    session: Session,
    *,
    case_id: int,
    kind: str,
    actor: User | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Append an event to a case's history, chained to the one before it."""
    writer = CaseHistoryWriter(session)
    writer.append(case_id=case_id, kind=kind, actor=actor, before=before, after=after, note=note)
    writer.write()


@dataclass(frozen=True, slots=True)
class ChainCheck:
    ok: bool
    events: int
    first_bad_seq: int | None = None


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """A case's events in order, read once, and whether their chain holds."""

    events: list[CaseEvent]
    check: ChainCheck


def verify_events(events: Sequence[CaseEvent]) -> ChainCheck:
    """Recompute the chain of a case's events (in seq order); the first that does not match is reported."""
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or _digest(_stored_fields(event)) != event.hash:
            return ChainCheck(False, len(events), event.seq)
        prev = event.hash
    return ChainCheck(True, len(events))


def verify_case_history(session: Session, *, case_id: int) -> ChainCheck:
    """Recompute a case's chain from the database."""
    return verify_events(history(session, case_id=case_id))


def history(session: Session, *, case_id: int) -> list[CaseEvent]:
    """The case's events in order, with who did each."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
                                .options(selectinload(CaseEvent.actor))))


def read_history(session: Session, *, case_id: int) -> CaseHistory:
    """The events to show and the check of their chain, from one read (a page shows and verifies the same rows)."""
    events = history(session, case_id=case_id)
    return CaseHistory(events, verify_events(events))


def count_events(session: Session) -> int:
    return session.scalar(select(func.count(CaseEvent.id))) or 0
