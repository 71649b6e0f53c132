"""The case queue: which cases a member of staff sees, filtered and sorted, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from mangxanh.core.workflow import HANDLING_STATES, CaseStatus
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.search import SearchQuery, matching


class QueueOrder(StrEnum):
    PRIORITY = "priority"
    DEADLINE = "deadline"


# Each order is served by an index of cases/models.py under each filter (read in order, stopped after the page).
ORDERS = {
    # Highest priority first, then the nearest deadline, then the oldest case.
    QueueOrder.PRIORITY: (Case.priority.desc(), Case.due_at.asc(), Case.id.asc()),
    QueueOrder.DEADLINE: (Case.due_at.asc(), Case.id.asc()),
}


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str | None = None
    category: str | None = None
    severity: str | None = None
    district: str | None = None
    assignee_id: int | None = None
    open_only: bool = True
    overdue: bool = False  # still being handled past its deadline
    search: SearchQuery | None = None  # words of the item's text, author or URL
    order: QueueOrder = QueueOrder.PRIORITY


def past_deadline(now: datetime) -> list[ColumnElement[bool]]:
    """Cases still being handled whose deadline has passed (the queue's filter, the deadline job's work)."""
    return [Case.status.in_([s.value for s in HANDLING_STATES]), Case.due_at < now]


def scoped(filters: QueueFilter, user: User) -> QueueFilter:
    """What this user may see of the queue: a district officer, their own district's cases only."""
    if user.role == Role.DISTRICT_OFFICER:
        return replace(filters, district=user.district or "\x00")  # no district given: no case matches
    return filters


def _conditions(session: Session, filters: QueueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.search is not None:
        conditions.append(matching(session, filters.search))
    if filters.status:
        conditions.append(Case.status == filters.status)
    elif filters.open_only:
        conditions.append(Case.status.not_in([CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value]))
    if filters.overdue:
        conditions += past_deadline(utcnow())
    if filters.category:
        conditions.append(Case.category == filters.category)
    if filters.severity:
        conditions.append(Case.severity == filters.severity)
    if filters.district:
        conditions.append(Case.district == filters.district)
    if filters.assignee_id is not None:
        conditions.append(Case.assignee_id == filters.assignee_id)
    return conditions


def queue(session: Session, *, filters: QueueFilter, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
    """A page of cases in the filter's order, and how many match in all.

    The page is chosen from the cases table alone, and only then are its cases loaded with their
    items and assignees: joining items first would carry every open case's item through the sort.
    """
    conditions = _conditions(session, filters)
    ids = list(session.scalars(select(Case.id).where(*conditions).order_by(*ORDERS[filters.order])
                               .limit(limit).offset(offset)))
    loaded = {case.id: case for case in session.scalars(
        select(Case).where(Case.id.in_(ids)).options(joinedload(Case.item), joinedload(Case.assignee)))} if ids else {}
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    return [loaded[case_id] for case_id in ids], total
