"""Staff and citizens' reports: the reports on a case, the reporter's contact (audited), replies,
redaction, and reporters set aside.

Staff reach a report only through a case it was filed on (``access_case``: a district officer
sees only the reports on their district's cases). The contact a reporter left is personal data:
it is not on the case page; it is shown on request to those whose role may see it, and every
showing goes to the case's access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.types import msgid
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action
from mangxanh.domains.audit.models import AuditKind
from mangxanh.domains.audit.service import access_stream, record_audit
from mangxanh.domains.cases.work import access_case
from mangxanh.domains.citizen_reports.models import CitizenReport, Outcome, ReportLink, SetAsideReporter
from mangxanh.domains.citizen_reports.service import refuse_unstorable
from mangxanh.errors import InvalidInput, NotFound

MAX_REPLY_CHARS = 3_000
MAX_REASON_CHARS = 500
REDACTED = "[…]"

# Replies as the department writes them, one per outcome; staff may edit before sending.
REPLY_TEMPLATES = {
    Outcome.NOT_VIOLATION: msgid(
        "Thank you for your report. After examining the content, the department found that it does not break the "
        "law or the Code of Conduct on Social Networks, so no action will be taken. If the content concerns you "
        "personally, you may report it to the platform, or to the police if you are in danger."),
    Outcome.NOT_OURS: msgid(
        "Thank you for your report. The content is not within the department's remit (it concerns another "
        "province or another authority). Please report it to the body listed on this page."),
    Outcome.ACTION_REQUESTED: msgid(
        "Thank you for your report. The content breaks the law; the department has asked the platform or the "
        "competent authority to deal with it, and will follow it up."),
    Outcome.CONTENT_REMOVED: msgid(
        "Thank you for your report. The content you reported has been removed or blocked."),
    Outcome.CLOSED: msgid("Thank you for your report. Its handling is finished."),
}


@dataclass(frozen=True, slots=True)
class CaseReport:
    """A report as staff see it on a case (no contact details)."""

    report: CitizenReport
    link: ReportLink
    has_contact: bool
    set_aside: bool


def reports_on_case(session: Session, *, user: User, case_id: int) -> list[CaseReport]:
    access_case(session, user=user, case_id=case_id)
    rows = session.execute(select(CitizenReport, ReportLink).join(ReportLink)
                           .where(ReportLink.case_id == case_id).order_by(CitizenReport.id)).all()
    keys = {r.address_key for r, _ in rows} | {r.reporter_key for r, _ in rows}
    aside = set(session.scalars(select(SetAsideReporter.key).where(SetAsideReporter.key.in_(keys)))) if keys else set()
    return [CaseReport(report, link, report.contact_email is not None or report.contact_phone is not None,
                       report.address_key in aside or report.reporter_key in aside) for report, link in rows]


def _report_on_case(session: Session, *, user: User, report_id: int, case_id: int, need: Action) -> CitizenReport:
    """The report, once it is one of the case's and ``user`` may take ``need`` on the case."""
    access_case(session, user=user, case_id=case_id, need=need)
    report = session.scalar(select(CitizenReport).join(ReportLink).where(
        CitizenReport.id == report_id, ReportLink.case_id == case_id))
    if report is None:
        raise NotFound("This case has no such report.")
    return report


def reveal_contact(session: Session, *, user: User, case_id: int, report_id: int, address: str | None = None
                   ) -> tuple[str | None, str | None]:
    """The reporter's e-mail and phone, shown to ``user``; the showing is in the case's access log."""
    report = _report_on_case(session, user=user, report_id=report_id, case_id=case_id,
                             need=Action.VIEW_REPORTER_CONTACT)
    record_audit(session, kind=AuditKind.REPORTER_CONTACT_VIEWED, stream=access_stream(case_id),
                 actor=session.get(User, user.id), case_id=case_id, address=address,
                 data={"report_id": report.id, "had_contact": report.contact_email is not None
                       or report.contact_phone is not None})
    return report.contact_email, report.contact_phone


def reply_to_reporter(session: Session, *, user: User, case_id: int, report_id: int, outcome: str, text: str,
                      now: datetime | None = None) -> CitizenReport:
    """State the outcome to the reporter, in the department's words; they read it by their code."""
    report = _report_on_case(session, user=user, report_id=report_id, case_id=case_id, need=Action.REPLY_TO_REPORTER)
    if outcome not in {o.value for o in Outcome}:
        raise InvalidInput("Choose the outcome to tell the reporter.")
    text = text.strip()
    refuse_unstorable(text)
    if not text:
        raise InvalidInput("Write the reply to the reporter.")
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput("The reply is longer than {n} characters.", n=MAX_REPLY_CHARS)
    report.outcome, report.reply = outcome, text
    report.replied_at, report.replied_by_id = now or utcnow(), user.id
    session.flush()
    record_audit(session, kind=AuditKind.REPORT_REPLIED, stream=access_stream(case_id),
                 actor=session.get(User, user.id), case_id=case_id,
                 data={"report_id": report.id, "outcome": outcome, "reply": text})
    return report


def redact_report(session: Session, *, user: User, case_id: int, report_id: int, passage: str,
                  now: datetime | None = None) -> CitizenReport:
    """Blank out a passage of the report's description (someone's personal data, say) wherever it occurs.

    The passage itself is not kept anywhere, the audit log included: it records who redacted how
    many characters of which report.
    """
    report = _report_on_case(session, user=user, report_id=report_id, case_id=case_id, need=Action.REDACT_REPORT)
    passage = passage.strip()
    refuse_unstorable(passage)
    if not passage:
        raise InvalidInput("Enter the passage to redact, as it is written in the report.")
    texts = [report.description, *(a.text for a in report.additions)]
    if not any(passage in text for text in texts):
        raise InvalidInput("The report does not contain this passage.")
    count = sum(text.count(passage) for text in texts)
    report.description = report.description.replace(passage, REDACTED)
    for addition in report.additions:
        addition.text = addition.text.replace(passage, REDACTED)
    report.redacted_at, report.redacted_by_id = now or utcnow(), user.id
    session.flush()
    record_audit(session, kind=AuditKind.REPORT_REDACTED, stream=access_stream(case_id),
                 actor=session.get(User, user.id), case_id=case_id,
                 data={"report_id": report.id, "characters": len(passage), "occurrences": count})
    return report


def set_aside_reporter(session: Session, *, user: User, case_id: int, report_id: int, reason: str) -> int:
    """Set the report's sender aside: later reports from their address or contact are kept but not filed.

    Returns how many keys were added (the address, and the contact when one was given).
    """
    report = _report_on_case(session, user=user, report_id=report_id, case_id=case_id,
                             need=Action.SET_ASIDE_REPORTER)
    reason = reason.strip()
    refuse_unstorable(reason)
    if not reason:
        raise InvalidInput("State why this reporter's reports are set aside.")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput("The reason is longer than {n} characters.", n=MAX_REASON_CHARS)
    keys = {report.address_key, report.reporter_key}
    known = set(session.scalars(select(SetAsideReporter.key).where(SetAsideReporter.key.in_(keys))))
    added = [SetAsideReporter(key=key, reason=reason, report_id=report.id, added_by_id=user.id)
             for key in sorted(keys - known)]
    if not added:
        raise InvalidInput("This reporter is set aside already.")
    session.add_all(added)
    session.flush()
    record_audit(session, kind=AuditKind.REPORTER_SET_ASIDE, stream=access_stream(case_id),
                 actor=session.get(User, user.id), case_id=case_id,
                 data={"report_id": report.id, "keys": len(added), "reason": reason})
    return len(added)
