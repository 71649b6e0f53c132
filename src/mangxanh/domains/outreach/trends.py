"""Topics of the day and of the week, read from the counts kept as items arrive (trend_counts.py).

A topic is a term counted in the period with what its own past makes of it: how many items carried
it against how many were expected, whether that is a burst (core/trends/bursts.py), on which
platforms, how much of it was flagged or false, and its reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.detectors.false_info import Correction, Corrections
from mangxanh.core.trends.bursts import BASELINE_DAYS, Burst, judge
from mangxanh.core.trends.terms import item_terms, may_carry
from mangxanh.domains.cases.models import Case
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.outreach.models import TrendCount, TrendDay, TrendTerm
from mangxanh.i18n import LOCAL_TZ

CANDIDATES = 300  # the most frequent terms of the period are the ones tested


@dataclass
class Topic:
    term: str
    label: str
    items: int
    flagged: int
    false_info: int
    reach: int
    burst: Burst
    platforms: dict[str, int] = field(default_factory=dict)

    @property
    def rise(self) -> float:
        """How many times what was expected."""
        return self.items / max(self.burst.expected, 0.01)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def ending(cls, day: date, days: int) -> Period:
        return cls(day - timedelta(days=days - 1), day)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def baseline(self) -> Period:
        """The days before the period its counts are compared with."""
        return Period(self.first - timedelta(days=BASELINE_DAYS), self.first - timedelta(days=1))


def _items_in(session: Session, period: Period) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(TrendDay.items), 0))
                              .where(TrendDay.day.between(period.first, period.last))) or 0)


def topics(session: Session, *, period: Period, limit: int = 50) -> tuple[int, list[Topic]]:
    """The period's item count and its topics, bursts first (the smallest chance first), then by count."""
    counted = (select(TrendCount.term, func.sum(TrendCount.items), func.sum(TrendCount.flagged),
                      func.sum(TrendCount.false_info), func.sum(TrendCount.reach))
               .where(TrendCount.day.between(period.first, period.last)).group_by(TrendCount.term)
               .order_by(func.sum(TrendCount.items).desc(), TrendCount.term).limit(CANDIDATES))
    rows = session.execute(counted).all()
    if not rows:
        return _items_in(session, period), []
    terms = [row[0] for row in rows]
    baseline = period.baseline
    # The baseline is read per day-length of the period: a week is compared with the 28 days before it.
    past = {term: int(n) for term, n in session.execute(
        select(TrendCount.term, func.sum(TrendCount.items)).where(
            TrendCount.term.in_(terms), TrendCount.day.between(baseline.first, baseline.last))
        .group_by(TrendCount.term))}
    platforms: dict[str, dict[str, int]] = {}
    for term, platform, n in session.execute(
            select(TrendCount.term, TrendCount.platform, func.sum(TrendCount.items)).where(
                TrendCount.term.in_(terms), TrendCount.day.between(period.first, period.last))
            .group_by(TrendCount.term, TrendCount.platform)):
        platforms.setdefault(term, {})[platform] = int(n)
    labels = {term: label for term, label in session.execute(
        select(TrendTerm.term, TrendTerm.label).where(TrendTerm.term.in_(terms)))}
    day_items, baseline_items = _items_in(session, period), _items_in(session, baseline)
    found = [Topic(term, labels.get(term, term), int(n), int(flagged), int(false), int(reach),
                   judge(count=int(n), day_items=day_items, baseline_count=past.get(term, 0),
                         baseline_items=baseline_items, tested=len(rows)),
                   dict(sorted(platforms.get(term, {}).items(), key=lambda pair: -pair[1])))
             for term, n, flagged, false, reach in rows]
    found.sort(key=lambda t: (not t.burst.is_burst, t.burst.p_value if t.burst.is_burst else 0.0, -t.items, t.term))
    # A term carried by a single item is not a topic: listed only while there are too few others.
    shared = [t for t in found if t.items > 1]
    return day_items, (shared if len(shared) >= limit else shared + [t for t in found if t.items == 1])[:limit]


@dataclass(frozen=True)
class TimelineDay:
    day: date
    items: int
    flagged: int
    false_info: int
    burst: bool


def timeline(session: Session, *, term: str, last: date, days: int = 30) -> list[TimelineDay]:
    """The term's count on each of the ``days`` days up to ``last``, each judged against its own past."""
    first = last - timedelta(days=days - 1 + BASELINE_DAYS)
    counts = {day: (int(n), int(f), int(x)) for day, n, f, x in session.execute(
        select(TrendCount.day, func.sum(TrendCount.items), func.sum(TrendCount.flagged),
               func.sum(TrendCount.false_info)).where(TrendCount.term == term, TrendCount.day.between(first, last))
        .group_by(TrendCount.day))}
    totals = {day: int(n) for day, n in session.execute(
        select(TrendDay.day, func.sum(TrendDay.items)).where(TrendDay.day.between(first, last)).group_by(TrendDay.day))}
    out = []
    for offset in range(days):
        day = last - timedelta(days=days - 1 - offset)
        before = [day - timedelta(days=k) for k in range(1, BASELINE_DAYS + 1)]
        n, flagged, false = counts.get(day, (0, 0, 0))
        past = sum(counts[d][0] for d in before if d in counts)
        verdict = judge(count=n, day_items=totals.get(day, 0), baseline_count=past,
                        baseline_items=sum(totals.get(d, 0) for d in before), tested=CANDIDATES)
        out.append(TimelineDay(day, n, flagged, false, verdict.is_burst))
    return out


def label_of(session: Session, term: str) -> str | None:
    return session.scalar(select(TrendTerm.label).where(TrendTerm.term == term))


def latest_day(session: Session) -> date | None:
    return session.scalar(select(func.max(TrendDay.day)))


TOPIC_WINDOW_DAYS = 7
_READ_FOR_TOPIC = 5_000  # the period's items with the most reach that are read to find a topic's


def topic_items(session: Session, *, term: str, last: date, limit: int = 20) -> list[tuple[StoredItem, int | None]]:
    """The items of the last week carrying the term, most reach first, each with its case (if any).

    The counts keep no item ids (a million items would mean tens of millions of rows): the week's
    items with the most reach are read and their terms taken again, which finds a topic's loudest
    items, those the department answers first. Items without a publication time are counted on the
    day they arrived but not listed here.
    """
    first = datetime.combine(last - timedelta(days=TOPIC_WINDOW_DAYS - 1), time(), LOCAL_TZ)
    end = datetime.combine(last + timedelta(days=1), time(), LOCAL_TZ)
    reach = StoredItem.reactions + StoredItem.shares + StoredItem.comments
    rows = session.execute(select(StoredItem.id, StoredItem.text)
                           .where(StoredItem.published_at >= first, StoredItem.published_at < end)
                           .order_by(reach.desc(), StoredItem.id.desc()).limit(_READ_FOR_TOPIC))
    ids: list[int] = []
    for item_id, text in rows:  # loudest first: a common term is found in the first few dozen
        if may_carry(text, term) and term in item_terms(text):
            ids.append(item_id)
            if len(ids) == limit:
                break
    loaded = {item.id: item for item in session.scalars(select(StoredItem).where(StoredItem.id.in_(ids)))}
    found = [loaded[item_id] for item_id in ids]
    cases = {item_id: case_id for item_id, case_id in session.execute(
        select(Case.item_id, Case.id).where(Case.item_id.in_([i.id for i in found])).order_by(Case.id))}
    return [(item, cases.get(item.id)) for item in found]


def corrections_on(corrections: Corrections, term: str) -> list[Correction]:
    """The corrections in force whose claim or title speaks of the term."""
    return [entry for entry in corrections.entries
            if term in item_terms(entry.claim) or term in item_terms(entry.title) or term in item_terms(entry.truth)]


def false_info_cases(session: Session, item_ids: list[int]) -> set[int]:
    """Of the items, those whose case is about false information."""
    return set(session.scalars(select(StoredFinding.item_id).where(
        StoredFinding.item_id.in_(item_ids), StoredFinding.category == "FALSE_INFO",
        StoredFinding.case_id.is_not(None))))
