"""Writing the audit trail: each case's history, and the log of everything else.

Both are chains of keyed digests (chain.py). Services call these inside the transaction of the
action they record, so an action and its record are committed together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, selectinload

from mangxanh.db import lock, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.chain import GENESIS, KEYED_VERSION, digest, session_key
from mangxanh.domains.audit.models import AuditCheck, AuditEvent, AuditKind, CaseEvent, CaseEventKind
from mangxanh.domains.cases.models import Case

# What a case event's digest covers, besides the previous digest.
CASE_EVENT_FIELDS = ("case_id", "seq", "actor_id", "kind", "before", "after", "note", "created_at")
# What an audit log entry's digest covers, besides the previous digest.
AUDIT_EVENT_FIELDS = ("stream", "seq", "kind", "actor_id", "case_id", "subject", "address", "data", "created_at")


# The audit log's stream of changes to the platform itself: rules, sources, tokens, accounts.
SYSTEM_STREAM = "system"


def case_stream(case_id: int) -> str:
    """The name of a case's own history in the anchors."""
    return f"case:{case_id}"


def access_stream(case_id: int) -> str:
    """The audit log's stream of who opened, downloaded or was refused a case."""
    return f"case-access:{case_id}"


class CaseHistoryWriter:
    """Appends events to the histories of many cases, reading each chain's head only once.

    Ingesting a batch adds several events to each of hundreds of cases: the head (last seq and
    digest) of every chain is read in one query and then kept here, and the rows are written by
    one multi-row INSERT in :meth:`write` (they are never read back as objects, so the ORM's
    bookkeeping is skipped). A writer belongs to one transaction.

    Reading a head locks the cases' rows (in id order, so that two writers never wait for each
    other in a circle) until the transaction ends: two transactions appending to one case would
    otherwise both read seq N and both write N + 1, and the second would fail on the (case_id,
    seq) unique key. On PostgreSQL the second now waits, then reads the first one's events; on
    SQLite write transactions take the write lock when they begin, so they never overlap at all.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._key = session_key(session)
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
        for case_id, seq, head in rows:
            self._heads[case_id] = (seq, head)
        for case_id in wanted - self._heads.keys():
            self._heads[case_id] = (0, GENESIS)

    def append(
        self, *, case_id: int, kind: CaseEventKind | str, actor: User | None = None,
        before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, note: str | None = None,
    ) -> None:
        """Chain an event to the case's last one; it is stored by :meth:`write`."""
        self.read_heads((case_id,))
        seq, prev_hash = self._heads[case_id]
        row: dict[str, Any] = {
            "case_id": case_id, "seq": seq + 1, "actor_id": actor.id if actor else None, "kind": str(kind),
            "before": before, "after": after, "note": note, "created_at": utcnow(), "prev_hash": prev_hash,
            "hash_version": KEYED_VERSION,
        }
        row["hash"] = digest(prev_hash, {name: row[name] for name in CASE_EVENT_FIELDS}, key=self._key)
        self._rows.append(row)
        self._heads[case_id] = (seq + 1, row["hash"])

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
    session: Session, *, case_id: int, kind: CaseEventKind | str, actor: User | None = None,
    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, note: str | None = None,
) -> None:
    """Append an event to a case's history, chained to the one before it."""
    writer = CaseHistoryWriter(session)
    writer.append(case_id=case_id, kind=kind, actor=actor, before=before, after=after, note=note)
    writer.write()


def record_audit(
    session: Session, *, kind: AuditKind, stream: str, actor: User | None = None, case_id: int | None = None,
    subject: str | None = None, address: str | None = None, data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> int:
    """Append an entry to one stream of the audit log, chained to the stream's last entry; returns its id."""
    key = session_key(session)
    # Appends to one stream take turns: two would otherwise both read head N and both write N + 1.
    lock(session, f"audit:{stream}")
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.stream == stream)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS)
    fields: dict[str, Any] = {
        "stream": stream, "seq": seq + 1, "kind": str(kind), "actor_id": actor.id if actor else None,
        "case_id": case_id, "subject": subject, "address": address, "data": dict(data or {}),
        "created_at": now or utcnow(),
    }
    row = {**fields, "prev_hash": prev_hash, "hash": digest(prev_hash, fields, key=key)}
    return int(session.execute(insert(AuditEvent).values(row).returning(AuditEvent.id)).scalar_one())


def history(session: Session, *, case_id: int) -> list[CaseEvent]:
    """The case's events in order, with who did each."""
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)
                                .options(selectinload(CaseEvent.actor))))


@dataclass(frozen=True, slots=True)
class AccessSummary:
    """Who opened a case's restricted content, and how often (the access log, apart from its story)."""

    views: int
    people: int
    last: list[AuditEvent]


def access_summary(session: Session, *, case_id: int, last: int = 20) -> AccessSummary:
    """How often, and by how many people, the case was opened; the last entries of its access log."""
    views: dict[int | None, int] = {}
    logged = select(AuditEvent.actor_id, func.count()).where(
        AuditEvent.case_id == case_id, AuditEvent.kind == AuditKind.CASE_VIEWED.value).group_by(AuditEvent.actor_id)
    # Histories written before the access log keep their views as case events.
    older = select(CaseEvent.actor_id, func.count()).where(
        CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.VIEWED.value).group_by(CaseEvent.actor_id)
    for query in (logged, older):
        for actor_id, count in session.execute(query):
            views[actor_id] = views.get(actor_id, 0) + count
    recent = list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                  .order_by(AuditEvent.id.desc()).limit(last).options(selectinload(AuditEvent.actor))))
    return AccessSummary(sum(views.values()), len(views), recent)


def latest_check(session: Session) -> AuditCheck | None:
    """The last verification of the whole trail, if any ran."""
    return session.scalars(select(AuditCheck).order_by(AuditCheck.id.desc()).limit(1)).first()


def count_events(session: Session) -> int:
    return session.scalar(select(func.count(CaseEvent.id))) or 0
