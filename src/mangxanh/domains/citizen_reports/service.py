"""A citizen's report, from the first answer to the sent report and what the reporter adds later.

No account: the reporter holds a tracking code, given with the first answer saved, and reaches
their report by it alone. Each answer is saved as it is given (a draft), so a report that is
never finished still arrives (:func:`submit_idle_drafts`). Addresses and contacts are only kept
as keyed digests for counting and limits, apart from the contact the reporter chose to leave,
which they can withdraw.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mangxanh.core.items import PLATFORMS, unstorable_text
from mangxanh.db import utcnow
from mangxanh.domains.citizen_reports import flood
from mangxanh.domains.citizen_reports.choices import CHILD_ABUSE, choice_of
from mangxanh.domains.citizen_reports.links import Link, parse_links
from mangxanh.domains.citizen_reports.models import (
    CitizenReport,
    ReportAddition,
    ReportLink,
    ReportScreenshot,
    ReportState,
    SetAsideReporter,
)
from mangxanh.domains.citizen_reports.screenshots import MAX_SCREENSHOTS, CleanImage
from mangxanh.domains.citizen_reports.tracking import canonical, code_hash, new_code
from mangxanh.errors import Conflict, InvalidInput, NotFound

MAX_DESCRIPTION_CHARS = 5_000
MAX_ADDITION_CHARS = 2_000
MAX_ADDITIONS = 20
# A draft nobody touched for this long is taken as sent, if it names a link.
DRAFT_IDLE = timedelta(minutes=30)
EMAIL = re.compile(r"[^@\s<>\"']{1,64}@[^@\s<>\"'.]+(\.[^@\s<>\"'.]+)+")
# Vietnamese numbers: 0 and 9 or 10 digits (mobile and landline), or +84 for the 0.
PHONE = re.compile(r"0\d{9,10}")


@dataclass(frozen=True, slots=True)
class ReporterKeys:
    """Keyed digests of addresses and contacts: the same person counts once, and nobody can read them back."""

    secret: str

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self.secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def address(self, address: str | None) -> str:
        return self._digest("address", address or "unknown")

    def contact(self, email: str | None, phone: str | None) -> str | None:
        return self._digest("contact", email or phone or "") if (email or phone) else None


@dataclass
class ReportForm:
    """What the reporter has answered so far (every field may still be empty in a draft)."""

    links: list[str] = field(default_factory=list)
    choice: str = ""
    platform: str = ""
    description: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Sender:
    address_key: str
    # The form's trap for robots was filled in: kept, but set aside.
    trapped: bool = False
    channel: str = "form"


def _email(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) > 254 or not EMAIL.fullmatch(value):
        raise InvalidInput("The e-mail address is not valid: {value}", value=value[:80])
    return value.lower()


def _phone(value: str) -> str | None:
    digits = re.sub(r"[\s.\-()]", "", value.strip())
    if not digits:
        return None
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    if not PHONE.fullmatch(digits):
        raise InvalidInput("The phone number is not valid: {value}", value=value[:30])
    return digits


def refuse_unstorable(*values: str) -> None:
    """A NUL or an unpaired surrogate cannot be stored as text (PostgreSQL refuses it): said, not stored."""
    if any(unstorable_text(value) for value in values):
        raise InvalidInput("The text contains characters that cannot be stored (a NUL or a broken character).")


def _checked(form: ReportForm, *, allow_private: bool) -> tuple[list[Link], str | None, str | None, str | None,
                                                               str | None]:
    refuse_unstorable(*form.links, form.choice, form.platform, form.description, form.email, form.phone)
    links = parse_links(form.links, allow_private=allow_private)
    choice = form.choice.strip() or None
    if choice is not None and choice_of(choice) is None:
        raise InvalidInput("Choose what is wrong from the list.")
    platform = form.platform.strip() or None
    if platform is not None and platform not in PLATFORMS:
        raise InvalidInput("Choose the platform from the list.")
    if len(form.description) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput("The description is longer than {n} characters.", n=MAX_DESCRIPTION_CHARS)
    return links, choice, platform, _email(form.email), _phone(form.phone)


def find_report(session: Session, code: str) -> CitizenReport:
    """The report a tracking code names; a code that is not one, or names none, is not found alike."""
    printed = canonical(code or "")
    report = session.scalar(select(CitizenReport).where(CitizenReport.code_hash == code_hash(printed))) \
        if printed else None
    if report is None:
        raise NotFound("No report has this tracking code. Check the code and try again.")
    return report


def _set_aside(session: Session, keys: Sequence[str | None]) -> bool:
    wanted = [key for key in keys if key]
    return bool(wanted) and session.scalar(select(SetAsideReporter.id).where(SetAsideReporter.key.in_(wanted))
                                           .limit(1)) is not None


def save_report(
    session: Session, *, form: ReportForm, sender: Sender, keys: ReporterKeys, code: str | None = None,
    send: bool = False, screenshots: Sequence[CleanImage] = (), allow_private: bool = False,
    limits: flood.Limits = flood.DEFAULT, now: datetime | None = None,
) -> tuple[CitizenReport, str]:
    """Save the answers given so far (a draft) and, with ``send``, send the report. Returns it and its code.

    Without ``code`` a new report is begun (the address's flood limit counts it); with it, that
    draft is updated. A sent report can no longer be edited: information is added from its
    status page. Child abuse is reported by its link only: screenshots are refused on that path.
    """
    now = now or utcnow()
    links, choice, platform, email, phone = _checked(form, allow_private=allow_private)
    if choice == CHILD_ABUSE and screenshots:
        raise InvalidInput("Never upload, save or forward images of child abuse: send the link only.")
    if send and not links:
        raise InvalidInput("Enter the link of the content.")
    if send and choice is None:
        raise InvalidInput("Choose what is wrong from the list.")
    # Every check reads before anything is written: a refused report leaves no trace, and a new
    # one is written by one flush (its report, links and screenshots), not row by row.
    existing: CitizenReport | None = None
    if code is None:
        flood.check_address(session, address_key=sender.address_key, limits=limits, now=now)
        code = new_code()
    else:
        existing = find_report(session, code)
        code = canonical(code) or code
        if existing.state != ReportState.DRAFT.value:
            raise Conflict("This report has been sent already; add any further information on its status page.")
    set_aside = False
    if send:
        flood.check_links(session, identities=[link.identity for link in links], limits=limits, now=now,
                          report_id=existing.id if existing else None)
        set_aside = _set_aside(session, [sender.address_key, keys.contact(email, phone)])
    report = existing or CitizenReport(code_hash=code_hash(code), state=ReportState.DRAFT.value,
                                       channel=sender.channel, address_key=sender.address_key,
                                       reporter_key=sender.address_key, created_at=now)
    with session.no_autoflush:
        _fill(session, report, links=links, choice=choice, platform=platform, email=email, phone=phone,
              description=form.description.strip(), keys=keys, now=now)
        if screenshots:
            _attach(report, screenshots)
        if send:
            _send(report, trapped=sender.trapped, set_aside=set_aside, now=now)
    if existing is None:
        session.add(report)
    session.flush()
    return report, code


def _fill(session: Session, report: CitizenReport, *, links: list[Link], choice: str | None, platform: str | None,
          email: str | None, phone: str | None, description: str, keys: ReporterKeys, now: datetime) -> None:
    chosen = choice_of(choice) if choice else None
    report.choice, report.category = choice, chosen.category if chosen else None
    report.platform, report.description = platform, description
    report.contact_email, report.contact_phone = email, phone
    report.reporter_key = keys.contact(email, phone) or report.address_key
    report.updated_at = now
    # The links are what the reporter last wrote; unchanged ones keep their rows (and their time,
    # which the link's flood limit counts), changed ones are replaced as a whole.
    wanted = [(link.typed[:2_000], link.url, link.identity, platform or link.platform) for link in links]
    if [(row.typed, row.url, row.identity, row.platform) for row in report.links] != wanted:
        if report.links:
            report.links.clear()
            session.flush()  # the old rows go before new ones take their positions
        report.links.extend(ReportLink(position=n, typed=typed, url=url, identity=identity, platform=kind,
                                       created_at=now)
                            for n, (typed, url, identity, kind) in enumerate(wanted, start=1))


def _attach(report: CitizenReport, screenshots: Sequence[CleanImage]) -> None:
    if len(report.screenshots) + len(screenshots) > MAX_SCREENSHOTS:
        raise InvalidInput("A report can carry at most {n} screenshots.", n=MAX_SCREENSHOTS)
    start = len(report.screenshots)
    for n, image in enumerate(screenshots, start=start + 1):
        report.screenshots.append(ReportScreenshot(position=n, mime=image.mime, width=image.width,
                                                   height=image.height, size=len(image.data), sha256=image.sha256,
                                                   data=image.data))


def _send(report: CitizenReport, *, trapped: bool, set_aside: bool, now: datetime) -> None:
    report.submitted_at = now
    if trapped:
        report.state, report.set_aside_reason = ReportState.SET_ASIDE.value, "trap"
    elif set_aside:
        report.state, report.set_aside_reason = ReportState.SET_ASIDE.value, "reporter"
    else:
        report.state = ReportState.SUBMITTED.value


def submit_idle_drafts(session: Session, *, now: datetime | None = None) -> list[int]:
    """Send the drafts left unfinished for DRAFT_IDLE that name a link and what is wrong; returns their ids.

    A draft that names a link but not what is wrong is sent too, filed as "something else": the
    link is what matters, and the analyst decides the category anyway.
    """
    now = now or utcnow()
    idle = session.scalars(select(CitizenReport).where(
        CitizenReport.state == ReportState.DRAFT.value, CitizenReport.updated_at <= now - DRAFT_IDLE,
        CitizenReport.id.in_(select(ReportLink.report_id))).order_by(CitizenReport.id).limit(500)).all()
    for report in idle:
        if report.choice is None:
            report.choice, report.category = "other", choice_of("other").category  # type: ignore[union-attr]
        _send(report, trapped=False, set_aside=_set_aside(session, [report.address_key, report.reporter_key]),
              now=now)
    session.flush()
    return [report.id for report in idle]


def add_information(session: Session, *, code: str, text: str, now: datetime | None = None) -> ReportAddition:
    report = find_report(session, code)
    text = text.strip()
    refuse_unstorable(text)
    if not text:
        raise InvalidInput("Write what you want to add.")
    if len(text) > MAX_ADDITION_CHARS:
        raise InvalidInput("The added information is longer than {n} characters.", n=MAX_ADDITION_CHARS)
    if len(report.additions) >= MAX_ADDITIONS:
        raise InvalidInput("A report can take at most {n} additions; make a new report instead.", n=MAX_ADDITIONS)
    addition = ReportAddition(text=text, created_at=now or utcnow())
    report.additions.append(addition)
    session.flush()
    return addition


def withdraw_contact(session: Session, *, code: str, now: datetime | None = None) -> CitizenReport:
    """Forget the reporter's e-mail and phone; the report goes on without them (and no notice is sent)."""
    report = find_report(session, code)
    if report.contact_email is None and report.contact_phone is None:
        raise InvalidInput("This report keeps no contact details.")
    report.contact_email = report.contact_phone = None
    report.contact_withdrawn_at = now or utcnow()
    session.flush()
    return report


def reports_to_file(session: Session, *, limit: int = 100) -> list[int]:
    """Sent reports not filed yet, oldest first, child abuse first of all."""
    rows = session.scalars(select(CitizenReport.id).where(CitizenReport.state == ReportState.SUBMITTED.value)
                           .order_by((CitizenReport.choice == CHILD_ABUSE).desc(), CitizenReport.id).limit(limit))
    return list(rows)


def mark_stage_notified(session: Session, *, report_id: int, stage: str) -> None:
    session.execute(update(CitizenReport).where(CitizenReport.id == report_id).values(notified_stage=stage))
