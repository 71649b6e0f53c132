"""Online contests without the web: the bank, contests, registration, attempts on the server's clock, ranking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.contest_support import PASSWORD, class_contest, small_bank, teacher

from mangxanh.domains.accounts.models import Role
from mangxanh.domains.accounts.permissions import PermissionRefused
from mangxanh.domains.accounts.service import create_user
from mangxanh.domains.education.contests import attempts, registration
from mangxanh.domains.education.contests.attempts import AlreadyFinished, TimeIsUp
from mangxanh.domains.education.contests.bank import seed_bank, seed_drafts
from mangxanh.domains.education.contests.models import Attempt, AttemptState, ContestKind, Participant
from mangxanh.domains.education.contests.service import (
    ContestPlan,
    RoundPlan,
    UnitPlan,
    create_contest,
    rounds_of,
    units_of,
)
from mangxanh.domains.education.library import shipped_library
from mangxanh.errors import Conflict, Forbidden, InvalidInput, NotFound

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
KEYS = registration.ParticipantKeys("bí mật của các bài thi")


def _register(session: Session, contest, *, phone: str = "0912345678", name: str = "Nguyễn Lan Anh",
              class_name: str = "8A1") -> tuple[Participant, str]:
    unit = units_of(session, contest_id=contest.id)[0]
    participant, token, code = registration.register(
        session, contest=contest, keys=KEYS, now=NOW, needs_sms=False,
        form=registration.Registration(full_name=name, birth_date="05/09/2012", unit_id=str(unit.id), phone=phone,
                                       class_name=class_name))
    assert code is None and participant.verified_at == NOW
    return participant, token


def test_the_shipped_bank_has_over_a_hundred_checked_questions_on_every_topic(session: Session) -> None:
    drafts = seed_drafts()
    assert len(drafts) >= 100
    assert {d.topic for d in drafts} == {"code_of_conduct", "online_safety", "personal_data", "scams",
                                         "children_online"}
    outcome = seed_bank(session, library=shipped_library())
    assert outcome.created == len(drafts) and outcome.updated == 0
    # Seeding again updates, never duplicates.
    assert seed_bank(session, library=shipped_library()).created == 0


def test_a_teacher_creates_class_contests_only_and_the_bank_must_hold_enough_new_questions(session: Session) -> None:
    small_bank(session, n=6)
    owner = teacher(session)
    rounds = (RoundPlan(NOW, NOW + timedelta(hours=1), 600, 5),)
    public = ContestPlan(title="Cuộc thi", kind=ContestKind.PUBLIC, rounds=rounds, units=(UnitPlan("Ba Đình", "A"),))
    with pytest.raises(PermissionRefused):
        create_contest(session, user=owner, plan=public)
    two = (RoundPlan(NOW, NOW + timedelta(hours=1), 600, 4), RoundPlan(NOW + timedelta(hours=2),
                                                                       NOW + timedelta(hours=3), 600, 4))
    plan = ContestPlan(title="Lớp em", kind=ContestKind.CLASS, rounds=two, units=(UnitPlan("Cầu Giấy", "THCS"),),
                       classes=("8A1",))
    with pytest.raises(InvalidInput, match="draw 8 different questions but the bank has 6"):
        create_contest(session, user=owner, plan=plan)
    overlapping = (RoundPlan(NOW, NOW + timedelta(hours=3), 600, 2), RoundPlan(NOW + timedelta(hours=2),
                                                                                NOW + timedelta(hours=4), 600, 2))
    with pytest.raises(InvalidInput, match="opens before round 1 closes"):
        create_contest(session, user=owner, plan=ContestPlan(title="x", kind=ContestKind.CLASS, rounds=overlapping,
                                                             units=plan.units, classes=("8A1",)))
    analyst = create_user(session, username="phan.tich", password=PASSWORD, display_name="A", role=Role.ANALYST)
    with pytest.raises(PermissionRefused):
        create_contest(session, user=analyst, plan=plan)


def test_registration_takes_one_attempt_per_phone_and_refuses_what_is_not_on_the_lists(session: Session) -> None:
    small_bank(session)
    contest = class_contest(session, teacher(session), now=NOW)
    _register(session, contest, phone="0912 345 678")
    with pytest.raises(Conflict, match="already registered"):
        _register(session, contest, phone="+84912345678", name="Người Khác")
    other = class_contest(session, teacher(session, "co.hoa"), now=NOW)
    foreign_unit = units_of(session, contest_id=other.id)[0]
    bad = [dict(full_name="", birth_date="05/09/2012", unit_id="1", phone="0987654321", class_name="8A1"),
           dict(full_name="Lan<script>", birth_date="05/09/2012", unit_id="1", phone="0987654321", class_name="8A1"),
           dict(full_name="Lan", birth_date="31/02/2012", unit_id="1", phone="0987654321", class_name="8A1"),
           dict(full_name="Lan", birth_date="05/09/2012", unit_id=str(foreign_unit.id), phone="0987654321",
                class_name="8A1"),
           dict(full_name="Lan", birth_date="05/09/2012", unit_id=str(units_of(session, contest_id=contest.id)[0].id),
                phone="0987654321", class_name="9C9"),
           dict(full_name="Lan", birth_date="05/09/2012", unit_id="1", phone="12345", class_name="8A1")]
    before = session.scalar(select(func.count()).select_from(Participant))
    for form in bad:
        with pytest.raises(InvalidInput):
            registration.register(session, contest=contest, keys=KEYS, now=NOW, needs_sms=False,
                                  form=registration.Registration(**form))
    assert session.scalar(select(func.count()).select_from(Participant)) == before
    with pytest.raises(Forbidden, match="registration has closed"):
        registration.register(session, contest=contest, keys=KEYS, now=NOW + timedelta(days=1), needs_sms=False,
                              form=registration.Registration("Lan", "05/09/2012", "1", "0987654321", "8A1"))


def test_a_phone_is_confirmed_by_the_code_sent_and_five_wrong_codes_end_it(session: Session) -> None:
    small_bank(session)
    contest = class_contest(session, teacher(session), now=NOW)
    unit = units_of(session, contest_id=contest.id)[0]
    participant, token, code = registration.register(
        session, contest=contest, keys=KEYS, now=NOW, needs_sms=True,
        form=registration.Registration("Trần Minh", "1/1/2012", str(unit.id), "0987654321", "8A2"))
    assert code is not None and len(code) == 6 and participant.verified_at is None
    with pytest.raises(Forbidden, match="Confirm your phone"):
        attempts.start_attempt(session, participant=participant, round_=rounds_of(session, contest_id=contest.id)[0],
                               guess=10, now=NOW)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(InvalidInput, match="4 tries left"):
        registration.confirm_phone(session, participant=participant, token=token, code=wrong, now=NOW)
    registration.confirm_phone(session, participant=participant, token=token, code=code, now=NOW)
    assert participant.verified_at == NOW


def test_questions_are_held_on_the_server_and_never_repeat_across_rounds(session: Session) -> None:
    bank = small_bank(session, n=10)
    contest = class_contest(session, teacher(session), now=NOW, questions=5)
    participant, _token = _register(session, contest)
    first, second = rounds_of(session, contest_id=contest.id)
    attempt, key = attempts.start_attempt(session, participant=participant, round_=first, guess=3, now=NOW)
    view = attempts.current(session, key=key, now=NOW)
    assert view.position == 0 and view.total == 5 and view.question is not None
    assert not hasattr(view.question, "answer")
    with pytest.raises(Conflict, match="already taken round 1"):
        attempts.start_attempt(session, participant=participant, round_=first, guess=3, now=NOW)
    with pytest.raises(Forbidden, match="not opened yet"):
        attempts.start_attempt(session, participant=participant, round_=second, guess=3, now=NOW)
    later = NOW + timedelta(hours=2)
    attempts.submit(session, key=key, now=NOW + timedelta(minutes=1))
    again, _key2 = attempts.start_attempt(session, participant=participant, round_=second, guess=3, now=later)
    assert not set(again.question_ids) & set(attempt.question_ids)
    assert set(again.question_ids) | set(attempt.question_ids) == {q.id for q in bank}


def test_answers_are_checked_against_the_draw_a_retry_counts_once_and_a_second_submission_is_refused(
        session: Session) -> None:
    small_bank(session)
    contest = class_contest(session, teacher(session), now=NOW, questions=3)
    participant, _token = _register(session, contest)
    attempt, key = attempts.start_attempt(session, participant=participant,
                                          round_=rounds_of(session, contest_id=contest.id)[0], guess=1, now=NOW)
    drawn = attempt.question_ids
    not_drawn = next(i for i in range(1, 10_000) if i not in drawn)
    with pytest.raises(InvalidInput, match="not drawn for you"):
        attempts.answer(session, key=key, position=0, question_id=not_drawn, choice=1, now=NOW)
    with pytest.raises(InvalidInput, match="Answer question 1 first"):
        attempts.answer(session, key=key, position=1, question_id=drawn[1], choice=1, now=NOW)
    attempts.answer(session, key=key, position=0, question_id=drawn[0], choice=1, now=NOW)
    replay = attempts.answer(session, key=key, position=0, question_id=drawn[0], choice=1, now=NOW)
    session.refresh(attempt)
    assert replay.position == 1 and attempt.answers == [1] and attempt.answered == 1
    with pytest.raises(Conflict, match="already answered"):
        attempts.answer(session, key=key, position=0, question_id=drawn[0], choice=2, now=NOW)
    attempts.answer(session, key=key, position=1, question_id=drawn[1], choice=0, now=NOW)
    done = attempts.submit(session, key=key, now=NOW + timedelta(seconds=42))
    assert done.state == AttemptState.SUBMITTED and done.score == 1 and done.question is None
    assert attempt.duration_ms == 42_000 and attempt.certificate_code
    with pytest.raises(AlreadyFinished):
        attempts.submit(session, key=key, now=NOW + timedelta(seconds=43))
    with pytest.raises(AlreadyFinished):
        attempts.answer(session, key=key, position=2, question_id=drawn[2], choice=1, now=NOW)
    assert attempt.score == 1
    with pytest.raises(NotFound):
        attempts.current(session, key="not-a-key", now=NOW)


def test_when_time_runs_out_the_job_submits_at_the_deadline_and_late_answers_are_refused(session: Session) -> None:
    small_bank(session)
    contest = class_contest(session, teacher(session), now=NOW, questions=3, duration_s=60)
    one, key_one = attempts.start_attempt(session, participant=_register(session, contest)[0],
                                          round_=rounds_of(session, contest_id=contest.id)[0], guess=2, now=NOW)
    two, key_two = attempts.start_attempt(session, participant=_register(session, contest, phone="0987000111")[0],
                                          round_=rounds_of(session, contest_id=contest.id)[0], guess=2, now=NOW)
    attempts.answer(session, key=key_one, position=0, question_id=one.question_ids[0], choice=1, now=NOW)
    late = NOW + timedelta(seconds=75)
    session.refresh(one)
    with pytest.raises(TimeIsUp):
        attempts.answer(session, key=key_one, position=1, question_id=one.question_ids[1], choice=1, now=late)
    assert one.state == AttemptState.TIMED_OUT and one.finished_at == one.deadline and one.answers == [1]
    assert one.score == 1 and one.duration_ms == 60_000
    # Nobody touched the second: the server's job hands it in, at its deadline, not when it ran.
    assert attempts.expire_due(session, now=NOW + timedelta(minutes=30)) == 1
    assert two.state == AttemptState.TIMED_OUT and two.finished_at == NOW + timedelta(seconds=60)
    assert attempts.expire_due(session, now=NOW + timedelta(minutes=31)) == 0
    with pytest.raises(AlreadyFinished):
        attempts.submit(session, key=key_two, now=late)
    in_progress = select(func.count()).select_from(Attempt).where(Attempt.state == AttemptState.IN_PROGRESS.value)
    assert session.scalar(in_progress) == 0


def test_the_deadline_is_never_after_the_round_closes(session: Session) -> None:
    small_bank(session)
    contest = class_contest(session, teacher(session), now=NOW, questions=3, duration_s=3 * 3600)
    round_ = rounds_of(session, contest_id=contest.id)[0]
    attempt, _key = attempts.start_attempt(session, participant=_register(session, contest)[0], round_=round_,
                                           guess=0, now=NOW)
    assert attempt.deadline == round_.closes_at
    with pytest.raises(Forbidden, match="is closed"):
        attempts.start_attempt(session, participant=_register(session, contest, phone="0988111222")[0],
                               round_=round_, guess=0, now=round_.closes_at)
