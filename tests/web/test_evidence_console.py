"""The evidence package from the console: offered to those who may take it, signed, and every download logged."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.config import Settings
from mangxanh.core.evidence_package import signing_key, verify_package
from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import AuditEvent
from tests.web.conftest import PASSWORD, log_in


def _logged(factory: sessionmaker[Session], kind: str) -> list[AuditEvent]:
    with factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.kind == kind)))


def test_an_analyst_downloads_a_package_that_verifies_under_the_departments_key(
    client: TestClient, staff: int, hate_case: int, session_factory: sessionmaker[Session], settings: Settings,
) -> None:
    log_in(client)
    page = client.get(f"/cases/{hate_case}").text
    assert f'href="/cases/{hate_case}/evidence.zip"' in page and "Tải gói chứng cứ" in page
    response = client.get(f"/cases/{hate_case}/evidence.zip")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="ho-so-{hate_case}-chung-cu.zip"' in response.headers["content-disposition"]
    key = signing_key(settings.effective_evidence_key()).public_key()
    report = verify_package(response.content, expected_key=key, audit_key=settings.effective_audit_key())
    assert report.ok, report.describe()
    assert report.facts["case_id"] == hate_case and report.facts["captures"] == 1
    [logged] = _logged(session_factory, "evidence_exported")
    assert (logged.case_id, logged.actor_id) == (hate_case, staff)
    assert logged.data["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_a_viewer_is_not_offered_the_package_and_is_refused_it(
    client: TestClient, hate_case: int, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s:
        create_user(s, username="xem", password=PASSWORD, display_name="Người xem", role=Role.VIEWER.value)
        s.commit()
    log_in(client, "xem")
    assert "evidence.zip" not in client.get(f"/cases/{hate_case}").text
    refused = client.get(f"/cases/{hate_case}/evidence.zip")
    assert refused.status_code == 403 and "PK" not in refused.text[:2]
    assert not _logged(session_factory, "evidence_exported")
    [kept] = _logged(session_factory, "permission_refused")
    assert kept.data["action"] == "export_evidence" and kept.case_id == hate_case
