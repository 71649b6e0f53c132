"""Is the content still there? Fetching again what a sent request asked to remove, by hand or on a schedule.

The fetch goes through the same safe fetcher as the sources (no private addresses, bounded size
and time, robots aside: a check is one request for one page the department has a case about).
It runs outside any transaction; the outcome is then recorded with an event in the case's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.connectors.safe_http import FetchError, FetchPolicy, HttpStatusError, fetch
from mangxanh.core.workflow.actions import ActionState
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action
from mangxanh.domains.actions.models import ActionCheck, OutwardAction
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import record_event
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.content.models import StoredItem
from mangxanh.errors import InvalidInput

log = logging.getLogger(__name__)

# Removed for good, removed for legal reasons, or gone: the request was met.
REMOVED_STATUSES = frozenset({404, 410, 451})
RECHECK_EVERY = timedelta(hours=6)
# Kinds whose result a fetch can see.
CHECKED_KINDS = frozenset({"request_takedown", "request_account_lock", "domain_suspend"})


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    outcome: str  # removed, present, unreachable
    http_status: int | None
    detail: str


def look(url: str, policy: FetchPolicy) -> CheckOutcome:
    """Fetch the page once and say what is there."""
    try:
        result = fetch(url, policy)
    except HttpStatusError as exc:
        outcome = "removed" if exc.status in REMOVED_STATUSES else "unreachable"
        return CheckOutcome(outcome, exc.status, str(exc)[:500])
    except FetchError as exc:
        return CheckOutcome("unreachable", None, str(exc)[:500])
    return CheckOutcome("present", result.status, f"{len(result.body)} bytes")


def recheck(factory: sessionmaker[Session], *, action_id: int, policy: FetchPolicy, user_id: int | None = None,
            now: datetime | None = None) -> CheckOutcome:
    """Check one action's content now and record what was found."""
    with unit_of_work(factory, reads_only=True) as session:
        action = session.get(OutwardAction, action_id)
        if action is None:
            raise InvalidInput("No action with number {id}.", id=action_id)
        if user_id is not None:
            access_case(session, user=session.get_one(User, user_id), case_id=action.case_id,
                        need=Action.RECORD_ANSWER)
        url = session.scalar(select(Case).where(Case.id == action.case_id)).item.url  # type: ignore[union-attr]
    if not url:
        raise InvalidInput("The content has no address to check.")
    found = look(url, policy)
    with unit_of_work(factory) as session:
        session.add(ActionCheck(action_id=action_id, checked_at=now or utcnow(), outcome=found.outcome,
                                http_status=found.http_status, detail=found.detail, checked_by_id=user_id))
        actor = session.get(User, user_id) if user_id is not None else None
        record_event(session, case_id=session.get_one(OutwardAction, action_id).case_id,
                     kind=CaseEventKind.ACTION_CHECKED, actor=actor,
                     after={"action_id": action_id, "outcome": found.outcome, "http_status": found.http_status})
    return found


def due_for_recheck(session: Session, *, now: datetime) -> list[int]:
    """Sent requests whose content was not checked for RECHECK_EVERY (or at all)."""
    last = (select(ActionCheck.action_id, func.max(ActionCheck.checked_at).label("at"))
            .group_by(ActionCheck.action_id).subquery())
    rows = session.execute(
        select(OutwardAction.id).outerjoin(last, last.c.action_id == OutwardAction.id)
        .join(Case, Case.id == OutwardAction.case_id).join(StoredItem, StoredItem.id == Case.item_id)
        .where(StoredItem.url.is_not(None),
               OutwardAction.state.in_([ActionState.SENT.value, ActionState.ACKNOWLEDGED.value,
                                        ActionState.NO_ANSWER.value]),
               OutwardAction.kind.in_(CHECKED_KINDS),
               (last.c.at.is_(None)) | (last.c.at <= now - RECHECK_EVERY))
        .order_by(OutwardAction.id))
    return [action_id for (action_id,) in rows]


def recheck_due(factory: sessionmaker[Session], *, policy: FetchPolicy, now: datetime | None = None) -> int:
    """What the schedulers call: re-check every sent request that is due; returns how many were checked."""
    now = now or utcnow()
    with unit_of_work(factory, reads_only=True) as session:
        due = due_for_recheck(session, now=now)
    checked = 0
    for action_id in due:
        try:
            recheck(factory, action_id=action_id, policy=policy, now=now)
            checked += 1
        except InvalidInput:
            continue  # no address to check: nothing a fetch can tell
    return checked
