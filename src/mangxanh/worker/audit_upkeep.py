"""Keeping the audit trail sealed and checked: anchors every few minutes, a full verification daily.

Each owns its transactions: an anchor is committed, then appended to the anchor file (a side
effect waits for the commit); a verification reads in a read-only transaction, then records its
outcome (an ``audit_checks`` row the console warns about, and an entry of the audit log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.audit import anchors
from mangxanh.domains.audit.models import AuditAnchor, AuditCheck, AuditKind
from mangxanh.domains.audit.problems import MAX_PROBLEMS, TrailReport
from mangxanh.domains.audit.service import SYSTEM_STREAM, record_audit
from mangxanh.domains.audit.verify import verify_trail

log = logging.getLogger(__name__)

ANCHOR_EVERY = timedelta(minutes=10)
VERIFY_EVERY = timedelta(hours=24)


def seal(factory: sessionmaker[Session], *, anchor_file: Path | None, now: datetime | None = None
         ) -> AuditAnchor | None:
    """Take an anchor of the chains that moved; None when nothing moved since the last one."""
    with unit_of_work(factory) as session:
        anchor = anchors.take_anchor(session, now=now)
    if anchor is not None and anchor_file is not None:
        anchors.append_to_file(anchor_file, anchor)
    return anchor


def check(factory: sessionmaker[Session], *, anchor_file: Path | None) -> TrailReport:
    """Verify the whole trail and record the outcome, so that the console can warn when it broke."""
    with unit_of_work(factory, reads_only=True) as session:
        report = verify_trail(session, anchor_file=anchor_file)
    problems = [{"where": [[text, dict(params)] for text, params in p.where], "what": p.what,
                 "params": dict(p.what_params)} for p in report.problems[:MAX_PROBLEMS]]
    with unit_of_work(factory) as session:
        session.add(AuditCheck(created_at=utcnow(), ok=report.ok, records=report.records,
                               problem_count=report.problem_count, problems=problems))
        record_audit(session, kind=AuditKind.AUDIT_CHECKED, stream=SYSTEM_STREAM,
                     data={"ok": report.ok, "records": report.records, "problems": report.problem_count})
    if not report.ok:
        log.error("audit trail verification found %d problems; first: %s", report.problem_count,
                  report.problems[0].describe() if report.problems else "?")
    return report


@dataclass(frozen=True, slots=True)
class Upkeep:
    anchored: bool
    checked: TrailReport | None


def upkeep_if_due(factory: sessionmaker[Session], *, anchor_file: Path | None, now: datetime | None = None
                  ) -> Upkeep:
    """What the schedulers call each tick: an anchor when one is due, a verification when one is."""
    now = now or utcnow()
    with unit_of_work(factory, reads_only=True) as session:
        last_anchor = session.scalar(select(AuditAnchor.created_at).order_by(AuditAnchor.id.desc()).limit(1))
        last_check = session.scalar(select(AuditCheck.created_at).order_by(AuditCheck.id.desc()).limit(1))
    anchored = False
    if last_anchor is None or now - last_anchor >= ANCHOR_EVERY:
        anchored = seal(factory, anchor_file=anchor_file, now=now) is not None
    checked = None
    if last_check is None or now - last_check >= VERIFY_EVERY:
        checked = check(factory, anchor_file=anchor_file)
    return Upkeep(anchored, checked)

