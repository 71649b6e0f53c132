"""Items seen for the first time, the common case of ingestion, stored in bulk.

A new item has no findings and no case yet, so nothing has to be read or reconciled: the items,
their cases, their findings and the cases' histories are each written by one multi-row INSERT,
with two queries for the ids that the next rows cite. This skips the ORM's bookkeeping for every
object, which cost more than the rest of the storage work together. An edited item has to be
reconciled with what is stored, and goes through the ORM instead (see service.ingest); both
store the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from mangxanh.core.analysis.pipeline import AnalysisResult
from mangxanh.core.items import RawItem
from mangxanh.core.rules import Verdict
from mangxanh.domains.cases.search import document_of, index_items
from mangxanh.domains.cases.service import CaseOpenings, FindingRef
from mangxanh.domains.content.context import reach
from mangxanh.domains.content.models import StoredFinding, StoredItem
from mangxanh.domains.evidence.captures import capture_new_items
from mangxanh.domains.outreach.trend_counts import ArrivedItem, count_arrivals
from mangxanh.domains.sources.models import Source


def item_columns(raw: RawItem) -> dict[str, Any]:
    """What an item stores of its export record (its source, analysis and cluster aside; the record is
    kept whole with the item's capture)."""
    return {
        "platform": raw.platform, "external_id": raw.external_id, "kind": raw.kind,
        "parent_external_id": raw.parent_id, "url": raw.url, "author": raw.author,
        "author_handle": raw.author_handle, "author_followers": raw.author_followers, "text": raw.text,
        "content_hash": raw.content_hash, "published_at": raw.published_at, "reactions": raw.reactions,
        "shares": raw.shares, "comments": raw.comments,
    }


@dataclass(frozen=True, slots=True)
class _Analysed:
    raw: RawItem
    result: AnalysisResult
    cluster_id: str | None
    verdict: Verdict | None


class NewItems:
    """Collects a batch's new items with their analysis, then writes them all in :meth:`write`."""

    def __init__(self, session: Session, *, source: Source, threshold: float) -> None:
        self._session, self._source, self._threshold = session, source, threshold
        self._analysed: list[_Analysed] = []

    def add(self, raw: RawItem, *, result: AnalysisResult, cluster_id: str | None, verdict: Verdict | None) -> None:
        self._analysed.append(_Analysed(raw, result, cluster_id, verdict))

    def write(self, *, analysed_at: datetime) -> None:
        if not self._analysed:
            return
        # natural_key is the insert sentinel that lets SQLite return many rows' ids in their order.
        item_ids = list(self._session.scalars(
            insert(StoredItem).returning(StoredItem.id, sort_by_parameter_order=True).execution_options(
                render_nulls=True),
            [{**item_columns(a.raw), "source_id": self._source.id, "natural_key": a.raw.natural_key,
              "fetched_at": analysed_at, "analysed_at": analysed_at, "cluster_id": a.cluster_id}
             for a in self._analysed],
        ))
        captures = capture_new_items(self._session, [(item_id, a.raw) for item_id, a in zip(
            item_ids, self._analysed, strict=True)], source=self._source, captured_at=analysed_at)
        openings = CaseOpenings(self._session)
        for item_id, analysed in zip(item_ids, self._analysed, strict=True):
            if analysed.verdict is not None:
                openings.open(item_id=item_id, verdict=analysed.verdict, now=analysed_at)
        case_ids = openings.insert()
        index_items(self._session, [(item_id, document_of(analysed.raw)) for item_id, analysed in zip(
            item_ids, self._analysed, strict=True) if item_id in case_ids])
        findings = [
            {"item_id": item_id, "capture_id": captures[item_id][0],
             "case_id": case_ids.get(item_id) if f.score >= self._threshold else None,
             "category": f.category, "score": f.score, "spans": [list(span) for span in f.spans],
             "detector": f.detector, "detector_version": f.detector_version, "explanation": f.explanation,
             "explanation_params": dict(f.explanation_params), "created_at": analysed_at}
            for item_id, analysed in zip(item_ids, self._analysed, strict=True) for f in analysed.result.findings
        ]
        if findings:
            self._session.execute(insert(StoredFinding).execution_options(render_nulls=True), findings)
        if case_ids:
            openings.record(case_ids, self._strong_findings(item_ids, case_ids, captures), captures)
        count_arrivals(self._session, [self._arrival(a) for a in self._analysed], now=analysed_at)

    def _arrival(self, analysed: _Analysed) -> ArrivedItem:
        return ArrivedItem.judged(
            text=analysed.raw.text, platform=analysed.raw.platform, published_at=analysed.raw.published_at,
            reach=reach(analysed.raw),
            strong={f.category for f in analysed.result.findings if f.score >= self._threshold})

    def _strong_findings(self, item_ids: list[int], case_ids: dict[int, int],
                         captures: dict[int, tuple[int, str]]) -> dict[int, list[FindingRef]]:
        """The findings over the threshold of each item with a case, with their new ids, in the pipeline's order."""
        stored = {
            (item_id, detector, version, category): finding_id
            for finding_id, item_id, detector, version, category in self._session.execute(
                select(StoredFinding.id, StoredFinding.item_id, StoredFinding.detector,
                       StoredFinding.detector_version, StoredFinding.category)
                .where(StoredFinding.item_id.in_(case_ids), StoredFinding.case_id.is_not(None)))
        }
        return {
            item_id: [FindingRef(stored[item_id, f.detector, f.detector_version, f.category], f.category, f.score,
                                 f.detector, *captures[item_id])
                      for f in analysed.result.findings if f.score >= self._threshold]
            for item_id, analysed in zip(item_ids, self._analysed, strict=True) if item_id in case_ids
        }
