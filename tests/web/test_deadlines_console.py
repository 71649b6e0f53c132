"""Deadlines in the console: time left or how late, the overdue filter, the supervisors' banner."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.db import utcnow
from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.cases.deadlines import escalate_overdue
from mangxanh.domains.cases.models import Case
from mangxanh.web.templating import remaining
from tests.web.conftest import PASSWORD, log_in


def test_time_left_is_said_in_words_and_marked_when_late() -> None:
    now = utcnow()
    assert str(remaining(now + timedelta(hours=5, minutes=30), now)) == '<span class="due soon">còn 5 giờ</span>'
    assert str(remaining(now + timedelta(days=3, hours=1), now)) == '<span class="due">còn 3 ngày</span>'
    assert str(remaining(now + timedelta(minutes=20), now)) == '<span class="due soon">còn dưới 1 giờ</span>'
    assert str(remaining(now - timedelta(minutes=20), now)) == '<span class="due late">quá hạn 1 giờ</span>'
    assert str(remaining(now - timedelta(days=4), now)) == '<span class="due late">quá hạn 4 ngày</span>'


def test_an_overdue_case_is_shown_late_filtered_and_announced_to_supervisors(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        create_user(s, username="lanhdao", password=PASSWORD, display_name="Lãnh đạo", role=Role.SUPERVISOR.value)
        s.get_one(Case, hate_case).due_at = utcnow() - timedelta(hours=3)
        s.commit()
        escalate_overdue(s)
        s.commit()
    log_in(client)  # an analyst: the late case is marked, no banner
    queue = client.get("/cases").text
    assert '<span class="due late">quá hạn 3 giờ</span>' in queue and "overdue-banner" not in queue
    late_only = client.get("/cases?overdue=true").text
    assert f'href="/cases/{hate_case}"' in late_only and late_only.count('<tr class="sev-') == 1
    page = client.get(f"/cases/{hate_case}").text
    assert "quá hạn 3 giờ" in page and "đã báo cáo lãnh đạo" in page
    assert "Quá hạn xử lý: đã báo cáo lãnh đạo" in page  # the escalation, in the history

    with TestClient(client.app, base_url="http://testserver", follow_redirects=False) as supervisor:
        log_in(supervisor, "lanhdao")
        banner = supervisor.get("/cases").text
        assert "overdue-banner" in banner and "1 hồ sơ đã quá hạn xử lý." in banner
