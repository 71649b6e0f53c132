"""Counting terms as items arrive, so that the trends page reads a day's few thousand rows, not its items.

Kept correct by being written with the items: the counts of a delivery are added in the delivery's
own transaction (a rolled-back delivery adds nothing), and only items stored for the first time
are counted (ingestion is idempotent: a delivery sent twice stores, and counts, its items once).
An edited item is counted under the terms of its first text; a deleted one stays counted (items
are not deleted). The upsert adds to a row whatever another transaction wrote to it meanwhile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.trends.terms import item_terms
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.outreach.models import TrendCount, TrendDay, TrendTerm
from mangxanh.i18n import LOCAL_TZ


@dataclass(frozen=True, slots=True)
class ArrivedItem:
    """What the trends need of a newly stored item."""

    text: str
    platform: str
    published_at: datetime | None
    reach: int
    flagged: bool  # a finding over the case threshold, other than false information
    false_info: bool

    @classmethod
    def judged(cls, *, text: str, platform: str, published_at: datetime | None, reach: int,
               strong: set[str]) -> ArrivedItem:
        """The item with the categories of its findings over the case threshold."""
        return cls(text, platform, published_at, reach, flagged=bool(strong - {"FALSE_INFO"}),
                   false_info="FALSE_INFO" in strong)


def local_day(moment: datetime | None, *, now: datetime) -> date:
    return (moment or now).astimezone(LOCAL_TZ).date()


def count_arrivals(session: Session, items: Sequence[ArrivedItem], *, now: datetime) -> None:
    """Add a delivery's new items to the daily counts, in the caller's transaction."""
    if not items:
        return
    counts: dict[tuple[date, str, str], list[int]] = {}
    days: Counter[tuple[date, str]] = Counter()
    labels: dict[str, tuple[str, date]] = {}
    for item in items:
        day, platform = local_day(item.published_at, now=now), item.platform[:32]
        days[day, platform] += 1
        for term, label in item_terms(item.text).items():
            if term not in labels or (labels[term][0] == term and label != term):
                labels[term] = (label, min(day, labels[term][1]) if term in labels else day)
            row = counts.setdefault((day, term, platform), [0, 0, 0, 0])
            row[0] += 1
            row[1] += item.flagged
            row[2] += item.false_info
            row[3] += item.reach
    # In key order, so that two deliveries upserting the same rows on PostgreSQL wait rather than deadlock.
    connection = session.connection()
    marks = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for sql, rows in (
        (_COUNTS, [(d, t, p, n, f, x, r) for (d, t, p), (n, f, x, r) in sorted(counts.items())]),
        (_DAYS, [(d, p, n) for (d, p), n in sorted(days.items())]),
        (_TERMS, [(t, label, d) for t, (label, d) in sorted(labels.items())]),
    ):
        # An empty list would run the statement once with no parameters: items with no term have none.
        if rows:
            connection.exec_driver_sql(sql.replace("?", marks), rows)

# Written for the driver, many rows in one call: SQLAlchemy's per-row parameter handling cost more than
# the database's work. The same text on SQLite and PostgreSQL, but for the parameter marks.
_COUNTS = ("INSERT INTO trend_counts (day, term, platform, items, flagged, false_info, reach) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, term, platform) DO UPDATE SET "
           "items = trend_counts.items + excluded.items, flagged = trend_counts.flagged + excluded.flagged, "
           "false_info = trend_counts.false_info + excluded.false_info, reach = trend_counts.reach + excluded.reach")
_DAYS = ("INSERT INTO trend_days (day, platform, items) VALUES (?, ?, ?) ON CONFLICT (day, platform) "
         "DO UPDATE SET items = trend_days.items + excluded.items")
# A label first seen without accents ("xay ga") takes the first spelling that has them ("xây ga").
_TERMS = ("INSERT INTO trend_terms (term, label, first_day) VALUES (?, ?, ?) ON CONFLICT (term) DO UPDATE SET "
          "label = excluded.label WHERE trend_terms.label = trend_terms.term AND excluded.label <> excluded.term")


def rebuild_counts(factory: sessionmaker[Session], *, threshold: float, batch: int = 5_000) -> int:
    """Count every stored item again from nothing (items stored before the trends existed); returns how many.

    Run while nothing is being taken in: items arriving meanwhile would be counted twice.
    """
    with unit_of_work(factory) as session:
        for table in (TrendCount, TrendDay, TrendTerm):
            session.execute(delete(table))
    now, last_id, counted = utcnow(), 0, 0
    while True:
        with unit_of_work(factory) as session:
            rows = session.execute(select(StoredItem.id, StoredItem.text, StoredItem.platform,
                                          StoredItem.published_at, StoredItem.fetched_at,
                                          StoredItem.reactions + StoredItem.shares + StoredItem.comments)
                                   .where(StoredItem.id > last_id).order_by(StoredItem.id).limit(batch)).all()
            if not rows:
                return counted
            strong: dict[int, set[str]] = {}
            for item_id, category in session.execute(
                    select(StoredFinding.item_id, StoredFinding.category).where(
                        StoredFinding.item_id.between(rows[0][0], rows[-1][0]), StoredFinding.score >= threshold)):
                strong.setdefault(item_id, set()).add(category)
            count_arrivals(session, [
                ArrivedItem.judged(text=text, platform=platform, published_at=published or fetched, reach=reach,
                                   strong=strong.get(item_id, set()))
                for item_id, text, platform, published, fetched, reach in rows], now=now)
            counted += len(rows)
            last_id = rows[-1][0]
