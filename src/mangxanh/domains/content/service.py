"""Ingestion: store items idempotently, analyse them, and open cases from what is found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.pipeline import Pipeline
from mangxanh.core.analysis.registry import default_pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import RawItem
from mangxanh.core.taxonomy import Taxonomy, load_taxonomy
from mangxanh.db import utcnow
from mangxanh.domains.cases.service import open_or_join_case
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.sources.models import Source


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    cases_opened: int = 0
    findings: int = 0
    detector_failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Analysis:
    """What ingestion needs to analyse items: the detectors, the taxonomy and the case threshold."""

    pipeline: Pipeline
    taxonomy: Taxonomy
    threshold: float
    max_text_chars: int = 20_000


def default_analysis(*, threshold: float, max_text_chars: int = 20_000) -> Analysis:
    return Analysis(default_pipeline(), load_taxonomy(), threshold, max_text_chars)


def _as_core_item(stored: StoredItem) -> Item:
    return Item(
        text=stored.text, platform=stored.platform, url=stored.url or "", author=stored.author or "",
        author_handle=stored.author_handle or "", published_at=stored.published_at, reach=stored.reach,
        kind=stored.kind,
    )


def analyse_item(session: Session, *, item: StoredItem, analysis: Analysis, report: IngestReport) -> None:
    """Run the detectors on a stored item, keep their findings, and open or join its case."""
    result = analysis.pipeline.analyse(_as_core_item(item))
    report.detector_failures.extend(f"{item.natural_key}: {f.detector}: {f.error}" for f in result.failures)
    existing = {(f.detector, f.detector_version, f.category): f for f in item.findings}
    stored: list[StoredFinding] = []
    for finding in result.findings:
        key = (finding.detector, finding.detector_version, finding.category)
        row = existing.get(key)
        if row is None:
            row = StoredFinding(item_id=item.id, category=finding.category, detector=finding.detector,
                                detector_version=finding.detector_version)
            session.add(row)
            item.findings.append(row)
        row.score = finding.score
        row.spans = [list(span) for span in finding.spans]
        row.explanation = finding.explanation
        row.explanation_params = dict(finding.explanation_params)
        stored.append(row)
    report.findings += len(stored)
    item.analysed_at = utcnow()
    session.flush()
    _case, opened = open_or_join_case(session, item=item, findings=stored, taxonomy=analysis.taxonomy,
                                      threshold=analysis.threshold)
    report.cases_opened += opened


def _fill(stored: StoredItem, raw: RawItem) -> None:
    stored.platform, stored.external_id, stored.kind = raw.platform, raw.external_id, raw.kind
    stored.parent_external_id, stored.url = raw.parent_id, raw.url
    stored.author, stored.author_handle, stored.author_followers = raw.author, raw.author_handle, raw.author_followers
    stored.text, stored.content_hash, stored.published_at = raw.text, raw.content_hash, raw.published_at
    stored.reactions, stored.shares, stored.comments = raw.reactions, raw.shares, raw.comments
    stored.raw = dict(raw.raw)


def ingest(
    session: Session, *, source: Source, items: Iterable[RawItem], analysis: Analysis,
) -> IngestReport:
    """Store and analyse items. The same item twice adds nothing; an edited item is re-analysed.

    The caller owns the transaction; call this once per batch so that a crash loses one batch.
    """
    report = IngestReport()
    batch = list(items)
    keys = [raw.natural_key for raw in batch]
    known = {s.natural_key: s for s in session.scalars(select(StoredItem).where(StoredItem.natural_key.in_(keys)))}
    to_analyse: dict[str, StoredItem] = {}
    for raw in batch:
        stored = known.get(raw.natural_key)
        if stored is not None and stored.content_hash == raw.content_hash:
            report.unchanged += 1
            continue
        if stored is None:
            # An empty findings list up front: a new item has none, so no query to find out.
            stored = StoredItem(source_id=source.id, natural_key=raw.natural_key, findings=[])
            session.add(stored)
            known[raw.natural_key] = stored
            report.added += 1
        elif raw.natural_key not in to_analyse:
            report.updated += 1
        _fill(stored, raw)
        to_analyse[raw.natural_key] = stored
    # One flush for the whole batch gives every new item its id.
    session.flush()
    for stored in to_analyse.values():
        analyse_item(session, item=stored, analysis=analysis, report=report)
    return report
