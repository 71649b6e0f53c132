"""Re-checking sent requests against a real HTTP server on loopback: still there, gone, unreachable, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import LETTERHEAD
from tests.connectors.conftest import LoopbackServer

from mangxanh.connectors.safe_http import FetchPolicy
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.models import ActionCheck
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.worker.rechecks import RECHECK_EVERY, due_for_recheck, recheck, recheck_due

POLICY = FetchPolicy(allow_private=True, timeout_s=2.0, max_bytes=100_000, max_redirects=2)


@pytest.fixture
def site() -> LoopbackServer:
    server = LoopbackServer()
    server.start()
    yield server  # type: ignore[misc]
    server.stop()


def _sent(factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, url: str | None,
          external_id: str) -> int:
    with factory() as s:
        people = {u.username: u for u in s.scalars(select(User))} or {
            name: create_user(s, username=name, password="mật khẩu đủ dài", display_name=name, role=role)
            for name, role in (("ha", Role.ANALYST.value), ("duc", Role.SUPERVISOR.value), ("xem", Role.VIEWER.value))}
        ingest(s, source=get_or_create_source(s, name="t", kind="jsonl_export"), analysis=analysis, items=[
            RawItem(platform="web", external_id=external_id, text="bọn parky cút về quê", url=url)])
        case = s.scalars(select(Case).order_by(Case.id.desc())).first()
        assert case is not None
        cases.record_decision(s, case_id=case.id, actor=people["ha"], taxonomy=taxonomy, category="HATE_DISCRIM",
                              legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                              facts="Bài viết kỳ thị.", note="Kỳ thị.")
        action = actions.draft_action(s, user=people["ha"], case_id=case.id, kind="request_takedown",
                                      taxonomy=taxonomy, recipient="Ban quản trị trang tin")
        actions.approve(s, user=people["duc"], action_id=action.id)
        actions.issue_letter(s, user=people["duc"], action_ids=[action.id], taxonomy=taxonomy, letterhead=LETTERHEAD)
        s.commit()
        return action.id


def _checks(factory: sessionmaker[Session], action_id: int) -> list[tuple[str, int | None]]:
    with factory() as s:
        return [(c.outcome, c.http_status) for c in s.scalars(
            select(ActionCheck).where(ActionCheck.action_id == action_id).order_by(ActionCheck.id))]


def test_a_recheck_sees_the_content_still_there_then_gone_and_says_so_in_the_history(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, site: LoopbackServer,
) -> None:
    site.add("/bai-viet/1", "<html><body>bọn parky cút về quê</body></html>")
    action_id = _sent(session_factory, analysis, taxonomy, site.url("/bai-viet/1"), "w1")
    assert recheck(session_factory, action_id=action_id, policy=POLICY).outcome == "present"
    site.add("/bai-viet/1", "Không tìm thấy", status=410)
    assert recheck(session_factory, action_id=action_id, policy=POLICY).outcome == "removed"
    assert _checks(session_factory, action_id) == [("present", 200), ("removed", 410)]
    with session_factory() as s:
        events = s.scalars(select(CaseEvent).where(CaseEvent.kind == "action_checked").order_by(CaseEvent.id)).all()
    assert [(e.after or {}).get("outcome") for e in events] == ["present", "removed"]


def test_private_addresses_are_never_fetched_under_the_real_policy(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, site: LoopbackServer,
) -> None:
    site.add("/noi-bo", "bí mật")
    action_id = _sent(session_factory, analysis, taxonomy, site.url("/noi-bo"), "w2")
    found = recheck(session_factory, action_id=action_id, policy=FetchPolicy())
    assert (found.outcome, found.http_status) == ("unreachable", None)
    assert site.requests == []


def test_a_viewer_may_not_recheck(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, site: LoopbackServer,
) -> None:
    action_id = _sent(session_factory, analysis, taxonomy, site.url("/x"), "w3")
    with session_factory() as s:
        viewer = s.scalars(select(User).where(User.username == "xem")).one().id
    with pytest.raises(PermissionRefused):
        recheck(session_factory, action_id=action_id, policy=POLICY, user_id=viewer)
    assert site.requests == [] and _checks(session_factory, action_id) == []


def test_the_schedule_checks_each_due_request_once_per_period(
    session_factory: sessionmaker[Session], analysis: Analysis, taxonomy: Taxonomy, site: LoopbackServer,
) -> None:
    site.add("/a", "còn")
    first = _sent(session_factory, analysis, taxonomy, site.url("/a"), "w4")
    second = _sent(session_factory, analysis, taxonomy, site.url("/b"), "w5")  # 404: removed
    _sent(session_factory, analysis, taxonomy, None, "w6")  # no address: nothing to fetch
    now = datetime.now(UTC)
    assert recheck_due(session_factory, policy=POLICY, now=now) == 2
    assert (_checks(session_factory, first), _checks(session_factory, second)) == ([("present", 200)],
                                                                                   [("removed", 404)])
    assert recheck_due(session_factory, policy=POLICY, now=now + timedelta(hours=1)) == 0
    with session_factory() as s:
        assert due_for_recheck(s, now=now + RECHECK_EVERY) == [first, second]
