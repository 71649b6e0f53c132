"""Citizens' reports after sending: filed by the tick, and the reporter e-mailed once per change of stage."""

import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.worker.test_deadlines import Inbox, _settings, smtp  # noqa: F401 - the fixture

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.db import unit_of_work
from mangxanh.domains.accounts.models import User
from mangxanh.domains.cases import service as cases
from mangxanh.domains.citizen_reports import service
from mangxanh.domains.citizen_reports.models import CitizenReport, ReportState
from mangxanh.domains.content.service import Analysis
from mangxanh.worker.citizen_reports import ReportFiler, notify_reporters, reports_tick

KEYS = service.ReporterKeys("k")


def test_the_tick_files_reports_and_tells_the_reporter_each_new_stage_once(
    session_factory: sessionmaker[Session], analysis: Analysis, tmp_path: Path, smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    inbox, port = smtp
    settings = _settings(tmp_path, port)
    with unit_of_work(session_factory) as s:
        report, code = service.save_report(s, form=service.ReportForm(
            links=["https://lua-dao.example.vn/qua"], choice="scam", email="dan@example.vn"),
            sender=service.Sender(KEYS.address("1")), keys=KEYS, send=True)
        report_id = report.id
        analyst = User(username="cv", password_hash="x", display_name="Chuyên viên", role="analyst")
        s.add(analyst)
    policy = FetchPolicy(timeout_s=1)
    assert reports_tick(session_factory, settings, analysis=lambda: analysis, policy=policy) == 1
    assert inbox.messages == []  # received is what the reporter was told on the page already
    with unit_of_work(session_factory) as s:
        report = s.get(CitizenReport, report_id)
        assert report is not None and report.state == ReportState.FILED
        case_id = report.links[0].case_id
        cases.transition_case(s, case_id=case_id, transition="start_review",
                              actor=s.scalars(select(User).where(User.username == "cv")).one())
    assert notify_reporters(session_factory, settings) == 1
    assert notify_reporters(session_factory, settings) == 0  # told once
    (to, message), = inbox.messages
    assert to == ["dan@example.vn"] and "Đang xem xét" in message["Subject"]
    assert code not in message.get_content()  # the code is never sent anywhere


def test_the_filer_gives_way_while_reports_arrive_and_files_at_full_speed_once_quiet() -> None:
    runs: list[float] = []
    filer = ReportFiler(lambda f: runs.append(f.pause_for(0.01)) or 0, busy_share=0.2, quiet_s=0.2)
    assert filer.pause_for(0.01) == 0.0  # no report sent yet: nothing to give way to
    filer.wake()
    filer.join()
    assert runs == [pytest.approx(0.04)]  # 20 % of the time: four times as long paused as filing took
    time.sleep(0.25)
    assert filer.pause_for(0.01) == 0.0
    with pytest.raises(ValueError, match="share"):
        ReportFiler(lambda f: 0, busy_share=0)


def test_in_the_web_process_the_tick_leaves_filing_to_the_filer(
    session_factory: sessionmaker[Session], analysis: Analysis, tmp_path: Path, smtp: tuple[Inbox, int],  # noqa: F811
) -> None:
    woken: list[bool] = []
    filer = ReportFiler(lambda f: woken.append(True) or 0)
    with unit_of_work(session_factory) as s:
        service.save_report(s, form=service.ReportForm(links=["https://tin-don.example.vn/bai"], choice="scam"),
                            sender=service.Sender(KEYS.address("2")), keys=KEYS, send=True)
    settings = _settings(tmp_path, smtp[1])
    assert reports_tick(session_factory, settings, analysis=lambda: analysis, policy=FetchPolicy(timeout_s=1),
                        filer=filer) == 0
    filer.join()
    assert woken == [True]
    with unit_of_work(session_factory, reads_only=True) as s:
        assert s.scalars(select(CitizenReport.state)).all() == [ReportState.SUBMITTED]  # not filed by the tick
