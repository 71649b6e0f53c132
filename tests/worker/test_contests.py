"""The contests' server job: attempts whose time ran out are handed in at their deadlines."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import AUDIT_TEST_KEY
from tests.contest_support import class_contest, small_bank, teacher

from mangxanh.db import make_engine, make_session_factory, utcnow
from mangxanh.domains.education.contests import attempts, registration
from mangxanh.domains.education.contests.models import Attempt, AttemptState
from mangxanh.domains.education.contests.service import rounds_of, units_of
from mangxanh.worker.contests import AttemptCloser, close_due_attempts

KEYS = registration.ParticipantKeys("bí mật")


def _started(session_factory: sessionmaker[Session], *, duration_s: int) -> int:
    now = utcnow()
    with session_factory() as s:
        small_bank(s)
        contest = class_contest(s, teacher(s), now=now, questions=3, duration_s=duration_s)
        participant, _token, _code = registration.register(
            s, contest=contest, keys=KEYS, now=now, needs_sms=False,
            form=registration.Registration("Lê Minh", "01/01/2012", str(units_of(s, contest_id=contest.id)[0].id),
                                           "0912000111", "8A1"))
        attempt, _key = attempts.start_attempt(s, participant=participant,
                                               round_=rounds_of(s, contest_id=contest.id)[0], guess=1, now=now)
        s.commit()
        return attempt.id


def test_the_job_hands_in_at_the_deadline_what_nobody_handed_in(session_factory: sessionmaker[Session]) -> None:
    attempt_id = _started(session_factory, duration_s=60)
    assert close_due_attempts(session_factory) == 0
    later = utcnow() + timedelta(minutes=5)
    assert close_due_attempts(session_factory, now=later) == 1
    with session_factory() as s:
        attempt = s.get(Attempt, attempt_id)
        assert attempt.state == AttemptState.TIMED_OUT and attempt.finished_at == attempt.deadline
        assert attempt.score == 0 and attempt.duration_ms == 60_000
    assert close_due_attempts(session_factory, now=later) == 0


def test_the_embedded_thread_closes_an_attempt_within_seconds_of_its_deadline(live_database_url: str) -> None:
    # A database whose commits are real: the job's thread has connections of its own.
    engine = make_engine(live_database_url)
    session_factory = make_session_factory(engine, audit_key=AUDIT_TEST_KEY)
    attempt_id = _started(session_factory, duration_s=10)
    with session_factory() as s:
        s.get(Attempt, attempt_id).deadline = utcnow() + timedelta(seconds=1)
        s.commit()
    closer = AttemptCloser(session_factory, every_s=0.2)
    closer.start()
    try:
        for _ in range(50):
            with session_factory() as s:
                state = s.scalar(select(Attempt.state).where(Attempt.id == attempt_id))
            if state != AttemptState.IN_PROGRESS:
                break
            time.sleep(0.1)
    finally:
        closer.stop()
        engine.dispose()
    assert state == AttemptState.TIMED_OUT
