"""Ranking as Vietnamese law contests rank: the score, then the guess of the number of participants
closest to the real count, then the shortest time, then the earliest start.

The real count of a round is the number of attempts finished in it. Over a whole contest the
scores and times add up, the guesses' distances too, and the earliest start of any round breaks
the last tie. Schools and units, then districts, rank by participation rate (participants over the
head count the organiser gave; units without one come after) and then by mean score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.domains.education.contests.models import Attempt, AttemptState, ContestRound, ContestUnit, Participant


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    participant_id: int
    full_name: str
    unit: str
    district: str
    class_name: str | None
    score: int
    guess_distance: int
    duration_ms: int
    started_at: datetime
    rounds: int


@dataclass(frozen=True, slots=True)
class UnitResult:
    rank: int
    district: str
    name: str
    participants: int
    enrolment: int | None
    mean_score: float | None

    @property
    def rate(self) -> float | None:
        return self.participants / self.enrolment if self.enrolment else None


_Row = tuple[Attempt, Participant, ContestUnit]


def _finished(session: Session, contest_id: int, round_id: int | None) -> list[_Row]:
    query = (select(Attempt, Participant, ContestUnit)
             .join(Participant, Participant.id == Attempt.participant_id)
             .join(ContestUnit, ContestUnit.id == Participant.unit_id)
             .join(ContestRound, ContestRound.id == Attempt.round_id)
             .where(ContestRound.contest_id == contest_id, Attempt.state != AttemptState.IN_PROGRESS.value))
    if round_id is not None:
        query = query.where(Attempt.round_id == round_id)
    return [(a, p, u) for a, p, u in session.execute(query)]


@dataclass(slots=True)
class _Total:
    participant: Participant
    unit: ContestUnit
    started_at: datetime
    score: int = 0
    guess_distance: int = 0
    duration_ms: int = 0
    rounds: int = 0

    def order(self) -> tuple[int, int, int, datetime, int]:
        return (-self.score, self.guess_distance, self.duration_ms, self.started_at, self.participant.id)


def leaderboard(session: Session, *, contest_id: int, round_id: int | None = None) -> list[Standing]:
    """Every participant with a finished attempt, best first (one round, or the whole contest)."""
    rows = _finished(session, contest_id, round_id)
    counts: dict[int, int] = defaultdict(int)
    for attempt, _p, _u in rows:
        counts[attempt.round_id] += 1
    totals: dict[int, _Total] = {}
    for attempt, participant, unit in rows:
        total = totals.setdefault(participant.id, _Total(participant, unit, attempt.started_at))
        total.score += attempt.score or 0
        total.guess_distance += abs(attempt.guess - counts[attempt.round_id])
        total.duration_ms += attempt.duration_ms or 0
        total.started_at = min(total.started_at, attempt.started_at)
        total.rounds += 1
    return [Standing(rank, t.participant.id, t.participant.full_name, t.unit.name, t.unit.district,
                     t.participant.class_name, t.score, t.guess_distance, t.duration_ms, t.started_at, t.rounds)
            for rank, t in enumerate(sorted(totals.values(), key=_Total.order), start=1)]


def _ranked(results: list[tuple[str, str, int, int | None, float | None]]) -> list[UnitResult]:
    def key(r: tuple[str, str, int, int | None, float | None]) -> tuple[bool, float, float, str, str]:
        district, name, participants, enrolment, mean = r
        rate = participants / enrolment if enrolment else 0.0
        return (not enrolment, -rate, -(mean or 0.0), district, name)

    return [UnitResult(rank, d, n, p, e, m) for rank, (d, n, p, e, m) in enumerate(sorted(results, key=key), start=1)]


def unit_results(session: Session, *, contest_id: int) -> list[UnitResult]:
    """Schools and units by participation rate, then mean score (over every finished attempt)."""
    units = list(session.scalars(select(ContestUnit).where(ContestUnit.contest_id == contest_id)))
    people: dict[int, set[int]] = defaultdict(set)
    scores: dict[int, list[int]] = defaultdict(list)
    for attempt, participant, unit in _finished(session, contest_id, None):
        people[unit.id].add(participant.id)
        scores[unit.id].append(attempt.score or 0)
    return _ranked([(u.district, u.name, len(people[u.id]), u.enrolment,
                     sum(scores[u.id]) / len(scores[u.id]) if scores[u.id] else None) for u in units])


def district_results(session: Session, *, contest_id: int) -> list[UnitResult]:
    """The districts' roll-up: their units' participants and head counts added up."""
    by_district: dict[str, list[UnitResult]] = defaultdict(list)
    for result in unit_results(session, contest_id=contest_id):
        by_district[result.district].append(result)
    rows: list[tuple[str, str, int, int | None, float | None]] = []
    for district, results in by_district.items():
        known = [r.enrolment for r in results if r.enrolment]
        weighted = [(r.mean_score, r.participants) for r in results if r.mean_score is not None]
        people = sum(r.participants for r in results)
        mean = sum(m * n for m, n in weighted) / sum(n for _m, n in weighted) if weighted and people else None
        rows.append((district, district, people, sum(known) if len(known) == len(results) else None, mean))
    return _ranked(rows)
