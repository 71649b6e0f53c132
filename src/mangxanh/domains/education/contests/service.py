"""Contests and their rounds: created by a teacher (for their classes) or an organiser, read by their owners.

A teacher's contest is one school's, with its classes; an education officer's may list any
schools and units of the districts. Rounds follow one another without overlapping, and every
round draws new questions for each participant, so the bank must hold enough questions of the
contest's topics for all its rounds together.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.domains.accounts.models import User
from mangxanh.domains.accounts.permissions import Action, PermissionRefused, allowed, require
from mangxanh.domains.education.contests.models import Contest, ContestKind, ContestRound, ContestUnit, Question, Topic
from mangxanh.domains.education.library import folded
from mangxanh.errors import InvalidInput, NotFound

MAX_TITLE, MAX_DESCRIPTION, MAX_UNIT_NAME, MAX_CLASS = 200, 2000, 200, 60
MAX_ROUNDS, MAX_UNITS, MAX_CLASSES = 10, 2000, 60
MIN_DURATION_S, MAX_DURATION_S = 10, 3 * 3600
MAX_QUESTIONS_PER_ROUND = 100


@dataclass(frozen=True, slots=True)
class RoundPlan:
    opens_at: datetime
    closes_at: datetime
    duration_s: int
    question_count: int


@dataclass(frozen=True, slots=True)
class UnitPlan:
    district: str
    name: str
    enrolment: int | None = None


@dataclass(frozen=True, slots=True)
class ContestPlan:
    title: str
    kind: ContestKind
    rounds: tuple[RoundPlan, ...]
    units: tuple[UnitPlan, ...]
    description: str = ""
    topics: tuple[str, ...] = ()
    classes: tuple[str, ...] = field(default_factory=tuple)


def available_questions(session: Session, *, topics: tuple[str, ...] | list[str]) -> int:
    query = select(func.count()).select_from(Question).where(Question.active.is_(True))
    if topics:
        query = query.where(Question.topic.in_(list(topics)))
    return session.scalar(query) or 0


def _slug(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", folded(title)).strip("-")[:60].strip("-") or "cuoc-thi"
    return f"{base}-{secrets.token_hex(3)}"


def _check_rounds(rounds: tuple[RoundPlan, ...]) -> None:
    if not 1 <= len(rounds) <= MAX_ROUNDS:
        raise InvalidInput("A contest has 1 to {n} rounds.", n=MAX_ROUNDS)
    for number, plan in enumerate(rounds, start=1):
        if plan.opens_at.tzinfo is None or plan.closes_at.tzinfo is None:
            raise InvalidInput("Round {number}: times must carry their time zone.", number=number)
        if plan.closes_at <= plan.opens_at:
            raise InvalidInput("Round {number} must close after it opens.", number=number)
        if not MIN_DURATION_S <= plan.duration_s <= MAX_DURATION_S:
            raise InvalidInput("Round {number}: the time allowed must be between {low} seconds and {high} hours.",
                               number=number, low=MIN_DURATION_S, high=MAX_DURATION_S // 3600)
        if not 1 <= plan.question_count <= MAX_QUESTIONS_PER_ROUND:
            raise InvalidInput("Round {number}: 1 to {n} questions.", number=number, n=MAX_QUESTIONS_PER_ROUND)
        if number > 1 and plan.opens_at < rounds[number - 2].closes_at:
            raise InvalidInput("Round {number} opens before round {previous} closes.", number=number,
                               previous=number - 1)


def _check_units(plan: ContestPlan) -> tuple[tuple[UnitPlan, ...], tuple[str, ...]]:
    units = tuple(UnitPlan(u.district.strip(), u.name.strip(), u.enrolment) for u in plan.units)
    if not 1 <= len(units) <= MAX_UNITS:
        raise InvalidInput("List 1 to {n} schools or units.", n=MAX_UNITS)
    for unit in units:
        if not unit.name or len(unit.name) > MAX_UNIT_NAME or not unit.district or len(unit.district) > 100:
            raise InvalidInput("Each school or unit needs a name (at most {n} characters) and its district.",
                               n=MAX_UNIT_NAME)
        if unit.enrolment is not None and not 1 <= unit.enrolment <= 1_000_000:
            raise InvalidInput("The number of pupils of {name} must be a positive whole number.", name=unit.name)
    if len({(folded(u.district), folded(u.name)) for u in units}) != len(units):
        raise InvalidInput("A school or unit is listed twice.")
    classes = tuple(dict.fromkeys(c.strip() for c in plan.classes if c.strip()))
    if plan.kind == ContestKind.CLASS:
        if len(units) != 1:
            raise InvalidInput("A class contest is one school's.")
        if not 1 <= len(classes) <= MAX_CLASSES or any(len(c) > MAX_CLASS for c in classes):
            raise InvalidInput("List the classes taking part: 1 to {n}, each at most {m} characters.",
                               n=MAX_CLASSES, m=MAX_CLASS)
    elif classes:
        raise InvalidInput("Only a class contest lists classes.")
    return units, classes


def create_contest(session: Session, *, user: User, plan: ContestPlan) -> Contest:
    """A new contest with its units and rounds; a teacher may only create class contests."""
    require(user, Action.RUN_CONTESTS)
    if plan.kind == ContestKind.PUBLIC and not allowed(user, Action.MANAGE_QUESTIONS):
        raise PermissionRefused("Teachers create contests for their own classes.", user=user,
                                tried=Action.RUN_CONTESTS)
    title, description = plan.title.strip(), plan.description.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput("The title must have 1 to {n} characters.", n=MAX_TITLE)
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput("The description may have at most {n} characters.", n=MAX_DESCRIPTION)
    unknown = [t for t in plan.topics if t not in set(Topic)]
    if unknown:
        raise InvalidInput("Unknown topic “{topic}”.", topic=unknown[0][:60])
    _check_rounds(plan.rounds)
    units, classes = _check_units(plan)
    topics = tuple(dict.fromkeys(plan.topics))
    needed, have = sum(r.question_count for r in plan.rounds), available_questions(session, topics=topics)
    if needed > have:
        raise InvalidInput("The rounds draw {needed} different questions but the bank has {have} on these topics.",
                           needed=needed, have=have)
    contest = Contest(slug=_slug(title), title=title, description=description, kind=plan.kind.value,
                      owner_id=user.id, topics=list(topics), classes=list(classes))
    session.add(contest)
    session.flush()
    session.add_all(ContestUnit(contest_id=contest.id, district=u.district, name=u.name, enrolment=u.enrolment)
                    for u in units)
    session.add_all(ContestRound(contest_id=contest.id, number=n, opens_at=r.opens_at, closes_at=r.closes_at,
                                 duration_s=r.duration_s, question_count=r.question_count)
                    for n, r in enumerate(plan.rounds, start=1))
    session.flush()
    return contest


def access_contest(session: Session, *, user: User, contest_id: int) -> Contest:
    """The contest, for its owner or an organiser; anyone else is told it is not theirs."""
    require(user, Action.RUN_CONTESTS)
    contest = session.get(Contest, contest_id)
    if contest is None:
        raise NotFound("No such contest.")
    if contest.owner_id != user.id and not allowed(user, Action.VIEW_CONTEST_ROLLUP):
        raise PermissionRefused("This contest is another teacher's.", user=user, tried=Action.RUN_CONTESTS)
    return contest


def contests_of(session: Session, *, user: User) -> list[Contest]:
    """The contests a member of staff runs (an organiser: all of them), newest first."""
    require(user, Action.RUN_CONTESTS)
    query = select(Contest).order_by(Contest.created_at.desc(), Contest.id.desc())
    if not allowed(user, Action.VIEW_CONTEST_ROLLUP):
        query = query.where(Contest.owner_id == user.id)
    return list(session.scalars(query))


def public_contest(session: Session, *, slug: str) -> Contest:
    contest = session.scalars(select(Contest).where(Contest.slug == slug[:80])).first()
    if contest is None:
        raise NotFound("No such contest.")
    return contest


def rounds_of(session: Session, *, contest_id: int) -> list[ContestRound]:
    return list(session.scalars(select(ContestRound).where(ContestRound.contest_id == contest_id)
                                .order_by(ContestRound.number)))


def units_of(session: Session, *, contest_id: int) -> list[ContestUnit]:
    return list(session.scalars(select(ContestUnit).where(ContestUnit.contest_id == contest_id)
                                .order_by(ContestUnit.district, ContestUnit.name)))


def open_contests(session: Session, *, now: datetime) -> list[Contest]:
    """Public contests with a round still to come or running, for the contests page."""
    running = select(ContestRound.contest_id).where(ContestRound.closes_at > now)
    return list(session.scalars(select(Contest).where(Contest.kind == ContestKind.PUBLIC.value,
                                                      Contest.id.in_(running)).order_by(Contest.created_at.desc())))
