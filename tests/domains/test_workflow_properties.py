"""Property tests of the two state machines as the services run them, on the database.

Any sequence of steps, by any of the people who might try them: a step the state machine and the
permission table allow moves the case (or action) exactly as the pure machine says and adds to its
history; any other step is refused with nothing changed; the history always verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import LETTERHEAD

from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy
from mangxanh.core.workflow import TRANSITIONS, CaseStatus, apply_transition
from mangxanh.core.workflow.actions import ActionState, apply_action_move
from mangxanh.domains.accounts.models import Role, User
from mangxanh.domains.accounts.permissions import TRANSITION_ACTIONS, Action, allowed
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.actions import service as actions
from mangxanh.domains.actions.models import OutwardAction
from mangxanh.domains.audit.models import CaseEvent
from mangxanh.domains.audit.verify import verify_case_history
from mangxanh.domains.cases import service as cases
from mangxanh.domains.cases.models import Case
from mangxanh.domains.cases.related import merge_duplicate
from mangxanh.domains.content.intake import ingest
from mangxanh.domains.content.service import Analysis
from mangxanh.domains.sources.service import get_or_create_source
from mangxanh.errors import MangXanhError

PEOPLE = ("ha", "duc", "lan", "xem")
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def people(session: Session) -> dict[str, User]:
    return {name: create_user(session, username=name, password="mật khẩu đủ dài", display_name=name, role=role)
            for name, role in (("ha", Role.ANALYST.value), ("duc", Role.SUPERVISOR.value),
                               ("lan", Role.SUPERVISOR.value), ("xem", Role.VIEWER.value))}


def _new_case(session: Session, analysis: Analysis, external_id: str) -> Case:
    ingest(session, source=get_or_create_source(session, name="t", kind="jsonl_export"), analysis=analysis, items=[
        RawItem(platform="facebook", external_id=external_id, text="bọn parky cút về quê",
                url=f"https://www.facebook.com/p/{external_id}", published_at=datetime(2026, 11, 20, tzinfo=UTC))])
    return session.scalars(select(Case).order_by(Case.id.desc()).limit(1)).one()


def _events(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case_id)) or 0


def _attempt(session: Session, step: Callable[[], object]) -> bool:
    """Run a step in a savepoint, as a request does in its transaction; whether it was taken."""
    nested = session.begin_nested()
    try:
        step()
    except MangXanhError:
        nested.rollback()
        return False
    nested.commit()
    return True


CASE_STEPS = st.lists(st.tuples(st.sampled_from([*sorted(set(TRANSITIONS) - {"decide"}), "decide"]),
                                st.sampled_from(PEOPLE)), min_size=1, max_size=12)


@PROPERTY_SETTINGS
@given(steps=CASE_STEPS)
def test_a_case_moves_only_as_its_state_machine_and_the_permissions_allow(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
    steps: list[tuple[str, str]],
) -> None:
    outer = session.begin_nested()
    main = _new_case(session, analysis, "case-property-main")  # stays open: what a duplicate is merged into
    case = _new_case(session, analysis, "case-property")
    status = CaseStatus(case.status)
    for move, who in steps:
        user = people[who]
        need = {"decide": Action.DECIDE, "merge": Action.MERGE}.get(move) or TRANSITION_ACTIONS[move]
        try:
            expected = apply_transition(status, move)
        except MangXanhError:
            expected = None
        if not allowed(user, need):
            expected = None
        before = (session.get_one(Case, case.id).status, session.get_one(Case, case.id).version,
                  _events(session, case.id))
        if move == "decide":
            taken = _attempt(session, lambda user=user: cases.record_decision(  # type: ignore[misc]
                session, case_id=case.id, actor=user, taxonomy=taxonomy, category="HATE_DISCRIM",
                legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                facts="Bài viết kỳ thị.", note="Kỳ thị vùng miền."))
        elif move == "merge":
            taken = _attempt(session, lambda user=user: merge_duplicate(  # type: ignore[misc]
                session, case_id=case.id, into_id=main.id, actor=user))
        else:
            taken = _attempt(session, lambda user=user, move=move: cases.transition_case(  # type: ignore[misc]
                session, case_id=case.id, transition=move, actor=user))
        stored = session.get_one(Case, case.id)
        session.refresh(stored)
        assert taken == (expected is not None), (move, who, status)
        if taken:
            assert expected is not None
            status = expected
            assert stored.status == status.value and _events(session, case.id) > before[2]
        else:
            assert (stored.status, stored.version, _events(session, case.id)) == before
    assert verify_case_history(session, case_id=case.id).ok
    outer.rollback()


ACTION_STEPS = st.lists(st.tuples(st.sampled_from(["approve", "reject", "withdraw", "send", "acknowledged", "done",
                                                   "refused", "no_answer"]), st.sampled_from(PEOPLE)),
                        min_size=1, max_size=10)
ANSWER_MOVES = {"acknowledged": "acknowledge", "done": "complete", "refused": "refuse", "no_answer": "expire"}
NEEDS = {"approve": Action.APPROVE_ACTION, "reject": Action.APPROVE_ACTION, "send": Action.SEND_ACTION}


@PROPERTY_SETTINGS
@given(steps=ACTION_STEPS)
def test_an_action_moves_only_as_its_state_machine_four_eyes_and_the_permissions_allow(
    session: Session, analysis: Analysis, taxonomy: Taxonomy, people: dict[str, User],
    steps: list[tuple[str, str]],
) -> None:
    outer = session.begin_nested()
    case = _new_case(session, analysis, "action-property")
    drafter = people["ha"]
    cases.record_decision(session, case_id=case.id, actor=drafter, taxonomy=taxonomy, category="HATE_DISCRIM",
                          legal_basis="decision-874-2021|Điều 4", action="request_takedown",
                          facts="Bài viết kỳ thị.", note="Kỳ thị.")
    action_id = actions.draft_action(session, user=drafter, case_id=case.id, kind="request_takedown",
                                     taxonomy=taxonomy).id
    state = ActionState.DRAFTED
    for move, who in steps:
        user = people[who]
        machine_move = ANSWER_MOVES.get(move, move)
        need = NEEDS.get(move, Action.RECORD_ANSWER if move in ANSWER_MOVES else
                         Action.DRAFT_ACTION if user.id == drafter.id else Action.APPROVE_ACTION)
        try:
            expected: ActionState | None = apply_action_move(state, machine_move)
        except MangXanhError:
            expected = None
        if not allowed(user, need) or (move == "approve" and user.id == drafter.id):
            expected = None
        steps_by_move: dict[str, Callable[[], object]] = {
            "approve": lambda user=user: actions.approve(session, user=user, action_id=action_id),  # type: ignore[misc]
            "reject": lambda user=user: actions.reject(  # type: ignore[misc]
                session, user=user, action_id=action_id, reason="Chưa đủ căn cứ."),
            "withdraw": lambda user=user: actions.withdraw(session, user=user, action_id=action_id),  # type: ignore[misc]
            "send": lambda user=user: actions.issue_letter(  # type: ignore[misc]
                session, user=user, action_ids=[action_id], taxonomy=taxonomy, letterhead=LETTERHEAD),
        }
        step = steps_by_move.get(move) or (lambda user=user, move=move: actions.record_answer(  # type: ignore[misc]
            session, user=user, action_id=action_id, answer=move, note="Nền tảng trả lời."))
        before = (session.get_one(OutwardAction, action_id).state, _events(session, case.id))
        taken = _attempt(session, step)
        stored = session.get_one(OutwardAction, action_id)
        session.refresh(stored)
        assert taken == (expected is not None), (move, who, state)
        if taken:
            assert expected is not None
            state = expected
            assert stored.state == state.value and _events(session, case.id) > before[1]
            assert state is not ActionState.APPROVED or stored.approved_by_id != drafter.id
        else:
            assert (stored.state, _events(session, case.id)) == before
    assert verify_case_history(session, case_id=case.id).ok
    outer.rollback()
