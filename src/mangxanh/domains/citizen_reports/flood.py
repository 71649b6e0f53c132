"""Flood limits: how many reports an address may begin, and a link may receive, in an hour.

A limit never drops a report silently: the reporter is refused with the time to try again,
before anything is stored, and the answer says so. Schools and offices send many people's reports
from one address, so the address limit is generous; the link limit only stops a flood aimed at
one post (its case has the reports already and is raised by them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.domains.citizen_reports.models import CitizenReport, ReportLink
from mangxanh.errors import MangXanhError

WINDOW = timedelta(hours=1)
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class RateLimited(MangXanhError):
    """Too many reports for now; ``retry_at`` says when the next one will be taken."""

    def __init__(self, message: str, *, retry_at: datetime, **params: object) -> None:
        # The time is told as the reporter's clock shows it (Vietnam's), to the minute, rounded up.
        local = (retry_at + timedelta(seconds=59)).astimezone(LOCAL_TZ)
        super().__init__(message, time=local.strftime("%H:%M"), **params)
        self.retry_at = retry_at


@dataclass(frozen=True, slots=True)
class Limits:
    per_address: int = 60
    per_link: int = 200


DEFAULT = Limits()


def check_address(session: Session, *, address_key: str, limits: Limits, now: datetime) -> None:
    since = now - WINDOW
    count, oldest = session.execute(select(func.count(), func.min(CitizenReport.created_at)).where(
        CitizenReport.address_key == address_key, CitizenReport.created_at > since)).one()
    if count >= limits.per_address:
        raise RateLimited("Many reports have been sent from your network in the last hour. Your report has not "
                          "been sent yet: please send it again after {time}.", retry_at=oldest + WINDOW)


def check_links(session: Session, *, identities: list[str], limits: Limits, now: datetime, report_id: int | None
                ) -> None:
    if not identities:
        return
    since = now - WINDOW
    rows = session.execute(select(ReportLink.identity, func.count(), func.min(ReportLink.created_at))
                           .where(ReportLink.identity.in_(identities), ReportLink.created_at > since,
                                  ReportLink.report_id != (report_id or 0))
                           .group_by(ReportLink.identity)).all()
    for identity, count, oldest in rows:
        if count >= limits.per_link:
            raise RateLimited("This link has been reported very many times in the last hour and is being handled. "
                              "Your report has not been sent yet: please send it again after {time}.",
                              retry_at=oldest + WINDOW, link=identity)
