"""Taking a round: the questions drawn and held on the server, one at a time, on the server's clock.

The browser holds a key to its attempt and sees only the question it is at: the correct answers
and the questions further on never leave the server before the attempt is finished. Each answer
names the position and the question it answers, so that a retried request (a lost connection)
is recognised and answered again without counting twice, and a question not drawn for this
attempt is refused. Time runs from the start on the server's clock; when it is up nothing more is
accepted and the attempt is finished at its deadline, never later, by whoever comes first: the
participant, the server's job (expire_due) or the next request.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mangxanh.domains.education.contests.models import (
    Attempt,
    AttemptState,
    Contest,
    ContestRound,
    Participant,
    Question,
)
from mangxanh.domains.education.contests.registration import digest
from mangxanh.errors import Conflict, Forbidden, InvalidInput, NotFound

SKIPPED = -1
MAX_GUESS = 10_000_000
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class TimeIsUp(Conflict):
    """Raised after the attempt was finished at its deadline: the caller commits that, then answers."""


class AlreadyFinished(Conflict):
    pass


@dataclass(frozen=True, slots=True)
class QuestionShown:
    """What the browser may see of a question: never its answer or explanation."""

    id: int
    text: str
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttemptView:
    attempt_id: int
    position: int
    total: int
    state: str
    deadline: datetime
    question: QuestionShown | None
    score: int | None = None

    @property
    def finished(self) -> bool:
        return self.state != AttemptState.IN_PROGRESS.value


def _certificate_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))


def start_attempt(session: Session, *, participant: Participant, round_: ContestRound, guess: int, now: datetime
                  ) -> tuple[Attempt, str]:
    """Draw the round's questions for the participant (none they had in an earlier round); the key to send them."""
    if participant.verified_at is None:
        raise Forbidden("Confirm your phone number with the code sent to it before starting.")
    if now < round_.opens_at:
        raise Forbidden("Round {number} has not opened yet.", number=round_.number)
    if now >= round_.closes_at:
        raise Forbidden("Round {number} is closed.", number=round_.number)
    if not 0 <= guess <= MAX_GUESS:
        raise InvalidInput("Guess the number of participants as a whole number from 0 to {n}.", n=MAX_GUESS)
    taken = session.scalar(select(Attempt.id).where(Attempt.participant_id == participant.id,
                                                    Attempt.round_id == round_.id))
    if taken is not None:
        raise Conflict("You have already taken round {number}.", number=round_.number)
    earlier = [ids for ids in session.scalars(select(Attempt.question_ids)
                                              .where(Attempt.participant_id == participant.id))]
    seen = {i for ids in earlier for i in ids}
    contest = session.get(Contest, participant.contest_id)
    assert contest is not None
    pool_query = select(Question.id).where(Question.active.is_(True))
    if contest.topics:
        pool_query = pool_query.where(Question.topic.in_(contest.topics))
    pool = [i for i in session.scalars(pool_query) if i not in seen]
    if len(pool) < round_.question_count:
        raise Conflict("The question bank has too few new questions for this round; tell the organiser.")
    drawn = secrets.SystemRandom().sample(pool, round_.question_count)
    key = secrets.token_urlsafe(24)
    attempt = Attempt(participant_id=participant.id, round_id=round_.id, key_digest=digest(key), question_ids=drawn,
                      answers=[], answered=0, guess=guess, started_at=now,
                      deadline=min(now + timedelta(seconds=round_.duration_s), round_.closes_at))
    session.add(attempt)
    session.flush()
    return attempt, key


def _locked(session: Session, key: str) -> Attempt:
    query = select(Attempt).where(Attempt.key_digest == digest(key[:64])).with_for_update()
    # Refreshed if already loaded: an answer may have been recorded by a plain update since.
    attempt = session.scalars(query.execution_options(populate_existing=True)).first()
    if attempt is None:
        raise NotFound("No such attempt: open the contest page again.")
    return attempt


def _shown(session: Session, question_id: int) -> QuestionShown:
    row = session.execute(select(Question.text, Question.choices).where(Question.id == question_id)).one()
    return QuestionShown(question_id, row.text, tuple(row.choices))


def _view(session: Session, attempt: Attempt) -> AttemptView:
    position = len(attempt.answers)
    question = None
    if attempt.state == AttemptState.IN_PROGRESS.value and position < len(attempt.question_ids):
        question = _shown(session, attempt.question_ids[position])
    return AttemptView(attempt.id, position, len(attempt.question_ids), attempt.state, attempt.deadline, question,
                       attempt.score)


def finish(session: Session, attempt: Attempt, *, now: datetime) -> None:
    """Score the attempt and close it: at ``now``, or at its deadline when that has passed."""
    late = now >= attempt.deadline
    finished_at = attempt.deadline if late else now
    answers = {qid: right for qid, right in session.execute(
        select(Question.id, Question.answer).where(Question.id.in_(attempt.question_ids)))}
    score = sum(1 for qid, choice in zip(attempt.question_ids, attempt.answers, strict=False)
                if choice != SKIPPED and answers.get(qid) == choice)
    attempt.state = (AttemptState.TIMED_OUT if late else AttemptState.SUBMITTED).value
    attempt.finished_at, attempt.score = finished_at, score
    attempt.duration_ms = int((finished_at - attempt.started_at).total_seconds() * 1000)
    attempt.certificate_code = _certificate_code()
    session.flush()


def current(session: Session, *, key: str, now: datetime) -> AttemptView:
    """Where the attempt stands: the current question only (finishing it first if its time is up)."""
    attempt = _locked(session, key)
    if attempt.state == AttemptState.IN_PROGRESS.value and now >= attempt.deadline:
        finish(session, attempt, now=now)
    return _view(session, attempt)


def _checked(question_ids: list[int], answers: list[int], *, position: int, question_id: int, choice: int) -> bool:
    """Whether the answer is new (True) or a retry of the one recorded (False); anything else is refused."""
    if not 0 <= position < len(question_ids) or question_ids[position] != question_id:
        raise InvalidInput("This question was not drawn for you.")
    if not SKIPPED <= choice <= 3:
        raise InvalidInput("Choose one of the answers A, B, C or D.")
    answered = len(answers)
    if position < answered:
        if answers[position] == choice:
            return False
        raise Conflict("Question {number} was already answered; answers cannot be changed.", number=position + 1)
    if position > answered:
        raise InvalidInput("Answer question {number} first.", number=answered + 1)
    return True


_STANDING = select(Attempt.id, Attempt.question_ids, Attempt.answers, Attempt.state, Attempt.deadline)


@dataclass(frozen=True, slots=True)
class PlannedAnswer:
    """An answer checked on a read: the guarded update that records it, and what to show once it is."""

    attempt_id: int
    answered: int
    answers: list[int]
    view: AttemptView


def plan_answer(session: Session, *, key: str, position: int, question_id: int, choice: int, now: datetime
                ) -> AttemptView | PlannedAnswer | None:
    """Check an answer with reads only: a view (a retry, nothing to write), the update to make, or
    None when it must be decided under the row's lock (the last answer, time up): see answer().

    Reads need no write lock, so the transaction that records the answer (record_answer) holds the
    database's for one statement only: on SQLite every writer waits for it.
    """
    row = session.execute(_STANDING.where(Attempt.key_digest == digest(key[:64]))).first()
    if row is None:
        raise NotFound("No such attempt: open the contest page again.")
    if row.state != AttemptState.IN_PROGRESS.value:
        raise AlreadyFinished("This attempt has been submitted; nothing more can be changed.")
    ids, answers = list(row.question_ids), list(row.answers)
    if now >= row.deadline or len(answers) + 1 >= len(ids):
        return None
    if not _checked(ids, answers, position=position, question_id=question_id, choice=choice):
        return AttemptView(row.id, len(answers), len(ids), row.state, row.deadline, _shown(session, ids[len(answers)]))
    recorded = [*answers, choice]
    return PlannedAnswer(row.id, len(answers), recorded, AttemptView(
        row.id, len(recorded), len(ids), row.state, row.deadline, _shown(session, ids[len(recorded)])))


def record_answer(session: Session, *, planned: PlannedAnswer) -> bool:
    """Make the planned update, unless the attempt moved since it was read (then False: see answer())."""
    moved = session.execute(update(Attempt).where(
        Attempt.id == planned.attempt_id, Attempt.answered == planned.answered,
        Attempt.state == AttemptState.IN_PROGRESS.value).values(answers=planned.answers, answered=len(planned.answers)))
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def answer(session: Session, *, key: str, position: int, question_id: int, choice: int, now: datetime) -> AttemptView:
    """Record the answer to the question at ``position`` and move on to the next one (the last one submits).

    The same answer sent again (a retry) is answered with where the attempt stands, unchanged.
    This runs for every answer of every participant, so the usual case is two reads and one
    update guarded by the number of answers recorded (no row lock, nothing loaded as objects): of
    two requests racing for the same position, the second finds the guard moved and is decided
    again under the row's lock, as the last answer and an attempt out of time always are.
    """
    planned = plan_answer(session, key=key, position=position, question_id=question_id, choice=choice, now=now)
    if isinstance(planned, AttemptView):
        return planned
    if planned is not None and record_answer(session, planned=planned):
        return planned.view
    return _answer_locked(session, key=key, position=position, question_id=question_id, choice=choice, now=now)


def _answer_locked(session: Session, *, key: str, position: int, question_id: int, choice: int, now: datetime
                   ) -> AttemptView:
    attempt = _locked(session, key)
    if attempt.state != AttemptState.IN_PROGRESS.value:
        raise AlreadyFinished("This attempt has been submitted; nothing more can be changed.")
    if now >= attempt.deadline:
        finish(session, attempt, now=now)
        raise TimeIsUp("Time is up: the answers given before the deadline were submitted.")
    if not _checked(attempt.question_ids, attempt.answers, position=position, question_id=question_id,
                    choice=choice):
        return _view(session, attempt)
    attempt.answers = [*attempt.answers, choice]
    attempt.answered = len(attempt.answers)
    if attempt.answered == len(attempt.question_ids):
        # The last answer hands the attempt in: there is nothing left to wait for.
        finish(session, attempt, now=now)
    session.flush()
    return _view(session, attempt)


def submit(session: Session, *, key: str, now: datetime) -> AttemptView:
    """Hand in the attempt; a second submission is refused and counts nothing."""
    attempt = _locked(session, key)
    if attempt.state != AttemptState.IN_PROGRESS.value:
        raise AlreadyFinished("This attempt has already been submitted.")
    finish(session, attempt, now=now)
    return _view(session, attempt)


def expire_due(session: Session, *, now: datetime, limit: int = 500) -> int:
    """The server's job: finish, at their deadlines, the attempts whose time ran out."""
    due = list(session.scalars(select(Attempt).where(Attempt.state == AttemptState.IN_PROGRESS.value,
                                                     Attempt.deadline <= now)
                               .order_by(Attempt.deadline).limit(limit).with_for_update(skip_locked=True)))
    for attempt in due:
        finish(session, attempt, now=now)
    return len(due)


def attempts_of(session: Session, *, participant_id: int) -> dict[int, Attempt]:
    """The participant's attempts by round id."""
    rows = session.scalars(select(Attempt).where(Attempt.participant_id == participant_id))
    return {a.round_id: a for a in rows}


def finished_count(session: Session, *, round_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.round_id == round_id, Attempt.state != AttemptState.IN_PROGRESS.value)) or 0


def by_key(session: Session, *, key: str) -> Attempt:
    attempt = session.scalars(select(Attempt).where(Attempt.key_digest == digest(key[:64]))).first()
    if attempt is None:
        raise NotFound("No such attempt: open the contest page again.")
    return attempt

