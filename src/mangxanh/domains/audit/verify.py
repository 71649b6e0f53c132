"""Verifying the audit trail: every chain, every anchor, and what the chains bind (bindings.py).

What each check catches, with write access to the database but not to the audit key:
- an edited event, or one forged with the product's own digest: its keyed digest no longer matches;
- a deleted or inserted event, or renumbered ones: the numbers or the links break;
- the last events of a case cut off, or all of them: the chain is shorter than an anchor sealed it;
- an anchor deleted or edited: the anchors' own chain or the anchor file outside the database;
- a decision deleted or edited: its row no longer matches the decision event that recorded it;
- a letter's stored DOCX or PDF replaced, or a letter made up: its SHA-256 is not the one the
  "sent" event recorded, or no event records it;
- the evidence edited (a capture's text, HTML or metadata): its digest is not the one the events
  that rest on it (the opening, each finding, the decision) recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.types import msgid
from mangxanh.domains.audit import anchors
from mangxanh.domains.audit.bindings import (
    capture_bindings,
    check_all_captures,
    check_all_decisions,
    check_all_letters,
    check_captures,
    check_decisions,
    check_letters,
    letters_named,
)
from mangxanh.domains.audit.chain import GENESIS, KEYED_VERSION, LEGACY_VERSION, digest, matches, session_key
from mangxanh.domains.audit.models import AuditAnchor, AuditEvent, CaseEvent, CaseEventKind
from mangxanh.domains.audit.problems import (
    Problem,
    TrailReport,
    at_anchor,
    at_case,
    at_event,
)
from mangxanh.domains.audit.service import AUDIT_EVENT_FIELDS, CASE_EVENT_FIELDS, case_stream, history
from mangxanh.domains.cases.models import Case, Decision
from mangxanh.domains.evidence.captures import bound, captures_of

BATCH = 5_000


@dataclass(frozen=True, slots=True)
class Link:
    """One record of a chain as verification reads it."""

    seq: int
    prev_hash: str
    hash: str
    version: int
    fields: dict[str, Any]


def check_chain(links: Iterable[Link], *, key: bytes, sealed: anchors.Head | None) -> tuple[int, Problem | None]:
    """Walk one chain in order; returns how many records it has and the first problem, if any."""
    prev, count, keyed_seen = GENESIS, 0, False
    for link in links:
        count += 1
        here = (at_event(link.seq),)
        if link.seq != count:
            return count, Problem(here, msgid("an event is missing before it, or was renumbered"))
        if link.prev_hash != prev:
            return count, Problem(here, msgid("it does not link to the event before it"))
        if link.version == LEGACY_VERSION:
            # Unkeyed events are accepted only where the key came after them: before any keyed
            # event, and sealed by an anchor (which is keyed), so none can be forged the old way.
            if keyed_seen or sealed is None or link.seq > sealed.seq:
                return count, Problem(here, msgid("it is unkeyed and no anchor sealed it"))
        else:
            keyed_seen = True
        if link.version not in (LEGACY_VERSION, KEYED_VERSION) or not matches(
                digest(prev, link.fields, key=key, version=link.version), link.hash):
            return count, Problem(here, msgid("its content does not match its signature: it was "
                                                             "changed or forged"))
        if sealed is not None and link.seq == sealed.seq and not matches(sealed.hash, link.hash):
            return count, Problem(here, msgid("it is not the event an anchor sealed"))
        prev = link.hash
    if sealed is not None and count < sealed.seq:
        return count, Problem((at_event(count + 1),), msgid("events {first} to {last} were sealed by an anchor and "
                                                           "are gone"), {"first": count + 1, "last": sealed.seq})
    return count, None


def case_links(events: Iterable[CaseEvent]) -> Iterator[Link]:
    for event in events:
        yield Link(event.seq, event.prev_hash, event.hash, event.hash_version,
                   {name: getattr(event, name) for name in CASE_EVENT_FIELDS})


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """A case's history, checked: how many events, and the first problem found."""

    ok: bool
    events: int
    first_bad_seq: int | None = None
    problem: Problem | None = None


def verify_case_history(session: Session, *, case_id: int, events: Sequence[CaseEvent] | None = None
                        ) -> ChainCheck:
    """Check one case's history (the events already read for a page may be given)."""
    events = list(events) if events is not None else history(session, case_id=case_id)
    sealed = anchors.sealed_heads(session, [case_stream(case_id)]).get(case_stream(case_id))
    count, problem = check_chain(case_links(events), key=session_key(session), sealed=sealed)
    if problem is None and not events:
        problem = Problem((at_case(case_id),), msgid("it has no history at all"))
    if problem is None:
        decisions = session.scalars(select(Decision).where(Decision.case_id == case_id))
        problem = check_decisions(decisions, [e for e in events if e.kind == CaseEventKind.DECISION])
    if problem is None:
        sent = [e for e in events if e.kind == CaseEventKind.ACTION_SENT]
        problem = check_letters(letters_named(session, sent), sent, every_letter=False)
    if problem is None:
        bindings = capture_bindings(events)
        problem = check_captures(captures_of(session, (i for i, _ in bindings), with_files=True), bindings)
    if problem is None:
        return ChainCheck(True, count)
    return ChainCheck(False, count, problem.seq, problem)


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """A case's events in order, read once, and whether they hold."""

    events: list[CaseEvent]
    check: ChainCheck


def read_history(session: Session, *, case_id: int) -> CaseHistory:
    """The events to show and their check, from one read (a page shows and verifies the same rows)."""
    events = history(session, case_id=case_id)
    return CaseHistory(events, verify_case_history(session, case_id=case_id, events=events))


def _where(stream: str, problem: Problem) -> Problem:
    """The problem, placed in its chain: "case 12, event 3", "audit log login:hoa, event 7"."""
    if stream.startswith("case:"):
        return problem.within(at_case(stream[5:]))
    return problem.within((msgid("audit log {stream}"), {"stream": stream}))


def _grouped(rows: Iterable[tuple[str, Link]]) -> Iterator[tuple[str, list[Link]]]:
    current: str | None = None
    links: list[Link] = []
    for stream, link in rows:
        if stream != current:
            if current is not None:
                yield current, links
            current, links = stream, []
        links.append(link)
    if current is not None:
        yield current, links


def verify_trail(session: Session, *, anchor_file: Path | None) -> TrailReport:
    """Check every chain, every anchor, every decision and letter; the first problems are reported."""
    key = session_key(session)
    report = TrailReport()
    sealed = anchors.sealed_heads(session)
    seen: set[str] = set()
    columns = [getattr(CaseEvent, name) for name in CASE_EVENT_FIELDS]
    # Read through Core, not the ORM: plain tuples (ORM rows took a quarter of the verification).
    connection = session.connection()
    case_rows = connection.execute(
        select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.prev_hash, CaseEvent.hash, CaseEvent.hash_version, *columns)
        .order_by(CaseEvent.case_id, CaseEvent.seq).execution_options(yield_per=BATCH))
    bindings: dict[tuple[int, str], int] = {}  # each capture an event rests on, with its case

    def case_chains() -> Iterator[tuple[str, Link]]:
        for row in case_rows:
            fields = dict(zip(CASE_EVENT_FIELDS, row[5:], strict=True))
            ref = bound(fields["after"])
            if ref is not None:
                bindings.setdefault(ref, row[0])
            yield case_stream(row[0]), Link(row[1], row[2], row[3], row[4], fields)

    log_columns = [getattr(AuditEvent, name) for name in AUDIT_EVENT_FIELDS]
    log_rows = connection.execute(
        select(AuditEvent.stream, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash, *log_columns)
        .order_by(AuditEvent.stream, AuditEvent.seq).execution_options(yield_per=BATCH))
    log_chains = ((row[0], Link(row[1], row[2], row[3], KEYED_VERSION, dict(zip(AUDIT_EVENT_FIELDS, row[4:],
                                                                                strict=True))))
                  for row in log_rows)
    for rows in (case_chains(), log_chains):
        for stream, links in _grouped(rows):
            count, problem = check_chain(links, key=key, sealed=sealed.get(stream))
            report.records += count
            report.chains += 1
            seen.add(stream)
            if problem is not None:
                report.add(_where(stream, problem))
    for stream, head in sealed.items():
        if stream not in seen:
            report.add(_where(stream, Problem((at_event(1),), msgid("events {first} to {last} were sealed by an anchor "
                                                                   "and are gone"), {"first": 1, "last": head.seq})))
    _check_cases_have_histories(session, seen, report)
    check_all_decisions(session, report)
    check_all_letters(session, report)
    check_all_captures(session, bindings, report)
    _check_anchors(session, key, anchor_file, report)
    return report


def _check_cases_have_histories(session: Session, seen: set[str], report: TrailReport) -> None:
    for (case_id,) in session.execute(select(Case.id).execution_options(yield_per=BATCH)):
        if case_stream(case_id) not in seen:
            report.add(Problem((at_case(case_id),), msgid("it has no history at all")))


def _check_anchors(session: Session, key: bytes, anchor_file: Path | None, report: TrailReport) -> None:
    rows = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)).all()
    heads = anchors.heads_of(session, (a.id for a in rows))
    prev = GENESIS
    for anchor in rows:
        report.anchors += 1
        fields = anchors.anchor_fields(anchor.created_at, heads.get(anchor.id, []))
        here = (at_anchor(anchor.id),)
        if anchor.prev_signature != prev:
            report.add(Problem(here, msgid("it does not link to the anchor before it")))
        elif not matches(digest(prev, fields, key=key), anchor.signature) or len(heads.get(anchor.id, [])) != \
                anchor.heads:
            report.add(Problem(here, msgid("its heads do not match its signature")))
        prev = anchor.signature
    if anchor_file is None:
        return
    by_id = {anchor.id: anchor for anchor in rows}
    kept = anchors.read_file(anchor_file)
    in_file = set()
    for entry in kept:
        if "unreadable" in entry:
            report.add(Problem(((msgid("anchor file, line {line}"), {"line": entry["unreadable"]}),),
                               msgid("it is not an anchor")))
            continue
        anchor_id = entry.get("anchor")
        in_file.add(anchor_id)
        stored = by_id.get(anchor_id) if isinstance(anchor_id, int) else None
        if stored is None:
            report.add(Problem((at_anchor(anchor_id),), msgid("the anchor file has it; the database not")))
        elif not matches(str(entry.get("signature", "")), stored.signature):
            report.add(Problem((at_anchor(anchor_id),), msgid("it differs from the anchor file")))
    # The newest anchor may be missing from the file: written after its commit, a crash between loses it.
    for anchor in rows[:-1]:
        if anchor.id not in in_file:
            report.add(Problem((at_anchor(anchor.id),), msgid("the anchor file does not have it")))
