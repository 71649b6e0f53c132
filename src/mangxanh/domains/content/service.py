"""Ingestion: store items idempotently, analyse them, and open cases from what is found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.analysis.pipeline import AnalysisResult, Pipeline
from mangxanh.core.analysis.registry import default_pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import RawItem
from mangxanh.core.rules import RuleContext, RuleSet, evaluate, load_rules
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
    """What ingestion needs to analyse items: detectors, taxonomy, rules and the case threshold."""

    pipeline: Pipeline
    taxonomy: Taxonomy
    rules: RuleSet
    threshold: float
    max_text_chars: int = 20_000
    # Near-duplicate clusters of recent items; filled from the database by warm_campaigns().
    campaigns: CampaignIndex = field(default_factory=CampaignIndex)


def default_analysis(*, threshold: float, max_text_chars: int = 20_000) -> Analysis:
    taxonomy = load_taxonomy()
    return Analysis(default_pipeline(), taxonomy, load_rules(taxonomy), threshold, max_text_chars)


# Days are counted in Vietnam's time: a post at 23:30 local belongs to that local day.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Texts this short ("hay quá", "cho mình 1 slot") are alike by chance, not by campaign.
MIN_CAMPAIGN_CHARS = 40


def warm_campaigns(session: Session, *, analysis: Analysis) -> int:
    """Load recent items into an empty campaign index, oldest first, so clusters span processes."""
    index = analysis.campaigns
    if len(index):
        return 0
    rows = session.execute(
        select(StoredItem.natural_key, StoredItem.text, StoredItem.published_at)
        .order_by(StoredItem.id.desc()).limit(index.max_items)
    ).all()
    for key, text, published in reversed(rows):
        if len(text) >= MIN_CAMPAIGN_CHARS:
            index.add(key, text, published)
    return len(rows)


def _cluster(item: StoredItem, analysis: Analysis) -> int:
    """Put the item in its near-duplicate cluster; returns the cluster's size."""
    if len(item.text) < MIN_CAMPAIGN_CHARS:
        return 1
    item.cluster_id = analysis.campaigns.add(item.natural_key, item.text, item.published_at)
    return analysis.campaigns.cluster(item.cluster_id).size


def rule_context(item: StoredItem, *, source_kind: str = "", cluster_size: int = 1, citizen_reports: int = 0
                 ) -> RuleContext:
    return RuleContext(
        source_kind=source_kind, platform=item.platform, kind=item.kind, reach=item.reach,
        author=item.author or "", author_handle=item.author_handle or "", author_followers=item.author_followers,
        cluster_size=cluster_size, citizen_reports=citizen_reports,
    )


def _as_core_item(stored: StoredItem) -> Item:
    return Item(
        text=stored.text, platform=stored.platform, url=stored.url or "", author=stored.author or "",
        author_handle=stored.author_handle or "", published_at=stored.published_at, reach=stored.reach,
        kind=stored.kind,
    )


def analyse_item(
    session: Session, *, item: StoredItem, analysis: Analysis, report: IngestReport, source_kind: str = "",
    result: AnalysisResult | None = None,
) -> None:
    """Keep the detectors' findings on a stored item, and open or join its case.

    ``result`` is the pipeline's result when the caller analysed a whole batch at once.
    """
    if result is None:
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
    # An edited text may no longer show what the old one did. Findings already attached to a case
    # are that case's evidence and stay; the others go.
    for row in existing.values():
        if row not in stored and row.case_id is None:
            item.findings.remove(row)
            session.delete(row)
    report.findings += len(stored)
    item.analysed_at = utcnow()
    session.flush()
    context = rule_context(item, source_kind=source_kind, cluster_size=_cluster(item, analysis))
    verdict = evaluate(result.findings, context, rules=analysis.rules, taxonomy=analysis.taxonomy,
                       threshold=analysis.threshold)
    if verdict is None:
        return
    _case, opened = open_or_join_case(session, item=item, findings=stored, verdict=verdict,
                                      threshold=analysis.threshold, taxonomy=analysis.taxonomy)
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
    pending = list(to_analyse.values())
    results = analysis.pipeline.analyse_many([_as_core_item(stored) for stored in pending])
    for stored, result in zip(pending, results, strict=True):
        analyse_item(session, item=stored, analysis=analysis, report=report, source_kind=source.kind, result=result)
    return report


@dataclass(frozen=True)
class CampaignSpread:
    """How far a text travelled: how many stored copies, and when they were published."""

    size: int
    first_seen: datetime | None
    last_seen: datetime | None
    per_day: list[tuple[date, int]]


def campaign_spread(session: Session, *, cluster_id: str) -> CampaignSpread:
    published = list(session.scalars(
        select(StoredItem.published_at).where(StoredItem.cluster_id == cluster_id)
    ))
    days = Counter(p.astimezone(LOCAL_TZ).date() for p in published if p is not None)
    known = [p for p in published if p is not None]
    return CampaignSpread(len(published), min(known, default=None), max(known, default=None), sorted(days.items()))
