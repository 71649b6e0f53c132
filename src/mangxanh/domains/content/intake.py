"""The one way content comes in.

The push API, JSON Lines and CSV imports (inline or through the workers), feeds, web pages and
the demo all hand what a connector read to :func:`take_in`, which decides the same way for all:

- **What cannot be stored** is refused one by one with its reason: what the connector could not
  read, and every item :func:`~mangxanh.core.items.item_problem` refuses.
- **Duplicates in one delivery**: the *last* occurrence of a ``platform:external_id`` is stored,
  and each earlier one is refused naming the position of the one that replaced it. A file thus
  ends in the same state however it is cut into batches (a later line updates an earlier one).
- **Source ownership**: an item belongs to the source that first stored it. Another source can
  never change it: its copy is refused ("first stored by another source"), whatever its text, so
  a partner's token reaches only its own items and cannot even test what another source's item
  says.
  The same external id from two sources is therefore one item, the first source's.
- **Order**: items are stored in natural-key order, so that concurrent deliveries take their row
  locks in one order and wait for each other instead of deadlocking.
- **The run record**: every delivery is a run of its source, written in the same transaction as
  its items, so the source's history counts exactly what was committed.

The rule context of new and edited items is built by the storage step (service.store_items),
that of stored items by context.stored_contexts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mangxanh.core.analysis.types import msgid
from mangxanh.core.items import Numbered, RawItem, Refusal, item_problem
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.content.models import StoredItem
from mangxanh.domains.content.service import Analysed, Analysis, IngestReport, analyse, store_items
from mangxanh.domains.outreach.registries import apply_registries
from mangxanh.domains.sources.models import Source
from mangxanh.domains.sources.schedule import RunOutcome, record_run

# Reasons are English msgids, translated where they are shown (the API answers in the caller's language).
REPLACED_LATER = msgid("Sent again at position {later} of this delivery with the same platform and external_id; "
                       "only that later copy is stored.")
OTHER_SOURCE = msgid("This item was first stored by another source; only that source can change it.")


@dataclass
class IntakeReport(IngestReport):
    refused: list[Refusal] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.refused)

    def absorb(self, other: IntakeReport) -> None:
        """Add another delivery's figures (an import made of many batches)."""
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.cases_opened += other.cases_opened
        self.cases_raised += other.cases_raised
        self.findings += other.findings
        self.detector_failures.extend(other.detector_failures)
        self.refused.extend(other.refused)


def _latest(delivered: Iterable[Numbered], refused: list[Refusal]) -> list[Numbered]:
    """The entries to store: storable ones, the last occurrence of each key; the others join ``refused``."""
    last: dict[str, Numbered] = {}
    for entry in delivered:
        problem = item_problem(entry.item)
        if problem is not None:
            refused.append(Refusal(entry.position, problem, external_id=entry.item.external_id))
            continue
        earlier = last.get(entry.item.natural_key)
        if earlier is not None:
            refused.append(Refusal(earlier.position, REPLACED_LATER, {"later": entry.position},
                                   external_id=earlier.item.external_id))
        last[entry.item.natural_key] = entry
    return sorted(last.values(), key=lambda entry: entry.item.natural_key)


def analyse_ahead(factory: sessionmaker[Session], *, delivered: Sequence[Numbered], analysis: Analysis) -> Analysed:
    """The detectors' results for a delivery's new and edited items, computed before its write transaction.

    Analysis is most of a delivery's time and needs no database. Done here, it no longer holds
    SQLite's write lock, which every other writer (each console request that writes) waits for,
    nor PostgreSQL's row locks. Only the stored texts' hashes are read, in a read-only
    transaction; an item whose text is stored already is not analysed. If another delivery
    changes an item meanwhile, take_in analyses it again (it uses a result only for its text).
    """
    keys = {entry.item.natural_key for entry in delivered}
    stored: set[tuple[str, str]] = set()
    if keys:
        with unit_of_work(factory, reads_only=True) as session:
            apply_registries(session, analysis.pipeline)
            stored = {(key, digest) for key, digest in session.execute(
                select(StoredItem.natural_key, StoredItem.content_hash).where(StoredItem.natural_key.in_(keys)))}
    return analyse([entry.item for entry in delivered
                    if (entry.item.natural_key, entry.item.content_hash) not in stored], analysis)


def take_in(
    session: Session, *, source: Source, delivered: Iterable[Numbered], analysis: Analysis,
    refused: Iterable[Refusal] = (), started_at: datetime | None = None, ahead: Analysed | None = None,
) -> IntakeReport:
    """Store one delivery of ``source`` (a pushed batch, a batch of a file, a fetched feed or page).

    ``refused`` are the entries the connector could not read, counted with the delivery's other
    refusals; ``ahead`` are results of analyse_ahead. The caller owns the transaction: the items,
    their findings and cases, and the run record are committed together or not at all.
    """
    started = started_at or utcnow()
    refusals = list(refused)
    entries = _latest(delivered, refusals)
    keys = [entry.item.natural_key for entry in entries]
    known = {item.natural_key: item for item in session.scalars(
        select(StoredItem).where(StoredItem.natural_key.in_(keys)))} if keys else {}
    mine: list[RawItem] = []
    for entry in entries:
        stored = known.get(entry.item.natural_key)
        if stored is not None and stored.source_id != source.id:
            refusals.append(Refusal(entry.position, OTHER_SOURCE, external_id=entry.item.external_id))
        else:
            mine.append(entry.item)
    stored_report = store_items(session, source=source, items=mine, known=known, analysis=analysis, ahead=ahead)
    report = IntakeReport(**vars(stored_report), refused=sorted(refusals, key=lambda r: r.position))
    record_run(session, source, RunOutcome(added=report.added, updated=report.updated, unchanged=report.unchanged,
                                           refused=len(report.refused)), started_at=started)
    return report


def ingest(session: Session, *, source: Source, items: Sequence[RawItem], analysis: Analysis) -> IntakeReport:
    """Take in items that carry no position of their own (the demo, tests): numbered from 1 in order."""
    return take_in(session, source=source, delivered=[Numbered(n, item) for n, item in enumerate(items, start=1)],
                   analysis=analysis)
