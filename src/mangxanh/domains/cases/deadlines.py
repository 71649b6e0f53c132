"""Deadlines kept: overdue cases escalated to the supervisors, requests left unanswered marked so.

The schedulers call :func:`escalate_overdue` each tick. A case still being handled past its
deadline is escalated once (an event in its history, a flag the queue can filter on); a request
sent to a platform and not answered by its deadline (24 hours from sending, by Decree 147/2024)
becomes "no answer", so that the follow-up (a reminder, a referral) is visible. A late answer
can still close it. Work is taken in batches so that a first run on a large backlog never holds
the database for long.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mangxanh.core.workflow.actions import ActionState
from mangxanh.db import utcnow
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.actions.service import record_answer
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import CaseHistoryWriter
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import past_deadline

BATCH = 500


@dataclass
class Escalation:
    """What one tick did: the cases escalated (id, category, deadline) and the requests marked unanswered."""

    cases: list[tuple[int, str, datetime]] = field(default_factory=list)
    unanswered: list[int] = field(default_factory=list)


def escalate_overdue(session: Session, *, now: datetime | None = None, batch: int = BATCH) -> Escalation:
    """Escalate the cases past their deadline not escalated yet, and expire the unanswered requests."""
    now = now or utcnow()
    done = Escalation()
    late = session.execute(
        select(Case.id, Case.category, Case.due_at, Case.status)
        .where(*past_deadline(now), Case.overdue_at.is_(None))
        .order_by(Case.due_at, Case.id).limit(batch).with_for_update(skip_locked=True)).all()
    if late:
        # A plain UPDATE: the escalation must not make a colleague's open form on the case stale.
        session.execute(update(Case).where(Case.id.in_([row.id for row in late])).values(overdue_at=now)
                        .execution_options(synchronize_session=False))
        histories = CaseHistoryWriter(session)
        histories.read_heads(row.id for row in late)
        for row in late:
            hours = int((now - row.due_at).total_seconds() // 3600)
            histories.append(case_id=row.id, kind=CaseEventKind.OVERDUE,
                             after={"due_at": row.due_at.isoformat(), "hours_late": hours, "status": row.status})
            done.cases.append((row.id, row.category, row.due_at))
        histories.write()
    awaiting = [state.value for state in ActionState if state.awaits_answer]
    waiting = session.scalars(
        select(OutwardAction.id).where(OutwardAction.state.in_(awaiting), OutwardAction.due_at < now)
        .order_by(OutwardAction.due_at).limit(batch)).all()
    for action_id in waiting:
        record_answer(session, user=None, action_id=action_id, answer="no_answer", by="deadline")
        done.unanswered.append(action_id)
    return done


def overdue_count(session: Session, *, now: datetime | None = None) -> int:
    """How many cases are being handled past their deadline (the supervisors' banner)."""
    return session.scalar(select(func.count()).select_from(Case).where(*past_deadline(now or utcnow()))) or 0
