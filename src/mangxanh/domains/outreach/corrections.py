"""A new correction is looked for in everything already stored, not only in what arrives next.

When a version of the corrections adds or changes entries, its scan (written with it) reads every
stored item: a cheap screen on a loosely folded text (FalseInfoDetector.screen, which lets through
every text the detector could match) leaves a few candidates, which the detector then judges
exactly. A match gets its finding on the item's latest capture, and the rules in force open a case
or raise the item's open one, as for an item that had just arrived.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from mangxanh.core.analysis.detectors.false_info import Corrections, FalseInfoDetector
from mangxanh.core.rules import evaluate
from mangxanh.core.text import loose_fold
from mangxanh.db import unit_of_work, utcnow
from mangxanh.domains.cases.service import CaseIntake
from mangxanh.domains.content.context import stored_contexts
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.service import Analysis, as_core_item
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.outreach.models import CorrectionScan, RegistryVersion, ScanStatus
from mangxanh.domains.outreach.registries import REGISTRIES, parse_version
from mangxanh.domains.rulebook.service import current_rules

log = logging.getLogger(__name__)
READ_BATCH = 5_000
WRITE_BATCH = 200
# A scan still "running" after this long was cut off with its process; the next tick takes it up again.
STALE_AFTER = timedelta(minutes=15)


@dataclass
class ScanOutcome:
    scanned: int = 0
    candidates: int = 0
    matched: int = 0
    cases_opened: int = 0
    seconds: float = 0.0


def _detector_for(version: RegistryVersion, ids: Sequence[str]) -> FalseInfoDetector:
    """A detector that knows only the corrections being looked for: a match is a match of one of them."""
    corrections: Corrections = parse_version(REGISTRIES["corrections"], version)
    detector = FalseInfoDetector()
    detector.use_registry(dataclasses.replace(corrections, entries=tuple(e for e in corrections.entries
                                                                         if e.id in set(ids))))
    return detector


# What the detector reads of an item (as_core_item), read as columns: no ORM object for the candidates.
_READ = (StoredItem.id, StoredItem.text, StoredItem.platform, StoredItem.url, StoredItem.author,
         StoredItem.author_handle, StoredItem.published_at, StoredItem.reactions, StoredItem.shares,
         StoredItem.comments, StoredItem.kind)


def candidates(session: Session, detector: FalseInfoDetector, outcome: ScanOutcome) -> Iterator[int]:
    """The ids of stored items the screen lets through, read in id order.

    Every item's text is read, so it is read through the driver: SQLAlchemy's per-row work cost
    more than reading and folding the text.
    """
    screens = [detector.screen(entry) for entry in detector.corrections.entries]
    # Streamed (a server-side cursor on PostgreSQL): a million texts are never held at once.
    cursor = session.connection().exec_driver_sql(
        f"SELECT id, text FROM {StoredItem.__tablename__} ORDER BY id",  # noqa: S608 - no outside input
        execution_options={"stream_results": True, "max_row_buffer": READ_BATCH})
    while rows := cursor.fetchmany(READ_BATCH):
        for item_id, text in rows:
            loose = loose_fold(text)
            if any(passes(loose) for passes in screens):
                outcome.candidates += 1
                yield item_id
        outcome.scanned += len(rows)


def matches(session: Session, ids: Sequence[int], detector: FalseInfoDetector) -> list[int]:
    """Of the candidates, those the detector matches: judged on the columns it reads, so that only the
    matches (a few hundred) are loaded with their findings to be filed."""
    # A row has the fields as_core_item reads.
    return [row.id for row in session.execute(select(*_READ).where(StoredItem.id.in_(ids)).order_by(StoredItem.id))
            if detector.detect(as_core_item(row))]


def _judge(session: Session, ids: list[int], *, detector: FalseInfoDetector, analysis: Analysis,
           outcome: ScanOutcome) -> None:
    """Judge candidates exactly and file the matches, in the caller's transaction."""
    items = list(session.scalars(select(StoredItem).where(StoredItem.id.in_(ids))
                                 .options(selectinload(StoredItem.findings))))
    latest = {item_id: capture_id for item_id, capture_id in session.execute(
        select(Capture.item_id, func.max(Capture.id)).where(Capture.item_id.in_(ids)).group_by(Capture.item_id))}
    matched: list[tuple[StoredItem, StoredFinding]] = []
    for item in items:
        found = detector.detect(as_core_item(item))
        capture_id = latest.get(item.id)
        if not found or capture_id is None:
            continue
        finding = found[0]
        if any(f.detector == detector.name and f.capture_id == capture_id
               and f.explanation_params.get("id") == finding.explanation_params["id"] for f in item.findings):
            continue  # already found to repeat this claim, in this text
        stored = StoredFinding(category=finding.category, detector=finding.detector,
                               detector_version=finding.detector_version, score=finding.score,
                               spans=[list(span) for span in finding.spans], explanation=finding.explanation,
                               explanation_params=dict(finding.explanation_params), capture_id=capture_id)
        item.findings.append(stored)
        matched.append((item, stored))
    if not matched:
        return
    session.flush()
    outcome.matched += len(matched)
    rules = current_rules(session, taxonomy=analysis.taxonomy, fallback=analysis.rules)
    contexts = stored_contexts(session, [item for item, _ in matched])
    intake = CaseIntake(session, items=[item for item, _ in matched], threshold=analysis.threshold,
                        taxonomy=analysis.taxonomy)
    now = utcnow()
    for item, _stored in matched:
        verdict = evaluate([f.as_finding() for f in item.findings], contexts[item.id], rules=rules,
                           taxonomy=analysis.taxonomy, threshold=analysis.threshold)
        if verdict is not None:
            outcome.cases_opened += intake.file(item=item, findings=item.findings, verdict=verdict, now=now)[1]
    intake.finish()


def _claim(factory: sessionmaker[Session], scan_id: int) -> bool:
    """Take the scan if it is pending, or running for longer than a process may; one taker wins."""
    now = utcnow()
    with unit_of_work(factory) as session:
        taken = session.execute(update(CorrectionScan).where(
            CorrectionScan.id == scan_id,
            or_(CorrectionScan.status == ScanStatus.PENDING.value,
                (CorrectionScan.status == ScanStatus.RUNNING.value) & (CorrectionScan.started_at < now - STALE_AFTER)),
        ).values(status=ScanStatus.RUNNING.value, started_at=now))
        return bool(getattr(taken, "rowcount", 0))


def run_scan(factory: sessionmaker[Session], *, scan_id: int, analysis: Analysis) -> ScanOutcome | None:
    """Look for a scan's corrections in every stored item; None when another process has the scan."""
    if not _claim(factory, scan_id):
        return None
    started = time.perf_counter()
    outcome = ScanOutcome()
    try:
        with unit_of_work(factory, reads_only=True) as session:
            scan = session.get_one(CorrectionScan, scan_id)
            detector = _detector_for(scan.version, scan.corrections)
            screened = list(candidates(session, detector, outcome))
            found = [item_id for start in range(0, len(screened), READ_BATCH)
                     for item_id in matches(session, screened[start:start + READ_BATCH], detector)]
        for start in range(0, len(found), WRITE_BATCH):
            with unit_of_work(factory) as session:
                _judge(session, found[start:start + WRITE_BATCH], detector=detector, analysis=analysis,
                       outcome=outcome)
    except Exception as exc:
        log.exception("correction scan %s failed", scan_id)
        with unit_of_work(factory) as session:
            session.execute(update(CorrectionScan).where(CorrectionScan.id == scan_id).values(
                status=ScanStatus.FAILED.value, finished_at=utcnow(), error=f"{type(exc).__name__}: {exc}"[:2000]))
        raise
    outcome.seconds = time.perf_counter() - started
    with unit_of_work(factory) as session:
        session.execute(update(CorrectionScan).where(CorrectionScan.id == scan_id).values(
            status=ScanStatus.DONE.value, finished_at=utcnow(), scanned=outcome.scanned, matched=outcome.matched,
            cases_opened=outcome.cases_opened))
    return outcome


def due_scans(session: Session) -> list[int]:
    """Scans waiting to run, or cut off: oldest first."""
    stale = utcnow() - STALE_AFTER
    return list(session.scalars(select(CorrectionScan.id).where(or_(
        CorrectionScan.status == ScanStatus.PENDING.value,
        (CorrectionScan.status == ScanStatus.RUNNING.value) & (CorrectionScan.started_at < stale),
    )).order_by(CorrectionScan.id)))


def run_due_scans(factory: sessionmaker[Session], *, analysis: Callable[[], Analysis]) -> int:
    """Run every due scan (the embedded tick, the Celery task, and right after a save); how many ran.

    ``analysis`` is called only when a scan is due: the tick need not build the detectors for nothing.
    """
    with unit_of_work(factory, reads_only=True) as session:
        due = due_scans(session)
    ran = 0
    for scan_id in due:
        try:
            ran += run_scan(factory, scan_id=scan_id, analysis=analysis()) is not None
        except Exception:  # noqa: S112 - logged and recorded on the scan; the others still run
            continue
    return ran


def recent_scans(session: Session, *, limit: int = 10) -> list[CorrectionScan]:
    return list(session.scalars(select(CorrectionScan).order_by(CorrectionScan.id.desc()).limit(limit)))
