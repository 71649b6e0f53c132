"""The schedulers' deadline tick: escalate overdue cases and expire unanswered requests, then tell
the supervisors by e-mail when SMTP is configured (they see it in the console either way)."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings
from mangxanh.connectors.mail import Mailer
from mangxanh.core.taxonomy import Taxonomy, load_taxonomy
from mangxanh.db import unit_of_work
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.cases.deadlines import Escalation, escalate_overdue
from mangxanh.i18n import current_language, format_time, gettext, ngettext

log = logging.getLogger(__name__)
# An e-mail lists this many cases; the console lists them all.
LISTED = 50


def mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_host:
        return None
    return Mailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                  sender_name=settings.agency_name, username=settings.smtp_username,
                  password=settings.smtp_password, security=settings.smtp_security)


def notice(escalation: Escalation, *, base_url: str, lang: str, taxonomy: Taxonomy | None = None
           ) -> tuple[str, str]:
    """The e-mail's subject and body, in the department's language."""
    categories = (taxonomy or load_taxonomy()).categories
    token = current_language.set(lang)
    try:
        n = len(escalation.cases)
        subject = ngettext("[Mạng Xanh] %(n)s case is past its deadline",
                           "[Mạng Xanh] %(n)s cases are past their deadline", n) % {"n": n}
        lines = [gettext("These cases were not handled by their deadline and are escalated to you:"), ""]
        for case_id, category, due_at in escalation.cases[:LISTED]:
            lines.append(gettext("Case #%(id)s (%(category)s), deadline %(due)s: %(url)s") % {
                "id": case_id, "category": categories[category].name(lang) if category in categories else category,
                "due": format_time(due_at),
                "url": f"{base_url}/cases/{case_id}"})
        if n > LISTED:
            lines.append(gettext("… and %(n)s more: %(url)s") % {"n": n - LISTED, "url": f"{base_url}/cases?overdue=1"})
        if escalation.unanswered:
            lines += ["", gettext("%(n)s requests sent to platforms were not answered by their deadline.")
                      % {"n": len(escalation.unanswered)}]
        lines += ["", gettext("This message was sent by Mạng Xanh; do not reply to it.")]
        return subject, "\n".join(lines)
    finally:
        current_language.reset(token)


def supervisors_mail(session: Session) -> list[str]:
    return [address for (address,) in session.execute(
        select(User.email).where(User.role == Role.SUPERVISOR.value, User.is_active.is_(True),
                                 User.email.is_not(None)).order_by(User.id)) if address]


def deadline_tick(factory: sessionmaker[Session], settings: Settings, *, now: datetime | None = None) -> Escalation:
    """One tick: what was escalated is committed first; the e-mail follows, and its failure loses nothing."""
    with unit_of_work(factory) as session:
        escalation = escalate_overdue(session, now=now)
        recipients = supervisors_mail(session) if escalation.cases else []
    sender = mailer(settings)
    if escalation.cases and sender is not None and recipients:
        subject, body = notice(escalation, base_url=settings.effective_public_url, lang=settings.default_locale)
        try:
            sender.send(to=recipients, subject=subject, body=body)
        except (smtplib.SMTPException, OSError):
            log.exception("the overdue notice could not be e-mailed to %d supervisors", len(recipients))
    return escalation
