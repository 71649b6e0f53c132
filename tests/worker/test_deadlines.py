"""Deadlines kept: overdue cases escalated once and e-mailed to supervisors over real SMTP, requests expired."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.worker.test_rechecks import _sent

from mangxanh.config import Settings, load_settings
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases.deadlines import escalate_overdue, overdue_count
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import QueueFilter, queue
from mangxanh.domains.content.service import Analysis
from mangxanh.errors import InvalidInput
from mangxanh.worker.deadlines import deadline_tick


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append((list(envelope.rcpt_tos),  # type: ignore[attr-defined]
                              message_from_bytes(envelope.content, policy=default_policy)))  # type: ignore[attr-defined]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _settings(tmp_path: Path, port: int) -> Settings:
    return load_settings(var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'unused.db'}",
                         smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_from="canhbao@skhcn.gov.vn",
                         public_url="https://mangxanh.skhcn.gov.vn/")


def _age(factory: sessionmaker[Session], case_id: int, hours: int) -> None:
    """Move a case's deadline into the past (the clock of the test, not of the database)."""
    with factory() as s:
        s.get_one(Case, case_id).due_at = utcnow() - timedelta(hours=hours)
        s.commit()


def test_an_overdue_case_is_escalated_once_and_the_supervisors_are_emailed(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, smtp: tuple[Inbox, int],
    tmp_path: Path,
) -> None:
    inbox, port = smtp
    action_id = _sent(session_factory, analysis, taxonomy, "https://example.vn/bai-1", "d1")
    with session_factory() as s:
        create_user(s, username="lanh.dao", password="mật khẩu đủ dài", display_name="Lãnh đạo",
                    role=Role.SUPERVISOR.value, email="lanhdao@skhcn.gov.vn")
        create_user(s, username="cv2", password="mật khẩu đủ dài", display_name="CV", email="cv2@skhcn.gov.vn")
        case_id = s.get_one(OutwardAction, action_id).case_id
        s.commit()
    _age(session_factory, case_id, hours=30)
    with session_factory() as s:
        s.get_one(OutwardAction, action_id).due_at = utcnow() - timedelta(hours=1)
        s.commit()
        version = s.get_one(Case, case_id).version
        assert overdue_count(s) == 1
        assert [c.id for c in queue(s, filters=QueueFilter(overdue=True), limit=10, offset=0)[0]] == [case_id]

    done = deadline_tick(session_factory, _settings(tmp_path, port))
    assert [c[0] for c in done.cases] == [case_id] and done.unanswered == [action_id]
    [(recipients, mail)] = inbox.messages
    assert recipients == ["lanhdao@skhcn.gov.vn"]  # supervisors only
    assert mail["Subject"] == "[Mạng Xanh] 1 hồ sơ đã quá hạn xử lý"
    body = mail.get_content()
    assert f"Hồ sơ #{case_id} (Ngôn từ thù ghét" in body
    assert f"https://mangxanh.skhcn.gov.vn/cases/{case_id}" in body
    assert "1 yêu cầu đã gửi nền tảng chưa được trả lời đúng hạn." in body
    with session_factory() as s:
        case = s.get_one(Case, case_id)
        assert case.overdue_at is not None and case.version == version  # no colleague's form made stale
        kinds = list(s.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))
        assert kinds.count("overdue") == 1 and kinds[-1] in ("overdue", "action_answered")
        assert s.get_one(OutwardAction, action_id).state == "no_answer"
        assert verify_case_history(s, case_id=case_id).ok

    again = deadline_tick(session_factory, _settings(tmp_path, port))
    assert (again.cases, again.unanswered, len(inbox.messages)) == ([], [], 1)  # escalated once


def test_the_escalation_is_kept_when_the_mail_server_is_down(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, tmp_path: Path,
) -> None:
    action_id = _sent(session_factory, analysis, taxonomy, "https://example.vn/bai-2", "d2")
    with session_factory() as s:
        create_user(s, username="lanh.dao", password="mật khẩu đủ dài", display_name="Lãnh đạo",
                    role=Role.SUPERVISOR.value, email="lanhdao@skhcn.gov.vn")
        case_id = s.get_one(OutwardAction, action_id).case_id
        s.commit()
    _age(session_factory, case_id, hours=2)
    done = deadline_tick(session_factory, _settings(tmp_path, _free_port()))  # nobody listens there
    assert [c[0] for c in done.cases] == [case_id]
    with session_factory() as s:
        assert s.get_one(Case, case_id).overdue_at is not None


def test_closed_cases_and_cases_on_time_are_left_alone_and_batches_are_bounded(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy,
) -> None:
    ids = []
    for i in range(4):
        action_id = _sent(session_factory, analysis, taxonomy, None, f"b{i}")
        with session_factory() as s:
            ids.append(s.get_one(OutwardAction, action_id).case_id)
    for case_id in ids[:3]:  # the fourth is on time
        _age(session_factory, case_id, hours=5)
    with session_factory() as s:
        s.get_one(Case, ids[2]).status = "resolved"
        s.commit()
    with session_factory() as s:
        first = escalate_overdue(s, batch=1)
        second = escalate_overdue(s, batch=1)
        third = escalate_overdue(s, batch=1)
        s.commit()
    assert [c[0] for c in first.cases + second.cases] == ids[:2] and third.cases == []


def test_a_bad_email_address_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="e-mail"):
        create_user(session, username="x1", password="mật khẩu đủ dài", display_name="X", email="không phải thư")
