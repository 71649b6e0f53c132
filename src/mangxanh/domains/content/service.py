"""Ingestion: store items idempotently, analyse them, and open cases from what is found."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from mangxanh.core.analysis.campaigns import CampaignIndex
from mangxanh.core.analysis.pipeline import AnalysisResult, Pipeline
from mangxanh.core.analysis.registry import default_pipeline
from mangxanh.core.analysis.types import Item
from mangxanh.core.items import RawItem
from mangxanh.core.rules import RuleSet, evaluate, load_rules
from mangxanh.core.taxonomy import Taxonomy, load_taxonomy
from mangxanh.db import utcnow
from mangxanh.domains.cases.service import CaseIntake
from mangxanh.domains.content.campaign_cases import reweigh_campaign_cases
from mangxanh.domains.content.context import Content, reach, rule_context
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.content.new_items import NewItems, item_columns
from mangxanh.domains.evidence.captures import capture_edits
from mangxanh.domains.evidence.models import Capture
from mangxanh.domains.outreach.registries import apply_registries
from mangxanh.domains.rulebook.service import current_rules
from mangxanh.domains.sources.models import Source


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    cases_opened: int = 0
    # Open cases of earlier copies raised because their campaign grew.
    cases_raised: int = 0
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


def _cluster(item: Content, analysis: Analysis) -> str | None:
    """Put the item in its near-duplicate cluster; returns the cluster's id."""
    if len(item.text) < MIN_CAMPAIGN_CHARS:
        return None
    return analysis.campaigns.add(item.natural_key, item.text, item.published_at)


def as_core_item(item: Content) -> Item:
    return Item(
        text=item.text, platform=item.platform, url=item.url or "", author=item.author or "",
        author_handle=item.author_handle or "", published_at=item.published_at, reach=reach(item),
        kind=item.kind,
    )


def _keep_findings(session: Session, item: StoredItem, result: AnalysisResult, capture: Capture
                   ) -> list[StoredFinding]:
    """Store the detectors' findings on the item's new capture; returns them as stored rows.

    The findings of earlier captures that a case rests on stay, pointing at the text they were
    made on; the others describe a text no longer shown and go.
    """
    stored = [StoredFinding(category=f.category, detector=f.detector, detector_version=f.detector_version,
                            score=f.score, spans=[list(span) for span in f.spans], explanation=f.explanation,
                            explanation_params=dict(f.explanation_params), capture=capture)
              for f in result.findings]
    for row in list(item.findings):
        if row.case_id is None:
            item.findings.remove(row)
            session.delete(row)
    item.findings.extend(stored)
    return stored


def _load_findings(session: Session, items: Iterable[StoredItem]) -> None:
    """Load the findings of many stored items in one query instead of one query an item."""
    unloaded = {item.id: item for item in items if "findings" in inspect(item).unloaded}
    if not unloaded:
        return
    found: dict[int, list[StoredFinding]] = {item_id: [] for item_id in unloaded}
    with session.no_autoflush:
        for row in session.scalars(select(StoredFinding).where(StoredFinding.item_id.in_(unloaded))
                                   .order_by(StoredFinding.id)):
            found[row.item_id].append(row)
    for item_id, rows in found.items():
        set_committed_value(unloaded[item_id], "findings", rows)


# Detectors' results by (natural key, content hash): what a text gives does not depend on the database.
Analysed = Mapping[tuple[str, str], AnalysisResult]


def analyse(items: Sequence[Content], analysis: Analysis) -> dict[tuple[str, str], AnalysisResult]:
    """Run the detectors over items at once (a pure computation: no database, no campaign index)."""
    results = analysis.pipeline.analyse_many([as_core_item(item) for item in items])
    return {(item.natural_key, item.content_hash): result for item, result in zip(items, results, strict=True)}


def _analyse_and_store(
    session: Session, *, items: Sequence[StoredItem | RawItem], source: Source, analysis: Analysis,
    rules: RuleSet, report: IngestReport, ahead: Analysed, edits: Mapping[int, RawItem],
) -> dict[str, int]:
    """Analyse a batch at once, keep the findings, open or join cases; each item appears once.

    New items (RawItem) are written in bulk by NewItems; stored items being re-analysed are
    reconciled through the ORM, their findings and open cases read in one query each, and each
    gets a new capture (``edits`` holds what was delivered for them). Results computed ahead,
    before the transaction, are used as they are. Returns the clusters the batch added to, with
    their size now.
    """
    stored = [item for item in items if isinstance(item, StoredItem)]
    _load_findings(session, stored)
    intake = CaseIntake(session, items=stored, threshold=analysis.threshold, taxonomy=analysis.taxonomy)
    new_items = NewItems(session, source=source, threshold=analysis.threshold)
    known = {**ahead, **analyse([i for i in items if (i.natural_key, i.content_hash) not in ahead], analysis)}
    results = [known[item.natural_key, item.content_hash] for item in items]
    now = utcnow()
    with session.no_autoflush:
        captures = capture_edits(session, [(item.id, edits[item.id]) for item in stored], source=source,
                                 captured_at=now)
    # Every copy joins its campaign before any is judged, so that the copies of one batch all see
    # the campaign's size after the batch, as its earlier copies do when they are weighed again.
    clusters = [_cluster(item, analysis) for item in items]
    grown = {cluster_id: analysis.campaigns.cluster(cluster_id).size for cluster_id in clusters if cluster_id}
    for item, result, cluster_id in zip(items, results, clusters, strict=True):
        report.detector_failures.extend(f"{item.natural_key}: {f.detector}: {f.error}" for f in result.failures)
        report.findings += len(result.findings)
        context = rule_context(item, source_kind=source.kind, cluster_size=grown[cluster_id] if cluster_id else 1,
                               citizen_reports=item.citizen_reports if isinstance(item, StoredItem) else 0)
        verdict = evaluate(result.findings, context, rules=rules, taxonomy=analysis.taxonomy,
                           threshold=analysis.threshold)
        if isinstance(item, RawItem):
            new_items.add(item, result=result, cluster_id=cluster_id, verdict=verdict)
            report.cases_opened += verdict is not None
            continue
        findings = _keep_findings(session, item, result, captures[item.id])
        item.analysed_at = now
        if cluster_id is not None:
            item.cluster_id = cluster_id
        if verdict is not None:
            report.cases_opened += intake.file(item=item, findings=findings, verdict=verdict, now=now)[1]
    intake.finish()
    new_items.write(analysed_at=now)
    return grown


def _fill(stored: StoredItem, raw: RawItem) -> None:
    for name, value in item_columns(raw).items():
        setattr(stored, name, value)


def store_items(
    session: Session, *, source: Source, items: Sequence[RawItem], known: Mapping[str, StoredItem],
    analysis: Analysis, ahead: Analysed | None = None,
) -> IngestReport:
    """Store and analyse a delivery's items: new ones are added, edited ones analysed again, the same text skipped.

    Called by the intake port (intake.take_in), which has already refused what may not be stored:
    every key appears once, and ``known`` holds the stored items of those keys, all this source's.
    """
    report = IngestReport()
    queued: list[StoredItem | RawItem] = []
    edits: dict[int, RawItem] = {}
    for raw in items:
        current = known.get(raw.natural_key)
        if current is None:
            report.added += 1
            queued.append(raw)
        elif current.content_hash == raw.content_hash:
            report.unchanged += 1
        else:
            report.updated += 1
            _fill(current, raw)
            edits[current.id] = raw
            queued.append(current)
    # The rules and registries saved in the console since this process started apply from this batch on.
    rules = current_rules(session, taxonomy=analysis.taxonomy, fallback=analysis.rules)
    apply_registries(session, analysis.pipeline)
    grown = _analyse_and_store(session, items=queued, source=source, analysis=analysis, rules=rules, report=report,
                               ahead=ahead or {}, edits=edits)
    report.cases_raised += reweigh_campaign_cases(session, grown=grown, skip_keys={i.natural_key for i in queued},
                                                  rules=rules, taxonomy=analysis.taxonomy,
                                                  threshold=analysis.threshold)
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
