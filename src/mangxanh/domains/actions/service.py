"""Outward actions from draft to answer: four eyes, official letters, the deadline, the recipient's answer.

Each step goes through access_case (the permission table and the district scope), writes the
action's row and an event in its case's history in the same transaction, and never sends
anything itself: issuing a letter numbers, renders and stores it; the department sends it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import CaseStatus
from mangxanh.core.workflow.actions import ActionState, apply_action_move
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused
from mangxanh.domains.actions.kinds import DEADLINE_HOURS, DEFAULT_DEADLINE_HOURS, KINDS, Kind, default_recipient
from mangxanh.domains.actions.letters import LOCAL_TZ, Letterhead, build_content, next_number
from mangxanh.domains.actions.models import Letter, OutwardAction
from mangxanh.domains.actions.render import render_docx, render_pdf
from mangxanh.domains.audit.models import CaseEventKind
from mangxanh.domains.audit.service import record_event
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.sources.models import Source, SourceKind
from mangxanh.errors import Conflict, InvalidInput, NotFound

MAX_RECIPIENT_CHARS = 300
MAX_NOTE_CHARS = 3_000
MAX_LETTER_ACTIONS = 200
# Cases in these states have a decision to act on.
DECIDED = frozenset({CaseStatus.DECIDED.value, CaseStatus.ACTION_PENDING.value})
# What a recipient's answer may be, and the step it takes.
ANSWERS = {"acknowledged": "acknowledge", "done": "complete", "refused": "refuse", "no_answer": "expire"}


def kind_of(code: str) -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise InvalidInput("Unknown kind of action: {kind}.", kind=code)
    return kind


def get_action(session: Session, action_id: int) -> OutwardAction:
    action = session.scalar(select(OutwardAction).where(OutwardAction.id == action_id)
                            .options(joinedload(OutwardAction.case)))
    if action is None:
        raise NotFound("No action with number {id}.", id=action_id)
    return action


def actions_of(session: Session, case_id: int) -> list[OutwardAction]:
    return list(session.scalars(select(OutwardAction).where(OutwardAction.case_id == case_id)
                                .order_by(OutwardAction.id)
                                .options(selectinload(OutwardAction.letter), selectinload(OutwardAction.drafted_by),
                                         selectinload(OutwardAction.approved_by))))


def actions_of_letter(session: Session, letter_id: int) -> list[OutwardAction]:
    return list(session.scalars(select(OutwardAction).where(OutwardAction.letter_id == letter_id)
                                .order_by(OutwardAction.id)))


def _event(session: Session, action: OutwardAction, kind: CaseEventKind, actor: User | None, before: str | None,
           **extra: Any) -> None:
    record_event(session, case_id=action.case_id, kind=kind, actor=actor,
                 before={"action_id": action.id, "state": before} if before else None,
                 after={"action_id": action.id, "kind": action.kind, "state": action.state,
                        "recipient": action.recipient, **extra})


def _fine_details(details: Mapping[str, str]) -> dict[str, Any]:
    number = (details.get("decision_number") or "").strip()[:80]
    offender = (details.get("offender") or "").strip()[:300]
    amount_text = (details.get("amount_vnd") or "").replace(".", "").replace(",", "").replace(" ", "")
    if not amount_text.isdigit() or not 0 < int(amount_text) <= 10_000_000_000:
        raise InvalidInput("Give the fine's amount in VND, a whole number (for example 7500000).")
    if not offender:
        raise InvalidInput("Say who was fined (a person or an organisation).")
    return {"decision_number": number, "amount_vnd": int(amount_text), "offender": offender,
            "paid": details.get("paid") in ("1", "true", "on", True)}


def _partner_source(session: Session, case: Case) -> int | None:
    """The partner that pushed the content through the API answers the platform's requests about it."""
    source = session.get(Source, case.item.source_id)
    return source.id if source is not None and source.kind == SourceKind.API else None


def draft_action(
    session: Session, *, user: User, case_id: int, kind: str, taxonomy: Taxonomy, recipient: str = "",
    deadline_hours: int = DEFAULT_DEADLINE_HOURS, note: str = "", details: Mapping[str, str] | None = None,
) -> OutwardAction:
    """Draft an action on a decided case; one that is only recorded (a warning, no action) is done at once."""
    case = access_case(session, user=user, case_id=case_id, need=Action.DRAFT_ACTION)
    chosen = kind_of(kind)
    if case.status not in DECIDED:
        raise InvalidInput("Record the decision first: actions are taken on decided cases.")
    decided = case.decisions[-1].category if case.decisions else case.category
    if kind not in {a.code for a in taxonomy.category(decided).actions}:
        raise InvalidInput("This action is not available for the case's category.")
    facts = _fine_details(details or {}) if kind == "administrative_fine" else {}
    recipient = (" ".join(recipient.split())[:MAX_RECIPIENT_CHARS] or facts.get("offender")
                 or default_recipient(chosen, case.item.platform))
    if chosen.outward and not recipient:
        raise InvalidInput("Say to whom the action goes.")
    if deadline_hours not in DEADLINE_HOURS:
        raise InvalidInput("The deadline is 6, 24 or 48 hours.")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput("The note is longer than {n} characters.", n=MAX_NOTE_CHARS)
    now = utcnow()
    action = OutwardAction(
        case_id=case.id, kind=kind, recipient=recipient, deadline_hours=deadline_hours, note=note.strip(),
        details=facts,
        state=(ActionState.DRAFTED if chosen.outward else ActionState.DONE).value, drafted_by_id=user.id,
        drafted_at=now, updated_at=now, answered_at=None if chosen.outward else now,
        recipient_source_id=_partner_source(session, case) if chosen.recipient == "platform" else None)
    session.add(action)
    session.flush()
    _event(session, action, CaseEventKind.ACTION_DRAFTED, user, None, note=action.note)
    if chosen.outward and case.status == CaseStatus.DECIDED.value:
        case.status, case.updated_at = CaseStatus.ACTION_PENDING.value, now
        session.flush()
        record_event(session, case_id=case.id, kind=CaseEventKind.TRANSITION, actor=user,
                     before={"status": CaseStatus.DECIDED.value},
                     after={"status": case.status, "transition": "request_action"})
    return action


def _load(session: Session, *, user: User | None, action_id: int, need: Action,
          expected_version: int | None = None) -> OutwardAction:
    """The action, once ``user`` may take ``need`` on its case (None: a partner, checked by the API)."""
    action = get_action(session, action_id)
    if user is not None:
        access_case(session, user=user, case_id=action.case_id, need=need)
    if expected_version is not None and action.version != expected_version:
        raise Conflict("Someone else changed this action meanwhile. Reload the case and try again.")
    return action


def _move(action: OutwardAction, move: str) -> str:
    """Take the step; returns the state before it. Everything that may refuse is checked before."""
    before = action.state
    action.state = apply_action_move(ActionState(action.state), move).value
    action.updated_at = utcnow()
    return before


def _step(session: Session, *, user: User | None, action_id: int, move: str, need: Action,
          expected_version: int | None = None) -> tuple[OutwardAction, str]:
    action = _load(session, user=user, action_id=action_id, need=need, expected_version=expected_version)
    return action, _move(action, move)


def approve(session: Session, *, user: User, action_id: int, expected_version: int | None = None) -> OutwardAction:
    """A supervisor approves a draft; never their own (four eyes)."""
    action = _load(session, user=user, action_id=action_id, need=Action.APPROVE_ACTION,
                   expected_version=expected_version)
    if action.drafted_by_id == user.id:
        raise PermissionRefused("You drafted this action: another supervisor approves it.", user=user,
                                tried=Action.APPROVE_ACTION, case_id=action.case_id)
    before = _move(action, "approve")
    action.approved_by_id, action.approved_at = user.id, action.updated_at
    session.flush()
    _event(session, action, CaseEventKind.ACTION_APPROVED, user, before)
    return action


def reject(session: Session, *, user: User, action_id: int, reason: str) -> OutwardAction:
    """A supervisor sends a draft back, saying why."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the draft is rejected.")
    action, before = _step(session, user=user, action_id=action_id, move="reject", need=Action.APPROVE_ACTION)
    action.answer = reason[:MAX_NOTE_CHARS]
    session.flush()
    _event(session, action, CaseEventKind.ACTION_REJECTED, user, before, reason=action.answer)
    return action


def withdraw(session: Session, *, user: User, action_id: int) -> OutwardAction:
    """The drafter (or a supervisor) takes back an action not yet sent."""
    action = get_action(session, action_id)
    need = Action.DRAFT_ACTION if action.drafted_by_id == user.id else Action.APPROVE_ACTION
    action, before = _step(session, user=user, action_id=action_id, move="withdraw", need=need)
    session.flush()
    _event(session, action, CaseEventKind.ACTION_WITHDRAWN, user, before)
    return action


def _sent(session: Session, action: OutwardAction, before: str, user: User, now: datetime,
          letter: Letter | None) -> None:
    action.sent_at = now
    action.due_at = now + timedelta(hours=action.deadline_hours)
    if letter is not None:
        action.letter_id = letter.id
    session.flush()
    extra = ({"letter_id": letter.id, "letter_number": letter.number, "docx_sha256": letter.docx_sha256,
              "pdf_sha256": letter.pdf_sha256} if letter else {})
    _event(session, action, CaseEventKind.ACTION_SENT, user, before, due_at=action.due_at.isoformat(), **extra)


def issue_letter(
    session: Session, *, user: User, action_ids: Sequence[int], taxonomy: Taxonomy, letterhead: Letterhead,
    now: datetime | None = None,
) -> Letter:
    """Number, render and store one letter for approved actions of one kind and recipient; they are sent now."""
    if not action_ids or len(action_ids) > MAX_LETTER_ACTIONS:
        raise InvalidInput("A letter carries 1 to {n} actions.", n=MAX_LETTER_ACTIONS)
    now = now or utcnow()
    actions = [_load(session, user=user, action_id=action_id, need=Action.SEND_ACTION)
               for action_id in dict.fromkeys(action_ids)]
    if len({(a.kind, a.recipient) for a in actions}) != 1:
        raise InvalidInput("One letter goes to one recipient for one kind of action.")
    kind = kind_of(actions[0].kind)
    if kind.subject is None:
        raise InvalidInput("This kind of action is not sent by letter.")
    for action in actions:
        apply_action_move(ActionState(action.state), "send")  # refuses, before anything changed
    # The cases' items and decisions, for the letter's table.
    session.scalars(select(Case).where(Case.id.in_({a.case_id for a in actions}))
                    .options(joinedload(Case.item), selectinload(Case.decisions))).all()
    issued_on = now.astimezone(LOCAL_TZ).date()
    seq, number = next_number(session, year=issued_on.year, symbol=letterhead.symbol)
    content = build_content(actions=actions, kind=kind, letterhead=letterhead, taxonomy=taxonomy, number=number,
                            issued_on=issued_on, contact=letterhead.contact or user.display_name)
    docx, pdf = render_docx(content), render_pdf(content)
    letter = Letter(year=issued_on.year, seq=seq, number=number, kind=kind.code, recipient=actions[0].recipient,
                    subject=kind.subject, issued_at=now, issued_by_id=user.id, content=content.as_json(), docx=docx,
                    docx_sha256=hashlib.sha256(docx).hexdigest(), pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest())
    session.add(letter)
    session.flush()
    for action in actions:
        _sent(session, action, _move(action, "send"), user, now, letter)
    return letter


def send_without_letter(session: Session, *, user: User, action_id: int) -> OutwardAction:
    """Mark sent an approved action that has no letter of ours (a fine, issued by its sanction decision; a
    correction published, done at once)."""
    action = _load(session, user=user, action_id=action_id, need=Action.SEND_ACTION)
    if kind_of(action.kind).subject is not None:
        raise InvalidInput("This action is sent with a letter: issue the letter.")
    before = _move(action, "send")
    _sent(session, action, before, user, action.updated_at, None)
    if not kind_of(action.kind).awaits_answer:  # out on the department's own channels: nothing to wait for
        before = _move(action, "complete")
        action.answered_at = action.updated_at
        session.flush()
        _event(session, action, CaseEventKind.ACTION_ANSWERED, user, before, answer="done", note="", by=None)
    return action


def record_answer(session: Session, *, user: User | None, action_id: int, answer: str, note: str = "",
                  by: str = "") -> OutwardAction:
    """The recipient's answer: acknowledged, done, refused, or none by the deadline. ``by`` names a partner."""
    move = ANSWERS.get(answer)
    if move is None:
        raise InvalidInput("Unknown answer: {answer}.", answer=answer)
    if answer == "refused" and not note.strip():
        raise InvalidInput("Say why the recipient refused.")
    action, before = _step(session, user=user, action_id=action_id, move=move, need=Action.RECORD_ANSWER)
    action.answer = note.strip()[:MAX_NOTE_CHARS]
    action.answered_at = action.updated_at
    if answer == "done" and action.kind == "administrative_fine":
        action.details = {**action.details, "paid": True}
    session.flush()
    _event(session, action, CaseEventKind.ACTION_ANSWERED, user, before, answer=answer, note=action.answer,
           by=by or None)
    return action


def overdue(action: OutwardAction, now: datetime | None = None) -> bool:
    """Sent, not answered for good, and past its deadline."""
    return (ActionState(action.state).awaits_answer and action.due_at is not None
            and action.due_at < (now or utcnow()))
