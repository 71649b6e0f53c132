"""What the case histories bind besides themselves: decisions, letters and captures must be what
the events that recorded them say, and every one of them must be recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from mangxanh.core.analysis.types import msgid
from mangxanh.core.evidence import capture_intact
from mangxanh.domains.actions.models import Letter
from mangxanh.domains.audit.chain import matches
from mangxanh.domains.audit.models import CaseEvent, CaseEventKind
from mangxanh.domains.audit.problems import Problem, TrailReport, at_capture, at_case, at_decision, at_letter
from mangxanh.domains.cases.models import Decision
from mangxanh.domains.evidence.captures import bound
from mangxanh.domains.evidence.models import Capture

CAPTURE_COLUMNS = (Capture.id, Capture.seq, Capture.item_id, Capture.text, Capture.html, Capture.html_sha256,
                   Capture.meta, Capture.captured_at, Capture.process, Capture.sha256)


# What a decision recorded before migration 0012 holds for the fields its event did not record then.
UNRECORDED: dict[str, Any] = {"facts": "", "internal_note": "", "version": 1}


def check_decisions(decisions: Iterable[Decision], decision_events: Iterable[CaseEvent]) -> Problem | None:
    """Every decision row must be the one its decision event recorded, and every such event must have its row."""
    recorded = {int(e.after["decision_id"]): e for e in decision_events if e.after and e.after.get("decision_id")}
    for decision in decisions:
        event = recorded.pop(decision.id, None)
        if event is None:
            return Problem((at_decision(decision.id),), msgid("no event of the case's history records it"))
        assert event.after is not None
        recorded_fields = {name: event.after.get(name, UNRECORDED.get(name)) for name in decision.recorded()}
        if (decision.category, decision.note, decision.decided_by_id, decision.recorded()) != (
                event.after.get("category"), event.note, event.actor_id, recorded_fields):
            return Problem((at_decision(decision.id),), msgid("it differs from what its event recorded"))
    for decision_id in recorded:
        return Problem((at_decision(decision_id),), msgid("its event is there but the decision is gone"))
    return None


def check_letters(letters: Iterable[Letter], sent_events: Iterable[CaseEvent], *, every_letter: bool
                  ) -> Problem | None:
    """Each letter a "sent" event names must be there with the bytes it recorded (and, over the whole
    trail, each letter must be named by one): a file replaced afterwards, or slipped in, shows."""
    recorded = {e.after["letter_id"]: e.after for e in sent_events
                if e.after and isinstance(e.after.get("letter_id"), int)}  # sent without a letter: none
    for letter in letters:
        after = recorded.pop(letter.id, None)
        if after is None:
            if every_letter:
                return Problem((at_letter(letter),), msgid("no event of a case's history records it"))
            continue
        if (hashlib.sha256(letter.pdf).hexdigest(), hashlib.sha256(letter.docx).hexdigest(), letter.number) != (
                after.get("pdf_sha256"), after.get("docx_sha256"), after.get("letter_number")):
            return Problem((at_letter(letter),), msgid("its file is not the one that was sent"))
    for letter_id in sorted(recorded):
        return Problem((at_letter(letter_id),), msgid("its event is there but the letter is gone"))
    return None


def letters_named(session: Session, sent_events: Sequence[CaseEvent]) -> list[Letter]:
    ids = {e.after["letter_id"] for e in sent_events if e.after and isinstance(e.after.get("letter_id"), int)}
    if not ids:
        return []
    return list(session.scalars(select(Letter).where(Letter.id.in_(ids))
                                .options(undefer(Letter.pdf), undefer(Letter.docx))))


def check_captures(captures: Mapping[int, Capture], bindings: Iterable[tuple[int, str]]) -> Problem | None:
    """Each capture an event rests on must be there, whole, with the digest the event recorded."""
    for capture_id, recorded in bindings:
        capture = captures.get(capture_id)
        if capture is None:
            return Problem((at_capture(capture_id),), msgid("its event is there but the capture is gone"))
        if not matches(recorded, capture.sha256) or not capture.intact():
            return Problem((at_capture(capture),), msgid("its content is not what was captured"))
    return None


def capture_bindings(events: Iterable[CaseEvent]) -> list[tuple[int, str]]:
    return list(dict.fromkeys(ref for ref in (bound(e.after) for e in events) if ref is not None))


def check_all_decisions(session: Session, report: TrailReport) -> None:
    events: dict[int, list[CaseEvent]] = {}
    for event in session.scalars(select(CaseEvent).where(CaseEvent.kind == CaseEventKind.DECISION.value)):
        events.setdefault(event.case_id, []).append(event)
    decisions: dict[int, list[Decision]] = {}
    for decision in session.scalars(select(Decision)):
        decisions.setdefault(decision.case_id, []).append(decision)
    for case_id in sorted(events.keys() | decisions.keys()):
        problem = check_decisions(decisions.get(case_id, []), events.get(case_id, []))
        if problem is not None:
            report.add(problem.within(at_case(case_id)))


def check_all_letters(session: Session, report: TrailReport) -> None:
    sent = session.scalars(select(CaseEvent).where(CaseEvent.kind == CaseEventKind.ACTION_SENT.value)).all()
    # Letters one at a time: a year's files do not all fit in memory at once.
    letters = session.scalars(select(Letter).order_by(Letter.id).options(undefer(Letter.pdf), undefer(Letter.docx))
                               .execution_options(yield_per=50))
    problem = check_letters(letters, sent, every_letter=True)
    if problem is not None:
        report.add(problem)


def check_all_captures(session: Session, bindings: Mapping[tuple[int, str], int], report: TrailReport) -> None:
    """The captures the whole trail rests on, read a few hundred at a time as plain rows (not kept)."""
    refs = sorted(bindings, key=lambda ref: ref[0])
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        rows = {row.id: row for row in session.execute(select(*CAPTURE_COLUMNS).where(
            Capture.id.in_({capture_id for capture_id, _ in chunk})))}
        for capture_id, recorded in chunk:
            row = rows.get(capture_id)
            if row is None:
                problem = Problem((at_capture(capture_id),), msgid("its event is there but the capture is gone"))
            elif not matches(recorded, row.sha256) or not capture_intact(
                    text=row.text, html=row.html, html_sha256=row.html_sha256, meta=row.meta,
                    captured_at=row.captured_at, process=row.process, sha256=row.sha256):
                problem = Problem((at_capture(row),), msgid("its content is not what was captured"))
            else:
                continue
            report.add(problem.within(at_case(bindings[capture_id, recorded])))
