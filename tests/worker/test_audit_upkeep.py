"""Keeping the trail sealed and checked: anchors when due, a daily verification the console warns about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.domains.test_intake import _raw

from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditAnchor, AuditCheck, AuditEvent
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.worker.audit_upkeep import ANCHOR_EVERY, VERIFY_EVERY, upkeep_if_due


def test_anchors_and_checks_run_when_due_and_only_then(
    session_factory: sessionmaker[Session], analysis: Analysis, tmp_path: Path,
) -> None:
    anchor_file = tmp_path / "anchors.jsonl"
    with session_factory() as s:
        ingest(s, source=get_or_create_source(s, name="x", kind="api"), items=[_raw("1", "đm thằng óc chó")],
               analysis=analysis)
        s.commit()
    t0 = datetime.now(UTC)
    first = upkeep_if_due(session_factory, anchor_file=anchor_file, now=t0)
    assert first.anchored and first.checked is not None and first.checked.ok
    again = upkeep_if_due(session_factory, anchor_file=anchor_file, now=t0 + timedelta(minutes=1))
    assert (again.anchored, again.checked) == (False, None)
    with session_factory() as s:
        ingest(s, source=get_or_create_source(s, name="x", kind="api"), items=[_raw("2", "vcl thật")],
               analysis=analysis)
        s.commit()
    later = upkeep_if_due(session_factory, anchor_file=anchor_file, now=t0 + ANCHOR_EVERY)
    assert later.anchored and later.checked is None
    daily = upkeep_if_due(session_factory, anchor_file=anchor_file, now=t0 + VERIFY_EVERY + ANCHOR_EVERY)
    assert daily.checked is not None and daily.checked.ok
    with session_factory() as s:
        assert len(s.scalars(select(AuditAnchor)).all()) == 2
        assert len(anchor_file.read_text().splitlines()) == 2
        assert [c.ok for c in s.scalars(select(AuditCheck).order_by(AuditCheck.id))] == [True, True]
        assert [e.kind for e in s.scalars(select(AuditEvent).where(AuditEvent.stream == "system")
                                          .order_by(AuditEvent.seq))][-2:] == ["audit_checked", "audit_checked"]


def test_a_failed_check_is_shown_to_the_leadership_in_the_console(
    session_factory: sessionmaker[Session], analysis: Analysis, tmp_path: Path,
) -> None:
    from fastapi.testclient import TestClient
    from tests.web.conftest import PASSWORD, log_in

    from mangxanh.config import load_settings
    from mangxanh.web.app import create_app

    anchor_file = tmp_path / "anchors.jsonl"
    with session_factory() as s:
        create_user(s, username="lanhdao", password=PASSWORD, display_name="Lãnh đạo", role=Role.SUPERVISOR.value)
        create_user(s, username="hoa", password=PASSWORD, display_name="Chuyên viên Hoa")
        ingest(s, source=get_or_create_source(s, name="x", kind="api"), items=[_raw("1", "đm thằng óc chó")],
               analysis=analysis)
        s.commit()
    upkeep_if_due(session_factory, anchor_file=anchor_file)
    # Someone with write access cuts a case's history (the test's transaction undoes it all afterwards).
    with session_factory() as s:
        if s.get_bind().dialect.name == "sqlite":
            s.execute(text("DROP TRIGGER case_events_no_delete"))
        else:
            s.execute(text("ALTER TABLE case_events DISABLE TRIGGER USER"))
        s.execute(text("DELETE FROM case_events"))
        s.commit()
    report = upkeep_if_due(session_factory, anchor_file=anchor_file,
                           now=datetime.now(UTC) + VERIFY_EVERY).checked
    assert report is not None and not report.ok
    app = create_app(load_settings(var_dir=tmp_path / "var", database_url="sqlite:///unused"))
    app.state.sessions = session_factory
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        log_in(client, "lanhdao")
        assert "Nhật ký kiểm toán không vượt qua lần kiểm tra gần nhất" in client.get("/cases").text
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        log_in(client, "hoa")
        assert "Nhật ký kiểm toán" not in client.get("/cases").text
