"""Citizens' reports after they are sent: filed into cases, idle drafts taken as sent, reporters told.

Filing reads each link's page first, outside any transaction (the fetch may take seconds), then
files the report in a transaction of its own: one report that fails is logged and retried at the
next tick, the others go on. The web app starts a filing right after a report is sent (child
abuse first), and the schedulers' tick files whatever is left.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from mangxanh.config import Settings
from mangxanh.connectors.robots import RobotsCache
from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.items import Numbered
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.citizen_reports.filing import file_report, read_reported, reported_items
from mangxanh.domains.citizen_reports.models import CitizenReport, ReportState
from mangxanh.domains.citizen_reports.service import mark_stage_notified, reports_to_file, submit_idle_drafts
from mangxanh.domains.citizen_reports.stages import STAGE_EXPLANATIONS, STAGE_LABELS, Stage, report_status
from mangxanh.domains.content.intake import analyse_ahead
from mangxanh.domains.content.service import Analysis
from mangxanh.i18n import current_language, gettext
from mangxanh.worker.deadlines import mailer

log = logging.getLogger(__name__)
# How long after filing a reporter is still told of changes by e-mail (the status page tells them always).
NOTIFY_DAYS = 90


def file_pending(factory: sessionmaker[Session], *, analysis: Analysis, policy: FetchPolicy,
                 robots: RobotsCache | None = None, lock: AbstractContextManager[object] | None = None,
                 limit: int = 100, pause: Callable[[float], float] | None = None) -> int:
    """File the sent reports waiting (child abuse first); returns how many were filed.

    ``pause``: given the seconds a filing took, how long to wait before the next one (see
    :meth:`ReportFiler.pause_for`); none in a worker process, where filing competes with nobody.
    """
    robots = robots or RobotsCache()
    with unit_of_work(factory, reads_only=True) as session:
        waiting = reports_to_file(session, limit=limit)
    filed = 0
    for report_id in waiting:
        began = time.perf_counter()
        with unit_of_work(factory, reads_only=True) as session:
            report = session.get(CitizenReport, report_id, options=[selectinload(CitizenReport.links)])
            links = list(report.links) if report is not None else []
            for link in links:
                session.expunge(link)
        read = read_reported(links, policy=policy, robots=robots, max_text_chars=analysis.max_text_chars)
        try:
            with lock or nullcontext():
                # The detectors run before the write transaction: reporters sending meanwhile never
                # wait for them.
                ahead = analyse_ahead(factory, analysis=analysis, delivered=[
                    Numbered(n, item) for n, item in enumerate(reported_items(links, read), start=1)])
                with unit_of_work(factory) as session:
                    filed += bool(file_report(session, report_id=report_id, analysis=analysis, read=read,
                                              ahead=ahead))
        except Exception:
            log.exception("citizen report %d could not be filed; it is tried again at the next tick", report_id)
        if pause is not None:
            time.sleep(pause(time.perf_counter() - began))
    return filed


def notice(report: CitizenReport, stage: Stage, *, status_url: str, lang: str) -> tuple[str, str]:
    token = current_language.set(lang)
    try:
        subject = gettext("[Mạng Xanh] Your report: %(stage)s") % {"stage": gettext(STAGE_LABELS[stage])}
        lines = [gettext("The report you sent on %(date)s has a new status: %(stage)s.") % {
            "date": report.created_at.strftime("%d/%m/%Y"), "stage": gettext(STAGE_LABELS[stage])},
            "", gettext(STAGE_EXPLANATIONS[stage])]
        if report.reply:
            lines += ["", report.reply]
        lines += ["", gettext("Follow it with your tracking code at %(url)s") % {"url": status_url}, "",
                  gettext("This message was sent by Mạng Xanh; do not reply to it.")]
        return subject, "\n".join(lines)
    finally:
        current_language.reset(token)


def notify_reporters(factory: sessionmaker[Session], settings: Settings, *, limit: int = 200) -> int:
    """E-mail each reporter who left an address when their report's stage changed; returns how many were sent.

    The stage told is recorded after the message went, in its own transaction: a failure is
    tried again at the next tick, and a reporter is never told the same stage twice.
    """
    sender = mailer(settings)
    if sender is None:
        return 0
    sent = 0
    with unit_of_work(factory, reads_only=True) as session:
        # Reports still being followed: filed in the last NOTIFY_DAYS days, with an address to write to.
        rows = session.scalars(select(CitizenReport).where(
            CitizenReport.state == ReportState.FILED.value, CitizenReport.contact_email.is_not(None),
            CitizenReport.filed_at >= utcnow() - timedelta(days=NOTIFY_DAYS))
            .order_by(CitizenReport.id.desc()).limit(5_000)).all()
        due = []
        for report in rows:
            stage = report_status(session, report).stage
            if stage.value != (report.notified_stage or Stage.RECEIVED.value):
                due.append((report.id, str(report.contact_email), stage,
                            notice(report, stage, status_url=f"{settings.effective_public_url}/tra-cuu",
                                   lang=settings.default_locale)))
            if len(due) >= limit:
                break
    for report_id, address, stage, (subject, body) in due:
        try:
            sender.send(to=[address], subject=subject, body=body)
        except (smtplib.SMTPException, OSError):
            log.exception("the status of citizen report %d could not be e-mailed", report_id)
            continue
        with unit_of_work(factory) as session:
            mark_stage_notified(session, report_id=report_id, stage=stage.value)
        sent += 1
    return sent


def reports_tick(factory: sessionmaker[Session], settings: Settings, *, analysis: Callable[[], Analysis],
                 policy: FetchPolicy, filer: ReportFiler | None = None) -> int:
    """The schedulers' tick: idle drafts sent, waiting reports filed, reporters told. Returns how many were filed.

    With ``filer`` (the web process's), the filing is left to it: one filer per process, which
    knows when reporters are sending and gives way to them.
    """
    with unit_of_work(factory) as session:
        submit_idle_drafts(session)
    if filer is not None:
        filer.wake()
        filed = 0
    else:
        filed = file_pending(factory, analysis=analysis(), policy=policy)
    notify_reporters(factory, settings)
    return filed


class ReportFiler:
    """Files sent reports in a background thread of the web process, one filing at a time.

    ``wake`` is called after each report is sent: a filing already running takes the new report
    in its next round, so a burst of reports starts one thread, not one per report.

    Filing a report (reading its page, the detectors, the case) costs about twice the interpreter
    time of receiving it, and the requests share one interpreter with it. While reports are
    arriving, filing gives way: it takes at most ``busy_share`` of the time (it pauses
    ``(1 - share) / share`` times what each filing took), so a burst is answered at once and filed
    behind it, child abuse first; once no report has come for ``quiet_s``, it files at full speed.
    """

    def __init__(self, run: Callable[[ReportFiler], int], *, busy_share: float = 0.2, quiet_s: float = 2.0) -> None:
        if not 0 < busy_share <= 1:
            raise ValueError("busy_share is a share of the time: more than 0, at most 1")
        self._run = run
        self._busy_pause = (1 - busy_share) / busy_share
        self._quiet_s = quiet_s
        self._lock = threading.Lock()
        self._again = False
        self._thread: threading.Thread | None = None
        self._last_wake = float("-inf")

    def pause_for(self, took_s: float) -> float:
        """How long to wait after a filing that took ``took_s``: none unless reports came lately."""
        return took_s * self._busy_pause if time.monotonic() - self._last_wake < self._quiet_s else 0.0

    def wake(self) -> None:
        with self._lock:
            self._last_wake = time.monotonic()
            self._again = True
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._loop, name="report-filer", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._again:
                    self._thread = None
                    return
                self._again = False
            try:
                self._run(self)
            except Exception:
                log.exception("filing citizen reports failed; the next tick tries again")

    def join(self, timeout_s: float = 30.0) -> None:
        """Wait for the filing under way (tests, and shutting down)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
