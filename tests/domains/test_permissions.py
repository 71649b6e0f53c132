"""Every role × every action, against a matrix written out here by hand; refusals change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import PERMISSIONS, Action, PermissionRefused, allowed
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases import work
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.queue import QueueFilter, queue, scoped
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source

A = Action
CASE_WORK = {A.VIEW_CASE, A.TRIAGE, A.START_REVIEW, A.DECIDE, A.REQUEST_ACTION, A.RESOLVE, A.CLAIM, A.UNASSIGN,
             A.DRAFT_ACTION, A.RECORD_ANSWER, A.REPLY_TO_REPORTER}
EXPECTED: dict[Role, set[Action]] = {
    Role.ADMIN: {A.VIEW_CASE, A.MANAGE_SOURCES, A.EDIT_RULES, A.EDIT_REGISTRIES, A.MANAGE_USERS, A.READ_AUDIT},
    Role.SUPERVISOR: CASE_WORK | {A.CLOSE, A.REOPEN, A.ASSIGN, A.SET_DISTRICT, A.MERGE, A.APPROVE_ACTION,
                                  A.SEND_ACTION, A.EXPORT_EVIDENCE, A.MANAGE_SOURCES, A.EDIT_RULES, A.READ_AUDIT,
                                  A.VIEW_REPORTER_CONTACT, A.REDACT_REPORT, A.SET_ASIDE_REPORTER,
                                  A.VIEW_CONTEST_ROLLUP, A.EDIT_BILLBOARDS, A.EDIT_REGISTRIES, A.MANAGE_OUTREACH},
    Role.ANALYST: CASE_WORK | {A.CLOSE, A.SET_DISTRICT, A.MERGE, A.SEND_ACTION, A.EXPORT_EVIDENCE,
                               A.VIEW_REPORTER_CONTACT, A.REDACT_REPORT, A.MANAGE_OUTREACH},
    Role.DISTRICT_OFFICER: set(CASE_WORK),
    Role.VIEWER: {A.VIEW_CASE},
    Role.TEACHER: {A.RUN_CONTESTS},
    Role.EDUCATION_OFFICER: {A.MANAGE_QUESTIONS, A.RUN_CONTESTS, A.VIEW_CONTEST_ROLLUP, A.EDIT_BILLBOARDS},
}


def test_every_action_has_a_row_and_a_label() -> None:
    from mangxanh.i18n import catalogue, current_language
    from mangxanh.web.labels import action_labels

    assert set(PERMISSIONS) == set(Action), "an action without a row in the permission table"
    token = current_language.set("en")
    try:
        labels = action_labels()
    finally:
        current_language.reset(token)
    assert set(labels) == {a.value for a in Action}
    assert [label for label in labels.values() if label not in catalogue("vi")] == []


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_the_table_gives_each_role_exactly_its_actions(role: Role, action: Action) -> None:
    user = User(id=1, username="x", display_name="x", password_hash="", role=role.value, is_active=True)
    assert allowed(user, action) == (action in EXPECTED[role])
    user.is_active = False
    assert not allowed(user, action)


@pytest.fixture
def staff(session: Session) -> dict[Role, User]:
    people = {role: create_user(session, username=role.value.replace("_", "-"), password="mật khẩu đủ dài",
                                display_name=role.value, role=role.value,
                                district="Hoàn Kiếm" if role == Role.DISTRICT_OFFICER else None)
              for role in Role}
    return people


@pytest.fixture
def case_id(session: Session, analysis: Analysis) -> int:
    ingest(session, source=get_or_create_source(session, name="t", kind="api"), analysis=analysis, items=[
        RawItem(platform="facebook", external_id="p", text="bọn parky cút về quê",
                published_at=datetime(2026, 11, 10, tzinfo=UTC))])
    return session.scalars(select(Case.id)).one()


def _attempts(taxonomy: Taxonomy, colleague: User) -> dict[Action, Callable[[Session, User, int], object]]:
    """How each case action is taken through the services, as every entry point takes it."""
    return {
        A.VIEW_CASE: lambda s, u, c: work.access_case(s, user=u, case_id=c),
        A.TRIAGE: lambda s, u, c: cases.transition_case(s, case_id=c, transition="triage", actor=u),
        A.START_REVIEW: lambda s, u, c: cases.transition_case(s, case_id=c, transition="start_review", actor=u),
        A.DECIDE: lambda s, u, c: cases.record_decision(
            s, case_id=c, actor=u, taxonomy=taxonomy, category="HATE_DISCRIM", legal_basis="decision-874-2021|Điều 4",
            action="request_takedown", facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền."),
        A.CLAIM: lambda s, u, c: work.claim(s, user=u, case_id=c),
        A.ASSIGN: lambda s, u, c: work.assign(s, user=u, case_id=c, assignee_id=colleague.id),
        A.SET_DISTRICT: lambda s, u, c: work.set_district(s, user=u, case_id=c, district="Ba Đình"),
    }


@pytest.mark.parametrize("role", list(Role))
def test_each_role_takes_what_it_may_and_a_refusal_changes_nothing(
    session: Session, staff: dict[Role, User], case_id: int, taxonomy: Taxonomy, role: Role,
) -> None:
    user = staff[role]
    # The district officer's scope is their district: this case is routed there.
    session.get_one(Case, case_id).district = "Hoàn Kiếm"
    session.flush()
    for action, attempt in _attempts(taxonomy, staff[Role.ANALYST]).items():
        before = (session.get_one(Case, case_id).version,
                  session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)))
        savepoint = session.begin_nested()
        if action in EXPECTED[role]:
            attempt(session, user, case_id)
            savepoint.rollback()
            continue
        with pytest.raises(PermissionRefused) as refused:
            attempt(session, user, case_id)
        savepoint.rollback()
        assert refused.value.case_id == case_id and refused.value.action == action
        session.expire_all()
        after = (session.get_one(Case, case_id).version,
                 session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)))
        assert after == before, f"{role} {action}: a refused action changed the case"


def test_a_district_officer_sees_and_handles_only_their_district(
    session: Session, staff: dict[Role, User], case_id: int,
) -> None:
    officer = staff[Role.DISTRICT_OFFICER]
    assert queue(session, filters=scoped(QueueFilter(), officer))[1] == 0
    with pytest.raises(PermissionRefused, match="another district"):
        work.access_case(session, user=officer, case_id=case_id)
    work.set_district(session, user=staff[Role.ANALYST], case_id=case_id, district="  Hoàn   Kiếm ")
    assert session.get_one(Case, case_id).district == "Hoàn Kiếm"
    assert queue(session, filters=scoped(QueueFilter(), officer))[1] == 1
    work.claim(session, user=officer, case_id=case_id)
    assert session.get_one(Case, case_id).assignee_id == officer.id
    kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)).all()
    assert kinds[-2:] == ["district_set", "assigned"]


def test_a_rule_routes_a_case_to_a_district(session: Session, analysis: Analysis, taxonomy: Taxonomy) -> None:
    from dataclasses import replace

    from mangxanh.core.rules import parse_rules

    rules = parse_rules("rules:\n  - id: to-district\n    description: Về địa bàn\n"
                        "    when: {finding: {category: HATE_DISCRIM}}\n    then: {route: \"district:Đống Đa\"}\n",
                        taxonomy=taxonomy)
    ingest(session, source=get_or_create_source(session, name="t", kind="api"), analysis=replace(analysis, rules=rules),
           items=[RawItem(platform="facebook", external_id="q", text="bọn parky cút về quê")])
    case = session.scalars(select(Case)).one()
    assert (case.route, case.district) == ("district:Đống Đa", "Đống Đa")


def test_only_a_supervisor_takes_a_case_from_a_colleague(session: Session, staff: dict[Role, User], case_id: int
                                                          ) -> None:
    work.claim(session, user=staff[Role.ANALYST], case_id=case_id)
    other = create_user(session, username="an", password="mật khẩu đủ dài", display_name="An")
    with pytest.raises(PermissionRefused):
        work.unassign(session, user=other, case_id=case_id)
    work.unassign(session, user=staff[Role.SUPERVISOR], case_id=case_id)
    assert session.get_one(Case, case_id).assignee_id is None
