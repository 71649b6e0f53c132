"""Cases: opened from findings, worked through the state machine, decided with a legal basis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session, joinedload, selectinload

from mangxanh.core.rules import Verdict
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus, apply_transition
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.audit.models import AuditKind, CaseEventKind
from mangxanh.domains.audit.service import CaseHistoryWriter, access_stream, record_audit, record_event
from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.errors import Conflict, InvalidInput, NotFound

MAX_NOTE_CHARS = 5_000

# A stored finding as a case's history cites it: id, category, score, detector.
FindingRef = tuple[int, str, float, str]


def opening_columns(verdict: Verdict, now: datetime) -> dict[str, Any]:
    """The columns of a case opened now on this verdict, its item aside."""
    return {
        "category": verdict.category, "severity": verdict.severity, "priority": verdict.priority,
        "route": verdict.route, "escalated": verdict.escalate, "trace": list(verdict.trace),
        "status": CaseStatus.NEW.value, "opened_at": now, "due_at": now + timedelta(hours=verdict.deadline_hours),
        "updated_at": now,
    }


def opened_event(columns: Mapping[str, Any]) -> dict[str, Any]:
    return {"category": columns["category"], "severity": columns["severity"], "priority": columns["priority"],
            "route": columns["route"], "due_at": columns["due_at"].isoformat()}


def finding_added_event(finding_id: int, category: str, score: float, detector: str) -> dict[str, Any]:
    return {"finding_id": finding_id, "category": category, "score": round(score, 4), "detector": detector}


class CaseIntake:
    """Opens or joins the cases of a batch of stored, re-analysed items in a fixed number of queries.

    The open cases of the batch's items are read in one query; new cases, findings' links and the
    audit events are written in :meth:`finish`, the chain heads read once. Each item is filed at
    most once per intake (ingestion analyses an item once per batch).
    """

    def __init__(self, session: Session, *, items: Iterable[StoredItem], threshold: float, taxonomy: Taxonomy
                 ) -> None:
        self._session, self._threshold, self._taxonomy = session, threshold, taxonomy
        stored = {item.id: item for item in items}
        self._cases: dict[StoredItem, Case] = {}
        if stored:
            # Under no_autoflush: the items' edits are written later, in one flush with the rest.
            with session.no_autoflush:
                for case in session.scalars(select(Case).where(
                        Case.item_id.in_(stored), Case.status != CaseStatus.CLOSED.value)):
                    self._cases[stored[case.item_id]] = case
        # What to write into the cases' histories once the flush has given every row its id.
        self._events: list[tuple[Case, str, dict[str, Any] | None, dict[str, Any] | StoredFinding]] = []

    def file(self, *, item: StoredItem, findings: Sequence[StoredFinding], verdict: Verdict, now: datetime
             ) -> tuple[Case, bool]:
        """Attach the findings over the threshold to the item's open case, opening one if there is none.

        Returns the case and whether it was opened now. A later verdict that is more severe or more
        urgent than the case's raises the case to it; it never lowers a case.
        """
        strong = [f for f in findings if f.score >= self._threshold]
        case = self._cases.get(item)
        if case is None:
            # The relationships fill item_id and the findings' case_id when the rows are inserted.
            columns = opening_columns(verdict, now)
            case = Case(item=item, findings=list(strong), **columns)
            self._session.add(case)
            self._cases[item] = case
            self._events.append((case, CaseEventKind.OPENED, None, opened_event(columns)))
            self._events.extend((case, CaseEventKind.FINDING_ADDED, None, finding) for finding in strong)
            return case, True
        if _more_urgent(verdict, case, self._taxonomy):
            before = {"category": case.category, "severity": case.severity, "priority": case.priority,
                      "route": case.route}
            case.category, case.severity, case.priority = verdict.category, verdict.severity, verdict.priority
            case.route, case.trace = verdict.route, list(verdict.trace)
            case.escalated = case.escalated or verdict.escalate
            case.due_at = min(case.due_at, now + timedelta(hours=verdict.deadline_hours))
            case.updated_at = now
            self._events.append((case, CaseEventKind.ESCALATED, before, {
                "category": case.category, "severity": case.severity, "priority": case.priority,
                "route": case.route}))
        for finding in strong:
            if finding.case_id != case.id:
                finding.case_id = case.id
                self._events.append((case, CaseEventKind.FINDING_ADDED, None, finding))
        return case, False

    def finish(self) -> None:
        """Write the cases and their findings' links, then the events that cite their ids."""
        self._session.flush()
        histories = CaseHistoryWriter(self._session)
        histories.read_heads(case.id for case, *_ in self._events)
        for case, kind, before, after in self._events:
            if isinstance(after, StoredFinding):
                after = finding_added_event(after.id, after.category, after.score, after.detector)
            histories.append(case_id=case.id, kind=kind, before=before, after=after)
        self._events.clear()
        histories.write()


class CaseOpenings:
    """Opens in bulk the cases of items stored in this transaction, which cannot have one yet.

    The fast lane of ingestion for new items: one INSERT for the cases, one query for their ids,
    and one INSERT for their histories (each an "opened" event, then one "finding_added" event for
    every finding over the threshold, as :class:`CaseIntake` writes them).
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._columns: dict[int, dict[str, Any]] = {}

    def open(self, *, item_id: int, verdict: Verdict, now: datetime) -> None:
        self._columns[item_id] = opening_columns(verdict, now)

    def insert(self) -> dict[int, int]:
        """Write the cases; returns each item's case id."""
        if not self._columns:
            return {}
        # render_nulls: rows with and without a NULL go in one multi-row INSERT, not one per pattern.
        self._session.execute(insert(Case).execution_options(render_nulls=True),
                              [{"item_id": item_id, **columns} for item_id, columns in self._columns.items()])
        rows = self._session.execute(select(Case.item_id, Case.id).where(
            Case.item_id.in_(self._columns), Case.status != CaseStatus.CLOSED.value))
        return {item_id: case_id for item_id, case_id in rows}

    def record(self, case_ids: Mapping[int, int], strong: Mapping[int, Sequence[FindingRef]]) -> None:
        """Write the cases' histories, once the findings attached to them have their ids."""
        histories = CaseHistoryWriter(self._session)
        histories.read_heads(case_ids.values())
        for item_id, columns in self._columns.items():
            case_id = case_ids[item_id]
            histories.append(case_id=case_id, kind=CaseEventKind.OPENED, after=opened_event(columns))
            for finding in strong.get(item_id, ()):
                histories.append(case_id=case_id, kind=CaseEventKind.FINDING_ADDED, after=finding_added_event(*finding))
        histories.write()


def _more_urgent(verdict: Verdict, case: Case, taxonomy: Taxonomy) -> bool:
    rank_new, rank_old = taxonomy.severities[verdict.severity].rank, taxonomy.severities[case.severity].rank
    return rank_new > rank_old or (rank_new == rank_old and verdict.priority > case.priority)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str | None = None
    category: str | None = None
    severity: str | None = None
    open_only: bool = True


# Highest priority first, then the nearest deadline, then the oldest case: the indexes of
# cases/models.py serve this order under each filter.
QUEUE_ORDER = (Case.priority.desc(), Case.due_at.asc(), Case.id.asc())


def _queue_conditions(filters: QueueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Case.status == filters.status)
    elif filters.open_only:
        conditions.append(Case.status.not_in([CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value]))
    if filters.category:
        conditions.append(Case.category == filters.category)
    if filters.severity:
        conditions.append(Case.severity == filters.severity)
    return conditions


def queue(session: Session, *, filters: QueueFilter, limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
    """Cases sorted by priority, then nearest deadline; and how many match in all.

    The page is chosen from the cases table alone (an index read in order, stopping after the
    page), and only then are its cases loaded with their items and assignees: joining items first
    would carry every open case's item through the sort.
    """
    conditions = _queue_conditions(filters)
    ids = list(session.scalars(select(Case.id).where(*conditions).order_by(*QUEUE_ORDER).limit(limit).offset(offset)))
    loaded = {case.id: case for case in session.scalars(
        select(Case).where(Case.id.in_(ids)).options(joinedload(Case.item), joinedload(Case.assignee)))} if ids else {}
    total = session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    return [loaded[case_id] for case_id in ids], total


def get_case(session: Session, *, case_id: int) -> Case:
    case = session.scalar(
        select(Case).where(Case.id == case_id)
        .options(joinedload(Case.item), selectinload(Case.findings), selectinload(Case.decisions))
    )
    if case is None:
        raise NotFound("Case {case_id} does not exist.", case_id=case_id)
    return case


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise Conflict("Someone else changed this case meanwhile. Reload it and try again.")


def transition_case(
    session: Session, *, case_id: int, transition: str, actor: User, expected_version: int | None = None,
    note: str | None = None,
) -> Case:
    """Move a case through its state machine and record who did it."""
    case = get_case(session, case_id=case_id)
    _check_version(case, expected_version)
    if transition == "decide":
        raise InvalidInput("A decision is recorded with the decision form.")
    target = apply_transition(CaseStatus(case.status), transition)
    before = {"status": case.status}
    case.status = target.value
    case.updated_at = utcnow()
    if target is CaseStatus.CLOSED:
        case.closed_at = case.updated_at
    elif transition == "reopen":
        case.closed_at = None
    if transition == "start_review" and case.assignee_id is None:
        case.assignee_id = actor.id
    session.flush()
    record_event(session, case_id=case.id, kind=CaseEventKind.TRANSITION, actor=actor, before=before,
                 after={"status": case.status, "transition": transition}, note=note)
    return case


def record_decision(
    session: Session, *, case_id: int, actor: User, taxonomy: Taxonomy, category: str, legal_basis: str,
    action: str, note: str, expected_version: int | None = None,
) -> Decision:
    """Decide a case: category, legal basis in force when the item was published, action, reasons."""
    case = get_case(session, case_id=case_id)
    _check_version(case, expected_version)
    if category not in taxonomy.categories:
        raise InvalidInput("Unknown category: {category}", category=category)
    chosen = taxonomy.category(category)
    published = (case.item.published_at or case.opened_at).date()
    bases = {b.key: b for b in chosen.bases_in_force(published)}
    if legal_basis not in bases:
        raise InvalidInput("Choose a legal basis of this category that was in force when the content was published.")
    if action not in {a.code for a in chosen.actions} | {"no_action"}:
        raise InvalidInput("This action is not available for the chosen category.")
    note = note.strip()
    if not note:
        raise InvalidInput("Write the statement of reasons for the decision.")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput("The statement of reasons is longer than {n} characters.", n=MAX_NOTE_CHARS)
    new_status = apply_transition(CaseStatus(case.status), "decide")
    decision = Decision(case_id=case.id, decided_by_id=actor.id, category=category, legal_basis=legal_basis,
                        action=action, note=note)
    session.add(decision)
    before = {"status": case.status, "category": case.category, "severity": case.severity}
    case.status = new_status.value
    case.category = chosen.code
    case.severity = chosen.severity.code
    case.updated_at = utcnow()
    if case.assignee_id is None:
        case.assignee_id = actor.id
    session.flush()
    record_event(session, case_id=case.id, kind=CaseEventKind.DECISION, actor=actor, before=before,
                 after={"status": case.status, "category": category, "severity": case.severity,
                        "legal_basis": legal_basis, "action": action, "decision_id": decision.id}, note=note)
    return decision


def record_view(session: Session, *, case_id: int, actor: User, address: str | None = None) -> None:
    """Opening a case shows restricted content: the view goes to the case's access log, not its story."""
    record_audit(session, kind=AuditKind.CASE_VIEWED, stream=access_stream(case_id), actor=actor, case_id=case_id,
                 address=address)
