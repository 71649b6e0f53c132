"""Cases: opened from findings, worked through the state machine, decided with a legal basis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mangxanh.core.rules import Verdict
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus, apply_transition
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import TRANSITION_ACTIONS, Action
from mangxanh.domains.audit.models import AuditKind, CaseEventKind
from mangxanh.domains.audit.service import CaseHistoryWriter, access_stream, record_audit, record_event
from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.cases.search import document_of, index_items
from mangxanh.domains.cases.work import access_case, district_of_route
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.evidence.models import Capture
from mangxanh.errors import Conflict, InvalidInput, InvalidTransition

MAX_NOTE_CHARS = 5_000

class FindingRef(NamedTuple):
    """A stored finding as a case's history cites it, with the capture its spans are in."""

    finding_id: int
    category: str
    score: float
    detector: str
    capture_id: int
    capture_sha256: str


def opening_columns(verdict: Verdict, now: datetime) -> dict[str, Any]:
    """The columns of a case opened now on this verdict, its item aside."""
    return {
        "category": verdict.category, "severity": verdict.severity, "priority": verdict.priority,
        "route": verdict.route, "district": district_of_route(verdict.route), "escalated": verdict.escalate,
        "trace": list(verdict.trace),
        "status": CaseStatus.NEW.value, "opened_at": now, "due_at": now + timedelta(hours=verdict.deadline_hours),
        "updated_at": now,
    }


def opened_event(columns: Mapping[str, Any]) -> dict[str, Any]:
    return {"category": columns["category"], "severity": columns["severity"], "priority": columns["priority"],
            "route": columns["route"], "due_at": columns["due_at"].isoformat()}


def finding_added_event(ref: FindingRef) -> dict[str, Any]:
    return {"finding_id": ref.finding_id, "category": ref.category, "score": round(ref.score, 4),
            "detector": ref.detector, **capture_binding(ref.capture_id, ref.capture_sha256)}


def capture_binding(capture_id: int, sha256: str) -> dict[str, Any]:
    """What a case event says of the capture it rests on: the audit trail then binds the capture's digest."""
    return {"capture_id": capture_id, "capture_sha256": sha256}


def _ref(finding: StoredFinding) -> FindingRef:
    return FindingRef(finding.id, finding.category, finding.score, finding.detector, finding.capture.id,
                      finding.capture.sha256)


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
        # What to write into the cases' histories once the flush has given every row its id: a
        # finding's event is made from it then, and an opening names the capture of its first finding.
        self._events: list[tuple[Case, str, dict[str, Any] | None, dict[str, Any] | StoredFinding,
                                 StoredFinding | None]] = []

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
            self._events.append((case, CaseEventKind.OPENED, None, opened_event(columns),
                                 strong[0] if strong else None))
            self._events.extend((case, CaseEventKind.FINDING_ADDED, None, finding, None) for finding in strong)
            return case, True
        if _more_urgent(verdict, case, self._taxonomy):
            before = {"category": case.category, "severity": case.severity, "priority": case.priority,
                      "route": case.route}
            case.category, case.severity, case.priority = verdict.category, verdict.severity, verdict.priority
            case.route, case.trace = verdict.route, list(verdict.trace)
            case.district = district_of_route(verdict.route) or case.district
            case.escalated = case.escalated or verdict.escalate
            case.due_at = min(case.due_at, now + timedelta(hours=verdict.deadline_hours))
            case.updated_at = now
            self._events.append((case, CaseEventKind.ESCALATED, before, {
                "category": case.category, "severity": case.severity, "priority": case.priority,
                "route": case.route}, None))
        for finding in strong:
            if finding.case_id != case.id:
                finding.case_id = case.id
                self._events.append((case, CaseEventKind.FINDING_ADDED, None, finding, None))
        return case, False

    def finish(self) -> None:
        """Write the cases and their findings' links, then the events that cite their ids."""
        self._session.flush()
        histories = CaseHistoryWriter(self._session)
        histories.read_heads(case.id for case, *_ in self._events)
        for case, kind, before, after, opened_on in self._events:
            if isinstance(after, StoredFinding):
                after = finding_added_event(_ref(after))
            elif opened_on is not None:
                after = {**after, **capture_binding(opened_on.capture.id, opened_on.capture.sha256)}
            histories.append(case_id=case.id, kind=kind, before=before, after=after)
        self._events.clear()
        histories.write()
        # Each filed item was new or edited: its words are (re)indexed for the queue's search.
        index_items(self._session, [(item.id, document_of(item)) for item in self._cases])


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

    def record(self, case_ids: Mapping[int, int], strong: Mapping[int, Sequence[FindingRef]],
               captures: Mapping[int, tuple[int, str]]) -> None:
        """Write the cases' histories, once the findings attached to them have their ids."""
        histories = CaseHistoryWriter(self._session)
        histories.read_heads(case_ids.values())
        for item_id, columns in self._columns.items():
            case_id = case_ids[item_id]
            histories.append(case_id=case_id, kind=CaseEventKind.OPENED,
                             after={**opened_event(columns), **capture_binding(*captures[item_id])})
            for finding in strong.get(item_id, ()):
                histories.append(case_id=case_id, kind=CaseEventKind.FINDING_ADDED, after=finding_added_event(finding))
        histories.write()


def _more_urgent(verdict: Verdict, case: Case, taxonomy: Taxonomy) -> bool:
    rank_new, rank_old = taxonomy.severities[verdict.severity].rank, taxonomy.severities[case.severity].rank
    return rank_new > rank_old or (rank_new == rank_old and verdict.priority > case.priority)


def check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise Conflict("Someone else changed this case meanwhile. Reload it and try again.")


def _refuse_a_second_open_case(session: Session, case: Case) -> None:
    """An item has at most one open case: reopening this one while a newer one is open is refused, naming it."""
    other = session.scalar(select(Case.id).where(Case.item_id == case.item_id, Case.id != case.id,
                                                 Case.status != CaseStatus.CLOSED.value))
    if other is not None:
        raise Conflict("The content of this case already has an open case, #{other}: work on that one instead.",
                       other=other)


def transition_case(
    session: Session, *, case_id: int, transition: str, actor: User, expected_version: int | None = None,
    note: str | None = None,
) -> Case:
    """Move a case through its state machine and record who did it."""
    if transition == "decide":
        raise InvalidInput("A decision is recorded with the decision form.")
    if transition == "merge":
        raise InvalidInput("A duplicate is merged with the merge form, which names its main case.")
    need = TRANSITION_ACTIONS.get(transition)
    if need is None:
        raise InvalidTransition("Unknown case action: {transition}", transition=transition)
    case = access_case(session, user=actor, case_id=case_id, need=need)
    check_version(case, expected_version)
    target = apply_transition(CaseStatus(case.status), transition)
    if transition == "reopen":
        _refuse_a_second_open_case(session, case)
    before = {"status": case.status}
    case.status = target.value
    case.updated_at = utcnow()
    if target is CaseStatus.CLOSED:
        case.closed_at = case.updated_at
    elif transition == "reopen":
        case.closed_at = None
        case.duplicate_of_id = None  # a merged duplicate reopened is a case of its own again
    if transition == "start_review" and case.assignee_id is None:
        case.assignee_id = actor.id
    session.flush()
    record_event(session, case_id=case.id, kind=CaseEventKind.TRANSITION, actor=actor, before=before,
                 after={"status": case.status, "transition": transition}, note=note)
    return case


def record_decision(
    session: Session, *, case_id: int, actor: User, taxonomy: Taxonomy, category: str, legal_basis: str,
    action: str, facts: str, note: str, internal_note: str = "", expected_version: int | None = None,
) -> Decision:
    """Decide a case, or revise its decision: category, legal basis in force when the item was published,
    action, and the statement of reasons (the facts, and the ground in ``note``).

    A revision (of a case decided or awaiting its action) is a new version naming the one it
    supersedes; the decision it revises stays as it was.
    """
    case = access_case(session, user=actor, case_id=case_id, need=Action.DECIDE)
    check_version(case, expected_version)
    if category not in taxonomy.categories:
        raise InvalidInput("Unknown category: {category}", category=category)
    chosen = taxonomy.category(category)
    published = (case.item.published_at or case.opened_at).date()
    if not legal_basis:
        raise InvalidInput("Choose the legal basis of the decision.")
    if legal_basis not in {b.key for b in chosen.bases_in_force(published)}:
        raise InvalidInput("Choose a legal basis of this category that was in force when the content was published.")
    if action not in {a.code for a in chosen.actions} | {"no_action"}:
        raise InvalidInput("This action is not available for the chosen category.")
    facts, note, internal_note = facts.strip(), note.strip(), internal_note.strip()
    if not facts:
        raise InvalidInput("State the facts the decision rests on.")
    if not note:
        raise InvalidInput("Write the statement of reasons for the decision.")
    if max(len(facts), len(note), len(internal_note)) > MAX_NOTE_CHARS:
        raise InvalidInput("The statement of reasons is longer than {n} characters.", n=MAX_NOTE_CHARS)
    status = CaseStatus(case.status)
    previous = session.scalars(select(Decision).where(Decision.case_id == case.id)
                               .order_by(Decision.version.desc()).limit(1)).first()
    if previous is None or status not in REVISABLE:
        status = apply_transition(status, "decide")
    elif (previous.category, previous.legal_basis, previous.action, previous.facts, previous.note,
          previous.internal_note) == (category, legal_basis, action, facts, note, internal_note):
        raise InvalidInput("This revision changes nothing in the decision in force.")
    evidence = decided_capture(session, case.id)
    decision = Decision(
        case_id=case.id, decided_by_id=actor.id, category=category, legal_basis=legal_basis, action=action,
        facts=facts, note=note, internal_note=internal_note, automated_detection=bool(case.findings),
        # Every decision is a person's: the platform proposes, staff decide.
        automated_decision=False, version=previous.version + 1 if previous else 1,
        supersedes_id=previous.id if previous else None, capture_id=evidence.id if evidence else None)
    case.decisions.append(decision)
    before = {"status": case.status, "category": case.category, "severity": case.severity}
    case.status = status.value
    case.category = chosen.code
    case.severity = chosen.severity.code
    case.updated_at = utcnow()
    if case.assignee_id is None:
        case.assignee_id = actor.id
    session.flush()
    record_event(session, case_id=case.id, kind=CaseEventKind.DECISION, actor=actor, before=before,
                 after={"status": case.status, "category": category, "severity": case.severity,
                        **decision.recorded(), "decision_id": decision.id,
                        **(capture_binding(evidence.id, evidence.sha256) if evidence else {})}, note=note)
    return decision


# A decision may be revised while its case is decided or awaits its action; later, reopen the case first.
REVISABLE = frozenset({CaseStatus.DECIDED, CaseStatus.ACTION_PENDING})


def decided_capture(session: Session, case_id: int) -> Capture | None:
    """The capture a decision on the case is taken on: the newest one its findings were made on."""
    newest = session.scalar(select(func.max(StoredFinding.capture_id)).where(StoredFinding.case_id == case_id))
    return session.get(Capture, newest) if newest is not None else None


def record_view(session: Session, *, case_id: int, actor: User, address: str | None = None) -> None:
    """Opening a case shows restricted content: the view goes to the case's access log, not its story."""
    record_audit(session, kind=AuditKind.CASE_VIEWED, stream=access_stream(case_id), actor=actor, case_id=case_id,
                 address=address)
